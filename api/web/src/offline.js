// The offline meeting pack's front end: loaded before app.js by the pack's
// index.html, it answers the web map's requests from files of the pack, so
// that the same app runs from a folder opened by double-click (file://)
// with no server and no network. Chromium does not let a file:// page
// fetch() its sibling files, so the pack ships its data as scripts
// (pack-data.js: the API's answers as JSON; pack-tiles.js: the PMTiles
// archive in base64), which <script src> may load; this module serves
// them to the app's fetch() calls and to MapLibre through a custom
// protocol, reading tiles with the pmtiles package. Nothing here falls
// back to the network: an unknown request fails.
/* global maplibregl */
import { PMTiles } from "pmtiles";
import { packStatsKey, packStyleKey, decodeBase64 } from "./offlinekeys.js";

const SCHEME = "labmap-pack";
export const ORIGIN = `${SCHEME}://pack`;

const pack = window.LABMAP_PACK;
const BYTES = decodeBase64(window.LABMAP_PACK_TILES || "");
const tiles = new PMTiles({
  getKey: () => "pack-tiles",
  getBytes: async (offset, length) => ({ data: BYTES.buffer.slice(BYTES.byteOffset + offset, BYTES.byteOffset + offset + length) }),
});

function json(body, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

// answer finds the pack's answer to one of the app's API paths, or null.
export function answer(url) {
  const u = new URL(url, ORIGIN);
  const q = u.searchParams;
  const p = u.pathname;
  if (p === "/web/config.json") return pack.config;
  if (p === "/api/indicators") return pack.indicators[q.get("lang") || "id"];
  if (p === "/api/rounds") return pack.rounds;
  // A zone's pack has only that zone's tiles: the picker offers it alone.
  if (p === "/api/zones") return pack.zone ? { ...pack.zones, zones: pack.zones.zones.filter((z) => z.id === pack.zone) } : pack.zones;
  if (p === "/api/stats") return pack.stats[packStatsKey(q.get("level"), q.get("round"), q.get("lang") || "id", q.get("zone") || "")] || null;
  if (p.startsWith("/tiles/") && p.endsWith(".json")) return { ...pack.tilejson, tiles: [`${ORIGIN}/t/{z}/{x}/{y}`] };
  let m = p.match(/^\/styles\/([a-z_]+)\.json$/);
  if (m) return pack.styles[packStyleKey(m[1], q.get("layer") || "villages", q.get("lang") || "id")] || null;
  m = p.match(/^\/collections\/villages\/items\/([0-9.]+)$/);
  if (m) {
    // A found village: its outline's bounding box, which is all the map
    // flies to, and its figures from the pack's statistics.
    const v = pack.villages[m[1]];
    if (!v) return null;
    const round = q.get("round") || pack.round;
    const rows = pack.stats[packStatsKey("village", round, "id", "")];
    const row = rows && rows.areas.find((a) => a.code === m[1]);
    const [x0, y0, x1, y1] = v;
    return { type: "Feature", id: m[1], properties: row || { code: m[1] },
      geometry: { type: "Polygon", coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] } };
  }
  return null;
}

// The app's fetch() calls go to the pack; no request leaves the page.
window.fetch = async (input) => {
  const url = typeof input === "string" ? input : input.url;
  const body = answer(url);
  if (body === null || body === undefined) return json({ error: `not in the offline pack: ${url}` }, 404);
  return json(body);
};

const EMPTY = new ArrayBuffer(0);
maplibregl.addProtocol(SCHEME, async (params) => {
  const u = new URL(params.url);
  const t = u.pathname.match(/^\/t\/(\d+)\/(\d+)\/(\d+)$/);
  if (t) {
    const r = await tiles.getZxy(+t[1], +t[2], +t[3]);
    return { data: r ? r.data : EMPTY };
  }
  const g = u.pathname.match(/^\/fonts\/([^/]+)\/(\d+-\d+)\.pbf$/);
  if (g) {
    const b64 = pack.glyphs[`${decodeURIComponent(g[1])}/${g[2]}`];
    return { data: b64 ? decodeBase64(b64).buffer : EMPTY };
  }
  const body = answer(params.url);
  if (body === null) throw new Error(`not in the offline pack: ${params.url}`);
  return { data: body };
});

// The pack opens on its zone and round unless a link says otherwise.
if (!/(^#|&)(zone|round)=/.test(location.hash)) {
  const p = new URLSearchParams(location.hash.replace(/^#/, ""));
  if (pack.zone) p.set("zone", pack.zone);
  p.set("round", pack.round);
  history.replaceState(null, "", "#" + p.toString());
}

// The app reads its origin from here instead of location (file:// has none).
window.__labmapOrigin = ORIGIN;

// Read only: one round, the pack's layers, no sign-in, no pack download;
// the pack's report and village table are linked instead.
document.body.classList.add("offline");
const round = document.getElementById("round");
if (round) round.disabled = true;
for (const opt of document.querySelectorAll("#level option")) {
  if (!pack.levels.includes(opt.value)) opt.remove();
}
const links = document.getElementById("pack-files");
if (links) {
  // Labelled by the app's own translation on start and on the language toggle.
  for (const [href, key] of [[pack.files.report, "packReport"], [pack.files.villages, "packVillages"]]) {
    const a = document.createElement("a");
    a.href = href;
    a.dataset.i18n = key;
    a.textContent = key;
    links.append(a);
  }
}
