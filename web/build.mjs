// Builds the field app's bundles with esbuild (package.json at the repo root; `make install`
// installs it). Called by server/web/bundle.py, which names the output folder after a hash
// of every input, so a bundle can never be older than the modules it was made from:
//
//   node web/build.mjs <outdir>
//
// writes into <outdir>:
//   app.js   the page's code: web/static/js/main.js and every module it imports, minified
//   sw.js    the service worker (web/static/sw.js) with the modules it imports
//   app.css  web/static/css/app.css, minified
// app.js and app.css with a source map next to them. The modules in web/static/js stay
// what developers edit (and what the browser tests import one by one).

import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const STATIC = path.join(path.dirname(fileURLToPath(import.meta.url)), "static");
const outdir = process.argv[2];
if (!outdir) {
  console.error("usage: node web/build.mjs <outdir>");
  process.exit(2);
}

// The modules import each other by relative path, but the worker imports them as
// /static/js/...: the URL they are served at. Map those URLs onto web/static.
const staticUrls = {
  name: "static-urls",
  setup(build) {
    build.onResolve({ filter: /^\/static\// }, (args) => ({
      path: path.join(STATIC, args.path.slice("/static/".length)),
    }));
  },
};

const common = {
  bundle: true,
  minify: true,
  sourcemap: "linked",
  // no older than the modules themselves: module workers need Chrome 80+ anyway
  target: "es2020",
  logLevel: "warning",
  legalComments: "none",
  plugins: [staticUrls],
};

await Promise.all([
  esbuild.build({ ...common, entryPoints: [path.join(STATIC, "js", "main.js")], format: "esm",
    outfile: path.join(outdir, "app.js") }),
  // the worker is registered as a module worker; pwa.py puts VERSION and PRECACHE before it
  // (no source map: the worker is served at /sw.js, with a header, not from this folder)
  esbuild.build({ ...common, entryPoints: [path.join(STATIC, "sw.js")], format: "esm",
    sourcemap: false, outfile: path.join(outdir, "sw.js") }),
  esbuild.build({ ...common, entryPoints: [path.join(STATIC, "css", "app.css")],
    outfile: path.join(outdir, "app.css") }),
]);
