// The offline meeting pack: `labmap pack` writes a folder that headless
// Chromium opens from file:// with the network off; the map must draw, the
// figures show, and no request leave the folder.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BIN, launch, rendered, renders, waitFor, colours } from "./harness.mjs";

const ZONE = "urban-kertijayan";
const MAX_PACK_BYTES = 20 * 1024 * 1024;
let browser, dir;

before(async () => {
  if (!BIN) throw new Error("LABMAP_BIN must name a built labmap binary (scripts/test sets it)");
  dir = mkdtempSync(join(tmpdir(), "labmap-pack-"));
  const out = join(dir, "pack");
  const r = spawnSync(BIN, ["pack", "--zone", ZONE, "--out", out], { encoding: "utf8" });
  assert.equal(r.status, 0, `labmap pack failed: ${r.stderr}`);
  dir = out;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(join(dir, ".."), { recursive: true, force: true });
});

// pack reads pack-data.js as the page does, without a browser.
function packData() {
  const js = readFileSync(join(dir, "pack-data.js"), "utf8");
  return JSON.parse(js.replace(/^window\.LABMAP_PACK=/, "").replace(/;\s*$/, ""));
}

test("a zone's pack stays under 20 MB", (t) => {
  let total = 0;
  for (const f of readdirSync(dir)) total += statSync(join(dir, f)).size;
  t.diagnostic(`pack of ${ZONE}: ${total} bytes in ${readdirSync(dir).length} files`);
  assert.ok(total < MAX_PACK_BYTES, `the pack is ${total} bytes, over ${MAX_PACK_BYTES}`);
  for (const f of ["index.html", "pack-data.js", "pack-tiles.js", "offline.js", "app.js", "maplibre-gl.js"]) {
    assert.ok(readdirSync(dir).includes(f), `the pack lacks ${f}`);
  }
  const data = packData();
  assert.ok(readdirSync(dir).includes(data.files.report) && readdirSync(dir).includes(data.files.villages), "the pack lacks its report or village table");
  assert.equal(readFileSync(join(dir, data.files.report)).subarray(0, 5).toString(), "%PDF-", "the report is not a PDF");
});

test("opened from file:// with the network off, the map draws, shows the figures and asks nothing outside the folder", async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await context.setOffline(true);
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => problems.push("pageerror: " + e.message));
  page.on("request", (r) => requests.push(r.url()));
  const folder = pathToFileURL(dir).href + "/";
  await page.goto(folder + "index.html");
  await rendered(page, 0, "the first render of the pack");

  // Drawn: painted pixels beside the sea, in at least five colours.
  const c = await colours(page);
  const kinds = Object.values(c.hist).filter((n) => n >= 20).length;
  assert.ok(c.painted / c.total > 0.15, `only ${c.painted} of ${c.total} sampled pixels are painted`);
  assert.ok(kinds >= 5, `the map has ${kinds} colours (${JSON.stringify(c.hist)})`);
  const villages = await page.evaluate(() => window.__labmap.map.queryRenderedFeatures({ layers: ["villages-fill"] }).length);
  assert.ok(villages > 0, "no village is drawn coloured");
  // Labels need glyphs, which come from the pack too.
  const labels = await page.evaluate(() => window.__labmap.map.queryRenderedFeatures({ layers: ["village-labels", "zone-labels"] }).length);
  assert.ok(labels > 0, "no label is drawn: glyphs missing from the pack?");

  // The figures: the zone's name and its households as the API counts them.
  const data = packData();
  const zone = data.zones.zones.find((z) => z.id === ZONE);
  const row = data.stats[`zone|${data.round}|id|${ZONE}`].areas[0];
  const figures = await page.locator("#figures").innerText();
  assert.ok(figures.includes(zone.name), `the figures do not name ${zone.name}: ${figures}`);
  const households = new Intl.NumberFormat("id-ID").format(row.households);
  assert.ok(figures.includes(households), `the figures lack the zone's ${households} households: ${figures}`);
  assert.equal(await page.locator("#round").isDisabled(), true, "the round can be changed in a read-only pack");
  assert.equal(await page.locator(`#pack-files a[href="${data.files.report}"]`).count(), 1, "no link to the report");

  // Search finds one of the zone's villages and shows its figures.
  const code = zone.villages[0];
  const village = data.stats[`village|${data.round}|id|`].areas.find((a) => a.code === code);
  await page.focus("#search");
  await page.keyboard.type(village.name);
  await waitFor(page, "search options", (c) => !!document.querySelector(`#results [role=option][data-code="${c}"]`), code);
  const n = await renders(page);
  await page.click(`#results [role=option][data-code="${code}"]`);
  await rendered(page, n, "the render after choosing a village");
  assert.equal(await page.evaluate(() => window.__labmap.state.selected), code);
  assert.ok((await page.textContent("#info")).includes(village.name), "the panel does not show the found village");

  // No request left the folder.
  const outside = requests.filter((u) => !u.startsWith(folder) && !/^(data|blob):/.test(u));
  assert.deepEqual(outside, [], "requests outside the pack");
  assert.deepEqual(problems, [], "errors in the page");
  await context.close();
});
