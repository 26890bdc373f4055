// labmap web map: an indicator choropleth over labmap's own vector tiles,
// with rounds, change since the baseline, lab zones, search, a shareable URL,
// a presentation mode for meetings and two languages. It talks only to the
// server that served it.
/* global maplibregl */

const T = {
  id: {
    title: "Peta Laboratorium Kemiskinan", regency: "Kabupaten Pekalongan", indicator: "Indikator", level: "Tingkat",
    villages: "Desa/kelurahan", districts: "Kecamatan", hexagons: "Heksagon H3", round: "Putaran survei",
    change: "Perubahan sejak data awal", zone: "Laboratorium kemiskinan", allZones: "Seluruh kabupaten",
    search: "Cari desa (nama atau kode)", present: "Mode presentasi", save: "Simpan PNG", exit: "Keluar",
    keys: "← → berpindah zona · Esc keluar", legend: "Legenda", suppressed: "disembunyikan: kurang dari {k} rumah tangga",
    noValue: "tidak ada data", households: "Rumah tangga", baseline: "data awal", since: "sejak",
    points: "poin", lower: "turun", higher: "naik", noChange: "tetap", urban: "perkotaan", coastal: "pesisir",
    forest: "kawasan hutan", figures: "Angka kunci", code: "Kode", clickHint: "Klik wilayah untuk melihat angkanya.",
    lang: "EN", noResults: "Tidak ditemukan", district: "Kecamatan",
    synthetic: "Data rumah tangga sintetis — bukan hasil survei", syntheticShort: "Data sintetis",
  },
  en: {
    title: "Poverty Lab Map", regency: "Pekalongan Regency", indicator: "Indicator", level: "Level",
    villages: "Villages", districts: "Districts", hexagons: "H3 hexagons", round: "Survey round",
    change: "Change since baseline", zone: "Poverty lab", allZones: "Whole regency",
    search: "Find a village (name or code)", present: "Presentation mode", save: "Save PNG", exit: "Exit",
    keys: "← → step through zones · Esc exits", legend: "Legend", suppressed: "hidden: fewer than {k} households",
    noValue: "no data", households: "Households", baseline: "baseline", since: "since",
    points: "points", lower: "down", higher: "up", noChange: "unchanged", urban: "urban", coastal: "coastal",
    forest: "forest", figures: "Key figures", code: "Code", clickHint: "Click an area to see its figures.",
    lang: "ID", noResults: "Nothing found", district: "District",
    synthetic: "Synthetic household data — not survey results", syntheticShort: "Synthetic data",
  },
};

const KEY_FIGURES = ["households", "poverty_rate", "lifted_rate", "rtlh_repaired_rate", "latrine_access_rate", "out_of_school_rate"];
const DIVERGING = ["#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"]; // good ... bad
const LAYERS = ["hexagons", "villages", "districts", "zones"];

const state = {
  lang: "id", indicator: "poverty_rate", level: "villages", round: "", change: false, zone: "",
  indicators: [], rounds: [], zones: [], villages: [], k: 5, legend: [], selected: null, presenting: false,
};
const $ = (id) => document.getElementById(id);
const t = (key) => T[state.lang][key] || key;
// The region is named by the data (/web/config.json), so the same page serves any regency.
const regionName = () => (config && config.region && config.region.name && config.region.name[state.lang]) || regionName();

function fmt(v, unit, digits = 1) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  const locale = state.lang === "id" ? "id-ID" : "en-GB";
  if (unit === "ratio") {
    return new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(v * 100) + "%";
  }
  if (typeof v === "number") return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(v);
  return String(v);
}

function indicator(key) {
  return state.indicators.find((i) => i.key === key) || { key, label: key, unit: "", kind: "count" };
}

async function getJSON(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

// --- URL state: everything a shared link must reproduce -------------------
function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  for (const k of ["indicator", "level", "round", "zone", "lang"]) if (p.get(k)) state[k] = p.get(k);
  state.change = p.get("change") === "1";
  const view = (p.get("map") || "").split("/").map(Number);
  return view.length === 3 && view.every(Number.isFinite) ? view : null;
}
function writeHash() {
  if (!map) return;
  const c = map.getCenter();
  const p = new URLSearchParams({
    indicator: state.indicator, level: state.level, round: state.round, lang: state.lang,
    map: `${map.getZoom().toFixed(2)}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`,
  });
  if (state.zone) p.set("zone", state.zone);
  if (state.change) p.set("change", "1");
  history.replaceState(null, "", "#" + p.toString());
}

