// Builds the admin app into ../dist: hashed assets under dist/assets and an
// index.html that names them (see ../../webassets/build.mjs). It also copies
// axe-core, the accessibility checker the browser tests run inside Chromium,
// to ../testdata (not embedded, never served).
import * as esbuild from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { buildApp } from "../../webassets/build.mjs";

await buildApp(esbuild, {
  url: import.meta.url,
  base: "/admin/",
  options: { jsxImportSource: "preact" },
});

const testdata = new URL("../testdata/", import.meta.url);
mkdirSync(testdata, { recursive: true });
copyFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), new URL("axe.min.js", testdata));
