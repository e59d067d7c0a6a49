// The build of an app that package webassets serves, shared by the web/
// folders of adminui and playground: each one's build.mjs calls buildApp with
// its own esbuild (this file imports only Node's modules, so it needs no
// node_modules of its own).
//
// It empties ../dist of the web/ folder and writes hashed assets under
// dist/assets and an index.html that names them. The output depends only on
// the sources and the locked packages, so CI can rebuild and compare it with
// what is committed.
import { readFileSync, rmSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * @param {typeof import("esbuild")} esbuild the web/ folder's own esbuild
 * @param {{ url: string, base: string, options?: object }} app url is the
 *   build.mjs's import.meta.url; base the path the app is served at, with a
 *   trailing slash; options are added to esbuild's.
 */
export async function buildApp(esbuild, { url, base, options = {} }) {
  const here = dirname(fileURLToPath(url));
  const dist = join(here, "..", "dist");

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
    ...options,
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
}
