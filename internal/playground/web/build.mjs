// Builds the playground into ../dist: hashed assets under dist/assets and an
// index.html that names them. The output depends only on the sources and the
// locked packages, so CI can rebuild and compare it with what is committed.
import * as esbuild from "esbuild";
import { readFileSync, rmSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "..", "dist");
const base = "/playground/";

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: ["src/main.tsx"],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  jsx: "automatic",
  define: { "process.env.NODE_ENV": '"production"' },
  loader: { ".woff2": "file", ".woff": "file", ".svg": "file" },
  outdir: join(dist, "assets"),
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  legalComments: "linked",
  metafile: true,
  logLevel: "warning",
});

const outputs = Object.entries(result.metafile.outputs);
const [jsPath, js] = outputs.find(([, o]) => o.entryPoint === "src/main.tsx");
const asset = (p) => base + relative(dist, join(here, p)).split("\\").join("/");
const html = readFileSync(join(here, "src", "index.html"), "utf8")
  .replace("%SCRIPT%", asset(jsPath))
  .replace("%STYLE%", asset(js.cssBundle));
writeFileSync(join(dist, "index.html"), html);