// --- the map -----------------------------------------------------------------
let map;
let config = { basemap: null };

function tileJSON() {
  return `/tiles/${LAYERS.join(",")}.json?round=${encodeURIComponent(state.round)}`;
}

function baseStyle() {
  const sources = { labmap: { type: "vector", url: location.origin + tileJSON(), promoteId: "code" } };
  const layers = [{ id: "background", type: "background", paint: { "background-color": "#e9e5dc" } }];
  if (config.basemap) {
    sources.basemap = { type: "raster", tiles: [config.basemap], tileSize: 256 };
    layers.push({ id: "basemap", type: "raster", source: "basemap", paint: { "raster-opacity": 0.6 } });
  }
  // Our own land outline, always available offline: every district filled.
  layers.push({ id: "land", type: "fill", source: "labmap", "source-layer": "districts", paint: { "fill-color": "#fbfaf7" } });
  for (const l of ["hexagons", "villages", "districts"]) {
    layers.push({ id: `${l}-suppressed`, type: "fill", source: "labmap", "source-layer": l, layout: { visibility: "none" },
      filter: ["==", ["get", "suppressed"], true], paint: { "fill-color": "#c8c8c8", "fill-opacity": 0.8 } });
    layers.push({ id: `${l}-fill`, type: "fill", source: "labmap", "source-layer": l, layout: { visibility: "none" },
      filter: ["==", ["get", "suppressed"], false], paint: { "fill-color": "#eeeeee", "fill-opacity": 0.88 } });
    layers.push({ id: `${l}-hover`, type: "line", source: "labmap", "source-layer": l, layout: { visibility: "none" },
      paint: { "line-color": "#111", "line-width": ["case", ["boolean", ["feature-state", "hover"], false], 2.5, 0] } });
  }
  layers.push({ id: "village-lines", type: "line", source: "labmap", "source-layer": "villages", paint: { "line-color": "#ffffff", "line-width": 0.5 } });
  layers.push({ id: "district-lines", type: "line", source: "labmap", "source-layer": "districts", paint: { "line-color": "#555", "line-width": 1.2 } });
  layers.push({ id: "zone-lines", type: "line", source: "labmap", "source-layer": "zones",
    paint: { "line-color": ["match", ["get", "kind"], "urban", "#7b3294", "coastal", "#0571b0", "forest", "#1b7837", "#000"],
      "line-width": 3.5, "line-dasharray": [2, 1] } });
  return { version: 8, sources, layers };
}

// applyChoropleth colours the chosen level from the server's style for the
// indicator (class breaks and palette), or by change since the baseline.
async function applyChoropleth() {
  const ind = indicator(state.indicator);
  for (const l of ["hexagons", "villages", "districts"]) {
    const vis = l === state.level ? "visible" : "none";
    for (const suffix of ["-fill", "-suppressed", "-hover"]) map.setLayoutProperty(l + suffix, "visibility", vis);
  }
  const fillId = `${state.level}-fill`;
  const baseline = state.rounds.length ? state.rounds[0].round : state.round;
  if (state.change && state.round !== baseline && ind.kind !== "category") {
    await applyChange(ind, baseline, fillId);
    return;
  }
  map.setFilter(fillId, ["==", ["get", "suppressed"], false]);
  const style = await getJSON(`/styles/${ind.key}.json?layer=${state.level}&round=${state.round}&lang=${state.lang}`);
  const areas = style.layers.find((l) => l.id === "areas");
  map.setFilter(fillId, ["all", ["==", ["get", "suppressed"], false], ["has", ind.key]]);
  map.setPaintProperty(fillId, "fill-color", areas.paint["fill-color"]);
  state.k = Number((style.metadata["labmap:suppressed"].label.match(/\d+/) || [5])[0]);
  state.legend = style.metadata["labmap:legend"].map((e) => ({ color: e.color, label: e.label }));
  renderLegend();
}

