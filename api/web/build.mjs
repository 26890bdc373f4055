// Builds the web map into dist/, which the Go binary embeds: the app bundled
// and minified by esbuild, MapLibre copied from its npm package. Nothing is
// fetched from anywhere else, at build time or at run time.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, statSync } from "node:fs";

mkdirSync("dist", { recursive: true });
await build({
  entryPoints: ["src/app.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outfile: "dist/app.js",
  external: ["maplibre-gl"],
  legalComments: "none",
});
for (const [from, to] of [
  ["node_modules/maplibre-gl/dist/maplibre-gl.js", "dist/maplibre-gl.js"],
  ["node_modules/maplibre-gl/dist/maplibre-gl.css", "dist/maplibre-gl.css"],
  ["src/index.html", "dist/index.html"],
  ["src/app.css", "dist/app.css"],
]) {
  copyFileSync(from, to);
}
console.log(`dist/app.js: ${statSync("dist/app.js").size} bytes (budget 100 KB)`);
