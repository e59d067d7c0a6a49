// Builds the playground into ../dist: hashed assets under dist/assets and an
// index.html that names them (see ../../webassets/build.mjs).
import * as esbuild from "esbuild";
import { buildApp } from "../../webassets/build.mjs";

await buildApp(esbuild, {
  url: import.meta.url,
  base: "/playground/",
  options: {
    define: { "process.env.NODE_ENV": '"production"' },
    loader: { ".woff2": "file", ".woff": "file", ".svg": "file" },
  },
});