// applyChange colours areas by the change of the indicator between the
// baseline and the chosen round, from /api/stats, through feature state.
async function applyChange(ind, baseline, fillId) {
  const level = state.level === "hexagons" ? "hexagon" : state.level.slice(0, -1);
  const res = state.level === "hexagons" ? `&res=${hexRes(map.getZoom())}` : "";
  const [now, then] = await Promise.all([
    getJSON(`/api/stats?level=${level}&round=${state.round}${res}`),
    getJSON(`/api/stats?level=${level}&round=${baseline}${res}`),
  ]);
  const before = new Map(then.areas.map((a) => [a.code, a[ind.key]]));
  const scale = ind.unit === "ratio" ? 100 : 1; // rates change in percentage points
  for (const a of now.areas) {
    const b = before.get(a.code);
    const d = a[ind.key] !== undefined && a[ind.key] !== null && b !== undefined && b !== null ? (a[ind.key] - b) * scale : null;
    map.setFeatureState({ source: "labmap", sourceLayer: state.level, id: a.code }, { delta: d });
  }
  const steps = ind.unit === "ratio" ? [-10, -5, -1, 1, 5, 10] : [-20, -5, -1, 1, 5, 20];
  // A fall is good news for lower-is-better indicators: blue; red is bad news.
  const colors = ind.better === "higher" ? DIVERGING.slice().reverse() : DIVERGING;
  const expr = ["step", ["coalesce", ["feature-state", "delta"], 0], colors[0]];
  steps.forEach((s, i) => expr.push(s, colors[i + 1]));
  map.setFilter(fillId, ["==", ["get", "suppressed"], false]);
  map.setPaintProperty(fillId, "fill-color", ["case", ["==", ["feature-state", "delta"], null], "#eeeeee", expr]);
  const unit = ind.unit === "ratio" ? ` ${t("points")}` : "";
  const lab = (v) => `${v > 0 ? "+" : ""}${fmt(v, "")}${unit}`;
  state.legend = [{ color: colors[0], label: `< ${lab(steps[0])}` }];
  for (let i = 1; i < steps.length; i++) state.legend.push({ color: colors[i], label: `${lab(steps[i - 1])} … ${lab(steps[i])}` });
  state.legend.push({ color: colors[colors.length - 1], label: `≥ ${lab(steps[steps.length - 1])}` });
  renderLegend();
}

function hexRes(z) {
  return z <= 8 ? 6 : z <= 10 ? 7 : z <= 12 ? 8 : z < 14 ? 9 : 10;
}

function legendTitle() {
  const ind = indicator(state.indicator);
  const baseline = state.rounds.length ? state.rounds[0].round : "";
  return state.change && state.round !== baseline
    ? `${ind.label}: ${t("change").toLowerCase()} (${baseline} → ${state.round})`
    : `${ind.label}, ${state.round}`;
}

function legendHTML() {
  const rows = state.legend.map((e) => `<div class="row"><span class="sw" style="background:${e.color}"></span>${escapeHTML(e.label)}</div>`);
  rows.push(`<div class="row"><span class="sw hatch"></span>${escapeHTML(t("suppressed").replace("{k}", state.k))}</div>`);
  rows.push(`<div class="row"><span class="sw" style="background:#eeeeee"></span>${escapeHTML(t("noValue"))}</div>`);
  return `<h2>${escapeHTML(legendTitle())}</h2>${rows.join("")}`;
}

function renderLegend() {
  $("legend").innerHTML = legendHTML();
  $("present-legend").innerHTML = legendHTML();
  $("subtitle").textContent = legendTitle();
  $("present-title").textContent = zoneName(state.zone) || `${t("title")} — ${regionName()}`;
}

