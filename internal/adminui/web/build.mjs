// Builds the admin app into ../dist: hashed assets under dist/assets and an
// index.html that names them (see ../../webassets/build.mjs). For the
// browser tests it also writes to ../testdata (not embedded, never served):
// axe-core, the accessibility checker they run inside Chromium, and the
// forms' own checks (src/validate.ts) as a script defining latchkeyValidate,
// which a test holds against the server's rules.
import * as esbuild from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { buildApp } from "../../webassets/build.mjs";

await buildApp(esbuild, {
  url: import.meta.url,
  base: "/admin/",
  options: { jsxImportSource: "preact" },
});

const testdata = new URL("../testdata/", import.meta.url);
mkdirSync(testdata, { recursive: true });
copyFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), new URL("axe.min.js", testdata));

await esbuild.build({
  absWorkingDir: fileURLToPath(new URL(".", import.meta.url)),
  entryPoints: ["src/validate.ts"],
  bundle: true,
  format: "iife",
  globalName: "latchkeyValidate",
  target: ["es2020"],
  outfile: fileURLToPath(new URL("validate.js", testdata)),
  legalComments: "none",
  logLevel: "warning",
});
