// The staff sign-in of the web map in real headless Chromium against a real
// `labmap serve --tokens-file` on the built-in dataset: a staff token of
// urban-kertijayan, made by `labmap token create`, sees household points in
// Kertijayan and none in Botosari; signed out, none. The token stays in
// sessionStorage. Every wait is on the page's render signal.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, startServer, launch, openMap, rendered, renders, waitFor, OUT } from "./harness.mjs";

let server, base, browser, dir, staffToken, adminToken;

function createToken(file, ...args) {
  return execFileSync(BIN, ["token", "create", "--tokens-file", file, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "labmap-staff-"));
  const file = join(dir, "tokens.json");
  staffToken = createToken(file, "--role", "staff", "--name", "Tim Kertijayan", "--zones", "urban-kertijayan", "--expires", "1d");
  adminToken = createToken(file, "--role", "admin", "--name", "Admin test", "--expires", "1d");
  [server, base] = await startServer(["--tokens-file", file]);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// householdIn asks the server, as admin, for one household of a zone's
// first village: where the map is sent to look.
async function householdIn(zoneID) {
  const zones = await (await fetch(base + "/api/zones")).json();
  const zone = zones.zones.find((z) => z.id === zoneID);
  assert.ok(zone, `zone ${zoneID} in /api/zones`);
  const villages = zone.villages.map((v) => (typeof v === "string" ? v : v.code));
  const filter = encodeURIComponent(`village_code IN (${villages.map((v) => `'${v}'`).join(",")})`);
  const r = await fetch(`${base}/collections/households/items?limit=1&filter=${filter}`, { headers: { Authorization: `Bearer ${adminToken}` } });
  assert.equal(r.status, 200, `admin households of ${zoneID}`);
  const fc = await r.json();
  assert.ok(fc.features.length > 0, `a household in ${zoneID}`);
  return fc.features[0].geometry.coordinates;
}

// act runs an action and waits for the complete render that follows it.
async function act(page, what, fn) {
  const n = await renders(page);
  await fn();
  await rendered(page, n, `the render after ${what}`);
}

const flyTo = (page, what, center) => act(page, `flying to ${what}`, () => page.evaluate((c) => window.__labmap.map.jumpTo({ center: c, zoom: 15 }), center));

const householdPoints = (page) => page.evaluate(() => {
  const m = window.__labmap.map;
  return m.getLayer("households") ? m.queryRenderedFeatures({ layers: ["households"] }).length : 0;
});

test("staff sign-in: household points in the granted zone only, none after signing out", async () => {
  const kertijayan = await householdIn("urban-kertijayan");
  const botosari = await householdIn("forest-botosari");
  const { page, problems } = await openMap(browser, base);
  // The token goes with household requests (and the sign-in check) only:
  // the map itself is drawn from public answers for every role.
  const tokenSentTo = [];
  page.on("request", (req) => {
    const path = new URL(req.url()).pathname;
    if (req.headers().authorization && !path.startsWith("/tiles/households/") && !path.startsWith("/collections/households/") && path !== "/api/whoami") tokenSentTo.push(path);
  });

  // Signed out: the control is there and Kertijayan shows no household.
  await page.waitForSelector("#staff-form");
  await flyTo(page, "Kertijayan signed out", kertijayan);
  assert.equal(await householdPoints(page), 0, "households before signing in");

  await act(page, "signing in", async () => {
    await page.fill("#staff-token", staffToken);
    await page.click("#staff-submit");
  });
  await waitFor(page, "the signed-in control", () => document.getElementById("staff-signout") !== null);
  const stored = await page.evaluate(() => ({ session: sessionStorage.getItem("labmap.token"), local: localStorage.length, url: location.href }));
  assert.equal(stored.session, staffToken, "the token is kept in sessionStorage");
  assert.equal(stored.local, 0, "nothing in localStorage");
  assert.ok(!stored.url.includes(staffToken), "the token is not in the URL");

  await flyTo(page, "Kertijayan", kertijayan);
  const seen = await householdPoints(page);
  assert.ok(seen > 0, `household points rendered in Kertijayan at z15: ${seen}`);
  await page.screenshot({ path: `${OUT}/staff-kertijayan.png` });

  // The click panel shows the household's fields as text.
  const pt = await page.evaluate((c) => { const p = window.__labmap.map.project(c); return { x: p.x, y: p.y }; }, kertijayan);
  const box = await page.locator("#map canvas").boundingBox();
  await page.mouse.click(box.x + pt.x, box.y + pt.y);
  await waitFor(page, "the household panel", () => document.getElementById("household-fields") !== null);
  const panel = await page.locator("#info").innerText();
  for (const word of ["Kepala rumah tangga", "Status", "Anggota", "Desa/kelurahan"]) assert.ok(panel.includes(word), `panel shows ${word}: ${panel}`);

  // Then its record at every round, read from the server with the token:
  // one row per round it was surveyed in, with status and programmes.
  await waitFor(page, "the household's rounds", () => document.getElementById("household-rounds") !== null);
  const history = await page.evaluate(() => [...document.querySelectorAll("#household-rounds tbody tr")].map((tr) => [...tr.cells].map((c) => c.textContent)));
  const rounds = (await (await fetch(base + "/api/rounds")).json()).rounds;
  assert.ok(history.length >= 1 && history.length <= rounds.length, `rounds of the household: ${JSON.stringify(history)}`);
  const statuses = ["miskin ekstrem", "miskin", "rentan miskin", "tidak miskin"];
  for (const [round, status] of history) {
    assert.ok(statuses.includes(status), `a status in words for ${round}: ${status}`);
  }
  const full = await page.locator("#info").innerText();
  for (const word of ["Penyebab kemiskinan", "Program", "Pekerjaan", "Riwayat per putaran"]) assert.ok(full.includes(word), `panel shows ${word}: ${full}`);

  await flyTo(page, "Botosari", botosari);
  assert.equal(await householdPoints(page), 0, "household points outside the granted zone");

  await act(page, "signing out", () => page.click("#staff-signout"));
  assert.equal(await page.evaluate(() => sessionStorage.getItem("labmap.token")), null, "sessionStorage cleared");
  await flyTo(page, "Kertijayan signed out again", kertijayan);
  assert.equal(await householdPoints(page), 0, "household points after signing out");
  assert.equal(await page.evaluate(() => window.__labmap.map.getLayer("households")), undefined, "the layer is gone");

  assert.deepEqual(tokenSentTo, [], "the token was sent with public requests");
  assert.deepEqual(problems, []);
  await page.close();
});