function escapeHTML(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function zoneName(id) {
  const z = state.zones.find((z) => z.id === id);
  return z ? z.name : "";
}

// --- panels ------------------------------------------------------------------
function figuresTable(row, highlight) {
  if (!row) return "";
  if (row.suppressed) return `<p>${escapeHTML(t("suppressed").replace("{k}", state.k))}</p>`;
  const keys = [...new Set([highlight, ...KEY_FIGURES])];
  const rows = keys.map((k) => {
    const ind = indicator(k);
    const v = k === "dominant_cause" ? row.dominant_cause_label || row.dominant_cause : row[k];
    return `<tr class="${k === highlight ? "hl" : ""}" data-key="${k}"><td>${escapeHTML(ind.label)}</td><td class="v">${escapeHTML(fmt(v, ind.unit))}</td></tr>`;
  });
  return `<table>${rows.join("")}</table>`;
}

async function showZoneFigures() {
  const box = $("present-figures");
  if (!state.zone) {
    const reg = await getJSON(`/api/stats?level=regency&round=${state.round}&lang=${state.lang}`);
    const html = `<h2>${escapeHTML(t("figures"))}: ${escapeHTML(regionName())}</h2>${figuresTable(reg.areas[0], state.indicator)}`;
    box.innerHTML = html;
    if (!state.selected) $("info").innerHTML = html + `<p>${escapeHTML(t("clickHint"))}</p>`;
    return;
  }
  const z = await getJSON(`/api/stats?level=zone&zone=${encodeURIComponent(state.zone)}&round=${state.round}&lang=${state.lang}`);
  const html = `<h2>${escapeHTML(zoneName(state.zone))}</h2>${figuresTable(z.areas[0], state.indicator)}`;
  box.innerHTML = html;
  if (!state.selected) $("info").innerHTML = html;
}

// showArea fills the info panel for a clicked area from the tile feature:
// the same figures /api/stats gives for that area and round.
function showArea(props, layer) {
  state.selected = props.code;
  const title = `${escapeHTML(props.name)} <span class="muted">(${escapeHTML(props.code)})</span>`;
  const row = { ...props };
  if (row.dominant_cause) {
    row.dominant_cause_label = (state.causes && state.causes[row.dominant_cause]) || row.dominant_cause;
  }
  let where = "";
  if (props.district_code) {
    const v = state.villages.find((v) => v.code === props.code);
    where = `<p>${escapeHTML(t("district"))}: ${escapeHTML(v ? v.districtName : "")} (${escapeHTML(props.district_code)})</p>`;
  }
  $("info").innerHTML = `<h2 id="info-title">${title}</h2>${where}${figuresTable(row, state.indicator)}`;
}

// --- controls ----------------------------------------------------------------
function translateStatic() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  $("lang").textContent = t("lang");
  document.title = `${t("title")} — ${regionName()}`;
  $("title").textContent = `${t("title")} — ${regionName()}`;
  const synth = $("synthetic");
  synth.hidden = !(config && config.region && config.region.synthetic);
  synth.textContent = t("synthetic");
  synth.dataset.short = t("syntheticShort");
  $("search").setAttribute("aria-label", t("search"));
}

function fillIndicators() {
  $("indicator").innerHTML = state.indicators.map((i) => `<option value="${i.key}">${escapeHTML(i.label)}</option>`).join("");
  $("indicator").value = state.indicator;
}

async function loadIndicators() {
  const data = await getJSON(`/api/indicators?lang=${state.lang}`);
  state.indicators = data.indicators;
  state.k = data.min_households;
  fillIndicators();
}

// loadCauseLabels learns the names of the causes of poverty in the current
// language from the statistics rows, which carry them beside the keys.
// Rows already fetched in the current language can be passed in.
async function loadCauseLabels(...rows) {
  if (!rows.length) {
    rows = await Promise.all(["village", "district"].map((l) => getJSON(`/api/stats?level=${l}&lang=${state.lang}`)));
  }
  state.causes = {};
  for (const data of rows) for (const a of data.areas) if (a.dominant_cause) state.causes[a.dominant_cause] = a.dominant_cause_label;
}

function fillZones() {
  const opts = [`<option value="">${escapeHTML(t("allZones"))}</option>`].concat(
    state.zones.map((z) => `<option value="${z.id}">${escapeHTML(z.name)} (${escapeHTML(t(z.kind))})</option>`));
  $("zone").innerHTML = opts.join("");
  $("zone").value = state.zone;
}

function flyToZone(id) {
  state.zone = id;
  state.selected = null;
  const z = state.zones.find((z) => z.id === id);
  if (z && z.bbox) {
    map.fitBounds([[z.bbox[0], z.bbox[1]], [z.bbox[2], z.bbox[3]]], { padding: 60, duration: state.presenting ? 1200 : 800 });
  } else if (!id && state.extent) {
    map.fitBounds(state.extent, { padding: 20, duration: 800 });
  }
  $("zone").value = id;
  renderLegend();
  showZoneFigures();
  writeHash();
}

async function refresh() {
  map.getSource("labmap").setUrl(location.origin + tileJSON());
  await applyChoropleth();
  await showZoneFigures();
  writeHash();
}

function searchVillages(q) {
  const ul = $("results");
  q = q.trim().toLowerCase();
  if (q.length < 2) { ul.innerHTML = ""; return; }
  const hits = state.villages.filter((v) => v.name.toLowerCase().includes(q) || v.code.includes(q)).slice(0, 12);
  ul.innerHTML = hits.length
    ? hits.map((v) => `<li><button type="button" data-code="${v.code}">${escapeHTML(v.name)} — ${escapeHTML(v.districtName)} (${v.code})</button></li>`).join("")
    : `<li>${escapeHTML(t("noResults"))}</li>`;
}

