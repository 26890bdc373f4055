// A crafted dataset must not run script in a planner's browser: a village
// named `<img src=x onerror=alert(1)>`, another with <script> and quotes, and
// a region named with an <img> probe, served by a real `labmap serve` from
// the fixture files. The names must show as text, and nothing may run.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, openMap, rendered, renders, waitFor, OUT } from "./harness.mjs";

const VILLAGE = "<img src=x onerror=alert(1)>";
const REGION = "<img src=y onerror=alert(3)>";
let server, base, browser;

before(async () => {
  [server, base] = await startServer(["--households", "test/fixtures/xss-households.csv", "--villages", "test/fixtures/xss-villages.geojson",
    "--region-name", REGION]);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.kill();
});

test("names from the data are shown as text and run nothing", async () => {
  const { page, problems } = await openMap(browser, base, { hash: "#indicator=poverty_rate&map=14/-6.935/109.625" });
  assert.ok((await page.textContent("#title")).includes(REGION), "the region name is not shown as text");
  await page.focus("#search");
  await page.keyboard.type("<img");
  await waitFor(page, "a search option for the crafted village", () => document.querySelector("#results [role=option][data-code]"));
  assert.ok((await page.textContent("#results")).includes(VILLAGE));
  const n = await renders(page);
  await page.keyboard.press("Enter");
  await rendered(page, n, "the render after choosing the crafted village");
  assert.equal(await page.textContent("#info-title"), VILLAGE);
  // Click the other village: its name has <b>, <script> and quotes.
  const other = await page.evaluate(() => {
    const m = window.__labmap.map;
    const p = m.project([109.635, -6.935]);
    return { x: p.x, y: p.y };
  });
  const box = await page.locator("#map").boundingBox();
  await page.mouse.click(box.x + other.x, box.y + other.y);
  await waitFor(page, "the info panel to show the second village", () => document.querySelector("#info-title")?.textContent.startsWith("Desa <b>"));
  await page.click("#about-open");
  await page.waitForSelector("#about-definitions");
  await page.screenshot({ path: `${OUT}/19-xss.png` });
  const injected = await page.evaluate(() => ({
    imgs: [...document.querySelectorAll("img")].map((i) => i.outerHTML),
    bold: document.querySelectorAll("#panel b, #info b, header b").length,
    scripts: [...document.scripts].filter((s) => !s.src).length,
  }));
  assert.deepEqual(injected, { imgs: [], bold: 0, scripts: 0 });
  assert.deepEqual(problems, []);
  await page.close();
});
