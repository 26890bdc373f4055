// Builds the web map into dist/, which the Go binary embeds: the app's ES
// modules (src/main.js and what it imports) bundled and minified by esbuild
// into one classic script, MapLibre copied from its npm package. The server
// fingerprints these files at start-up and rewrites index.html's /web/
// references, so the names here stay plain. Nothing is fetched from
// anywhere else, at build time or at run time.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";

mkdirSync("dist", { recursive: true });
await build({
  entryPoints: ["src/main.js"],
  bundle: true,
  minify: true,
  // One classic script: no module loader at run time, and the page's CSP
  // needs nothing beyond script-src 'self'.
  format: "iife",
  target: ["es2020"],
  outfile: "dist/app.js",
  legalComments: "none",
});
// The offline meeting pack's front end (src/offline.js with the pmtiles
// reader), loaded by the pack's page before app.js; the map's own page never loads it.
await build({
  entryPoints: ["src/offline.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outfile: "dist/offline.js",
  legalComments: "none",
});
// The pack's page is the map's page with relative paths (it is opened from
// a folder) and the pack's scripts before the app's.
writeFileSync("dist/offline.html", readFileSync("src/index.html", "utf8")
  .replaceAll('"/web/', '"')
  .replace('<script src="app.js" defer></script>',
    '<script src="pack-data.js" defer></script>\n<script src="pack-tiles.js" defer></script>\n<script src="offline.js" defer></script>\n<script src="app.js" defer></script>'));
for (const [from, to] of [
  ["node_modules/maplibre-gl/dist/maplibre-gl.js", "dist/maplibre-gl.js"],
  ["node_modules/maplibre-gl/dist/maplibre-gl.css", "dist/maplibre-gl.css"],
  ["src/index.html", "dist/index.html"],
  ["src/app.css", "dist/app.css"],
]) {
  copyFileSync(from, to);
}
console.log(`dist/app.js: ${statSync("dist/app.js").size} bytes (budget 100 KB)`);