async function goToVillage(code) {
  const f = await getJSON(`/collections/villages/items/${encodeURIComponent(code)}?round=${state.round}`);
  const coords = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
  let [minX, minY, maxX, maxY] = [180, 90, -180, -90];
  for (const poly of coords) for (const [x, y] of poly[0]) {
    minX = Math.min(minX, x); minY = Math.min(minY, y); maxX = Math.max(maxX, x); maxY = Math.max(maxY, y);
  }
  map.fitBounds([[minX, minY], [maxX, maxY]], { padding: 80, duration: 600, maxZoom: 13 });
  showArea(f.properties, "villages");
  $("results").innerHTML = "";
}

// --- presentation mode and PNG -----------------------------------------------
function setPresenting(on) {
  state.presenting = on;
  document.body.classList.toggle("presenting", on);
  $("present-box").hidden = !on;
  if (on && document.documentElement.requestFullscreen && !document.fullscreenElement) {
    document.documentElement.requestFullscreen().catch(() => {});
  } else if (!on && document.fullscreenElement) {
    document.exitFullscreen().catch(() => {});
  }
  setTimeout(() => map.resize(), 50);
}

function stepZone(dir) {
  const ids = ["", ...state.zones.map((z) => z.id)];
  const i = (ids.indexOf(state.zone) + dir + ids.length) % ids.length;
  flyToZone(ids[i]);
}

// savePNG draws the map with its title, legend and date for a report.
function savePNG() {
  const mapCanvas = map.getCanvas();
  const w = mapCanvas.width, h = mapCanvas.height, s = window.devicePixelRatio || 1;
  const c = document.createElement("canvas");
  c.width = w; c.height = h;
  const g = c.getContext("2d");
  g.drawImage(mapCanvas, 0, 0);
  g.fillStyle = "rgba(255,255,255,0.93)";
  const boxW = 380 * s, lineH = 20 * s;
  const boxH = (70 + 22 * (state.legend.length + 2)) * s;
  g.fillRect(10 * s, 10 * s, boxW, boxH);
  g.fillStyle = "#111";
  g.font = `bold ${18 * s}px system-ui, sans-serif`;
  g.fillText(`${t("title")} — ${zoneName(state.zone) || regionName()}`.slice(0, 44), 20 * s, 36 * s);
  g.font = `${13 * s}px system-ui, sans-serif`;
  g.fillText(legendTitle().slice(0, 60), 20 * s, 56 * s);
  let y = 66 * s;
  const entries = [...state.legend, { color: "#c8c8c8", label: t("suppressed").replace("{k}", state.k) }];
  for (const e of entries) {
    g.fillStyle = e.color; g.fillRect(20 * s, y, 22 * s, 14 * s);
    g.strokeStyle = "#888"; g.strokeRect(20 * s, y, 22 * s, 14 * s);
    g.fillStyle = "#111"; g.fillText(e.label, 50 * s, y + 12 * s);
    y += lineH + 2 * s;
  }
  g.fillText(new Date().toISOString().slice(0, 10) + " · labmap", 20 * s, y + 12 * s);
  const a = document.createElement("a");
  a.download = `labmap-${state.indicator}-${state.round}${state.zone ? "-" + state.zone : ""}.png`;
  a.href = c.toDataURL("image/png");
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.__labmapLastPNG = a.href.length;
}

