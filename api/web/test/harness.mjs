// Shared pieces of the Chromium tests: a real labmap server, real headless
// Chromium, and waits on the page's own signals (never on time), each
// failing with a message that says what it waited for.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

export const BIN = process.env.LABMAP_BIN;
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const OUT = "test-results";
// Generous: a loaded 2-core machine renders WebGL in software. A wait that
// runs out fails with what it waited for, not with a bare timeout.
export const WAIT = Number(process.env.LABMAP_TEST_WAIT_MS || 90000);

/** startServer runs `labmap serve` on a free port with extra arguments and resolves [process, base URL]. */
export function startServer(args = []) {
  if (!BIN || !existsSync(BIN)) throw new Error("LABMAP_BIN must name a built labmap binary (scripts/test sets it)");
  return new Promise((resolve, reject) => {
    // A long queue wait: these tests check what users see, not load
    // shedding, with Chromium and the server sharing the machine's cores.
    const p = spawn(BIN, ["serve", "--addr", "127.0.0.1:0", "--queue-wait", "60s", ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    p.stderr.on("data", (d) => {
      log += d;
      const m = log.match(/addr=(http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve([p, m[1]]);
    });
    p.on("exit", (code) => reject(new Error(`labmap serve ${args.join(" ")} exited ${code} before listening: ${log}`)));
  });
}

/** launch starts headless Chromium with software WebGL. */
export async function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  mkdirSync(OUT, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
      "--no-first-run", "--disable-component-update", "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
      "--disable-background-timer-throttling", "--disable-renderer-backgrounding"],
  });
}

/**
 * waitFor waits for fn(arg) in the page to be truthy, checking once per
 * animation frame of the page; after WAIT ms it throws saying what it waited
 * for and the map's state. It evaluates functions, not strings, so that it
 * works under the page's CSP (no eval).
 */
export async function waitFor(page, what, fn, arg) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const v = await page.evaluate(fn, arg);
    if (v) return v;
    if (Date.now() > deadline) {
      const diag = await page.evaluate(() => ({
        rendered: window.__labmapRendered, busy: window.__labmapBusy,
        loaded: window.__labmap?.map?.loaded(), tiles: window.__labmap?.map?.areTilesLoaded(), moving: window.__labmap?.map?.isMoving(),
      })).catch(() => ({}));
      throw new Error(`waited ${WAIT} ms for ${what}; page state ${JSON.stringify(diag)}`);
    }
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve())));
  }
}

/** renders returns the page's count of complete renders. */
export const renders = (page) => page.evaluate(() => window.__labmapRendered || 0);

/**
 * rendered waits until the map has finished a render after `since` (a value
 * of renders() taken before the action) with no app request in flight.
 */
export function rendered(page, since, what = "the map to finish rendering") {
  return waitFor(page, `${what} (window.__labmapRendered > ${since} and no request of the app in flight)`,
    (n) => window.__labmapRendered > n && window.__labmapBusy === 0 && !window.__labmap.map.isMoving(), since);
}

/**
 * openMap opens the page and waits for its first complete render, while
 * collecting console errors, page errors, dialogs and requests that leave
 * the server.
 */
export async function openMap(browser, base, { viewport = { width: 1366, height: 768 }, hash = "" } = {}) {
  const page = await browser.newPage({ viewport, acceptDownloads: true });
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => problems.push("pageerror: " + e.message));
  page.on("dialog", (d) => { problems.push("dialog: " + d.message()); d.dismiss().catch(() => {}); });
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(base) && !u.startsWith("data:") && !u.startsWith("blob:")) problems.push("off-host request: " + u);
  });
  await page.goto(base + "/" + hash);
  await rendered(page, 0, "the first render of the page");
  return { page, problems };
}

/** fillColors returns the fill colour ([r,g,b,a] 0..1) of each rendered feature of a layer, by code. */
export function renderedColors(page, layer) {
  return page.evaluate((layer) => {
    const m = window.__labmap.map;
    const out = {};
    for (const f of m.queryRenderedFeatures({ layers: [layer] })) {
      const c = f.layer.paint["fill-color"];
      out[f.properties.code] = c ? [c.r, c.g, c.b, c.a] : null;
    }
    return out;
  }, layer);
}

/** colours counts the map canvas's pixels by colour, ignoring the sea. */
export async function colours(page) {
  return page.evaluate(() => {
    const src = window.__labmap.map.getCanvas();
    const c = document.createElement("canvas");
    c.width = src.width; c.height = src.height;
    const g = c.getContext("2d");
    g.drawImage(src, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const hist = {};
    let painted = 0;
    for (let i = 0; i < d.length; i += 16) {
      const [r, gg, b] = [d[i], d[i + 1], d[i + 2]];
      if (Math.abs(r - 0xb9) + Math.abs(gg - 0xd3) + Math.abs(b - 0xe6) < 6) continue;
      painted++;
      const k = `${r >> 4},${gg >> 4},${b >> 4}`;
      hist[k] = (hist[k] || 0) + 1;
    }
    return { painted, total: d.length / 16, hist };
  });
}
