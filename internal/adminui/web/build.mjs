// Builds the admin app into ../dist: hashed assets under dist/assets and an
// index.html that names them (see ../../webassets/build.mjs).
import * as esbuild from "esbuild";
import { buildApp } from "../../webassets/build.mjs";

await buildApp(esbuild, {
  url: import.meta.url,
  base: "/admin/",
  options: { jsxImportSource: "preact" },
});