// --- start -------------------------------------------------------------------
async function start() {
  const view = readHash();
  try { config = await getJSON("/web/config.json"); } catch { config = { basemap: null }; }
  await loadIndicators();
  translateStatic();
  const [rounds, zones, villages, districts] = await Promise.all([
    getJSON("/api/rounds"), getJSON("/api/zones"),
    getJSON(`/api/stats?level=village&lang=${state.lang}`), getJSON(`/api/stats?level=district&lang=${state.lang}`),
  ]);
  await loadCauseLabels(villages, districts);
  state.rounds = rounds.rounds;
  if (!state.rounds.some((r) => r.round === state.round)) state.round = state.rounds[state.rounds.length - 1].round;
  $("round").innerHTML = state.rounds.map((r) => `<option value="${r.round}">${r.round}${r.baseline ? ` (${t("baseline")})` : ""}</option>`).join("");
  $("round").value = state.round;
  state.zones = zones.zones;
  fillZones();
  const dname = new Map(districts.areas.map((d) => [d.code, d.name]));
  state.villages = villages.areas.map((v) => ({ code: v.code, name: v.name, districtName: dname.get(v.district_code) || v.district_code }));
  $("level").value = state.level;
  $("change").checked = state.change;

  const tj = await getJSON(tileJSON());
  state.extent = [[tj.bounds[0], tj.bounds[1]], [tj.bounds[2], tj.bounds[3]]];
  map = new maplibregl.Map({
    container: "map", style: baseStyle(), attributionControl: { compact: true },
    bounds: view ? undefined : state.extent, fitBoundsOptions: { padding: 20 },
    center: view ? [view[2], view[1]] : undefined, zoom: view ? view[0] : undefined,
    canvasContextAttributes: { preserveDrawingBuffer: true }, maxZoom: 17,
  });
  window.__labmap = { map, state };
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  map.on("load", async () => {
    await applyChoropleth();
    await showZoneFigures();
    if (state.zone && !view) flyToZone(state.zone);
    // The map may have gone idle while the app's own requests were in
    // flight; then no further idle event comes, and waiting for one would
    // leave the first-render signal unset for good.
    const rendered = () => { window.__labmapFirstRender ??= performance.now(); };
    if (map.loaded() && map.areTilesLoaded()) rendered();
    else map.once("idle", rendered);
  });
  map.on("moveend", writeHash);
  // Hexagons change resolution with the zoom; their differences must follow.
  let lastRes = hexRes(map.getZoom());
  map.on("zoomend", () => {
    const res = hexRes(map.getZoom());
    if (res !== lastRes && state.change && state.level === "hexagons") applyChoropleth();
    lastRes = res;
  });
  let hovered = null;
  const fillLayers = ["hexagons-fill", "villages-fill", "districts-fill", "hexagons-suppressed", "villages-suppressed", "districts-suppressed"];
  map.on("mousemove", (e) => {
    const f = map.queryRenderedFeatures(e.point, { layers: fillLayers.filter((l) => l.startsWith(state.level)) })[0];
    if (hovered) map.setFeatureState(hovered, { hover: false });
    hovered = f ? { source: "labmap", sourceLayer: f.sourceLayer, id: f.properties.code } : null;
    if (hovered) map.setFeatureState(hovered, { hover: true });
    map.getCanvas().style.cursor = f ? "pointer" : "";
  });
  map.on("click", (e) => {
    const f = map.queryRenderedFeatures(e.point, { layers: fillLayers.filter((l) => l.startsWith(state.level)) })[0];
    if (f) showArea(f.properties, f.sourceLayer);
  });

  $("indicator").addEventListener("change", (e) => { state.indicator = e.target.value; refresh(); });
  $("level").addEventListener("change", (e) => { state.level = e.target.value; state.selected = null; refresh(); });
  $("round").addEventListener("change", (e) => { state.round = e.target.value; refresh(); });
  $("change").addEventListener("change", (e) => { state.change = e.target.checked; refresh(); });
  $("zone").addEventListener("change", (e) => flyToZone(e.target.value));
  $("search").addEventListener("input", (e) => searchVillages(e.target.value));
  $("results").addEventListener("click", (e) => { const b = e.target.closest("button"); if (b) goToVillage(b.dataset.code); });
  $("lang").addEventListener("click", async () => {
    state.lang = state.lang === "id" ? "en" : "id";
    await loadIndicators();
    await loadCauseLabels();
    translateStatic();
    fillZones();
    $("round").innerHTML = state.rounds.map((r) => `<option value="${r.round}">${r.round}${r.baseline ? ` (${t("baseline")})` : ""}</option>`).join("");
    $("round").value = state.round;
    await applyChoropleth();
    await showZoneFigures();
    writeHash();
  });
  $("present").addEventListener("click", () => setPresenting(true));
  $("exit").addEventListener("click", () => setPresenting(false));
  $("save").addEventListener("click", savePNG);
  document.addEventListener("keydown", (e) => {
    if (!state.presenting) return;
    if (e.key === "ArrowRight") stepZone(1);
    else if (e.key === "ArrowLeft") stepZone(-1);
    else if (e.key === "Escape") setPresenting(false);
  });
  document.addEventListener("fullscreenchange", () => { if (!document.fullscreenElement && state.presenting) setPresenting(false); });
}

start().catch((err) => {
  console.error(err);
  document.body.insertAdjacentHTML("afterbegin", `<p role="alert" style="padding:1rem;background:#fee">${escapeHTML(err.message)}</p>`);
});
