// labmap web map: an indicator choropleth over labmap's own vector tiles,
// with rounds, change since the baseline, lab zones, search, a shareable URL,
// a presentation mode, PNG export and two languages. It talks only to the
// server that served it, and puts no text from the data into markup.
/* global maplibregl */
import { $, h, fill } from "./dom.js";
import { translate, formatNumber, formatRound, formatDelta } from "./i18n.js";
import { parseHash, serialiseHash } from "./state.js";
import {
  changeColors, changeSteps, changeColorExpression, categoricalPalette, categoryExpression,
  hexResolution, mostCommon, OTHER_COLOR,
} from "./colors.js";
import { AREA_LEVELS, baseStyle, hatchImage, renderSignal, tileJSONPath, LABEL_LAYERS, labelPoints } from "./map.js";
import { renderLegend, legendExtras } from "./legend.js";
import { showArea, showFigures, renderAbout, KEY_FIGURES } from "./panel.js";
import { setupSearch } from "./search.js";
import { exportPNG } from "./present.js";
import { setupStaff, transformRequest } from "./staff.js";

const parsed = parseHash(location.hash);
// The offline pack (offline.js) serves the map from its own scheme: a
// file:// page has no origin to ask.
const ORIGIN = window.__labmapOrigin || location.origin;
const state = { ...parsed, selected: null, presenting: false };
let map, signal, staff;

// getJSON reads the public answers the map is drawn from. It never sends
// the staff token: the map shows every role the public figures (an analyst's
// unsuppressed figures are for the API, QGIS and exports, so a screen in a
// meeting cannot show them), and only the household layer and panel use
// the token (staff.js).
async function getJSON(path, tries = 3) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  // A busy server sheds load with 503 and Retry-After: come back as told
  // (at most 5 s, a few times) rather than leave the map half drawn.
  const after = r.headers.get("Retry-After");
  if (r.status === 503 && tries > 1 && after !== null && Number(after) >= 0) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(Number(after), 5) * 1000));
    return getJSON(path, tries - 1);
  }
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

// Statistics rows are fetched once per query and kept for the session.
const statsCache = new Map();
function stats(level, round, extra = "") {
  const url = `/api/stats?level=${level}&round=${encodeURIComponent(round)}&lang=${state.lang}${extra}`;
  if (!statsCache.has(url)) statsCache.set(url, getJSON(url).catch((e) => { statsCache.delete(url); throw e; }));
  return statsCache.get(url);
}

// Styles too: the first one is asked for before the map exists.
const styleCache = new Map();
function styleJSON(key, level) {
  const url = `/styles/${key}.json?layer=${level}&round=${encodeURIComponent(state.round)}&lang=${state.lang}`;
  if (!styleCache.has(url)) styleCache.set(url, getJSON(url).catch((e) => { styleCache.delete(url); throw e; }));
  return styleCache.get(url);
}

const ctx = {
  state, $, k: 5, indicators: [], rounds: [], zones: [], villages: [], causes: {}, region: null, legend: [], hexTable: null,
  rows: new Map(), // level -> Map(code -> stats row) for the current round
  t: (key, vars) => translate(state.lang, key, vars),
  indicator: (key) => ctx.indicators.find((i) => i.key === key) || { key, label: key, unit: "", kind: "count" },
  rowFor: (layer, code) => ctx.rows.get(layer)?.get(code),
};
Object.defineProperty(ctx, "map", { get: () => map });

const regionName = () => (ctx.region && ctx.region.name && (ctx.region.name[state.lang] || ctx.region.name.id)) || "";
const zoneName = (id) => (ctx.zones.find((z) => z.id === id) || {}).name || "";
const baseline = () => (ctx.rounds.find((r) => r.baseline) || ctx.rounds[0] || {}).round || state.round;
const changing = () => state.change && state.round !== baseline() && ctx.indicator(state.indicator).kind !== "category";

function legendTitle() {
  const ind = ctx.indicator(state.indicator);
  const lang = state.lang;
  return changing()
    ? `${ind.label}: ${ctx.t("change").toLowerCase()} (${formatRound(baseline(), lang)} → ${formatRound(state.round, lang)})`
    : `${ind.label}, ${formatRound(state.round, lang)}`;
}
ctx.legendTitle = legendTitle;
ctx.exportTitle = () => `${ctx.t("title")} — ${zoneName(state.zone) || regionName()}`;
ctx.legendRows = () => [...ctx.legend, ...legendExtras({ t: ctx.t, k: ctx.k, sensitive: ctx.indicator(state.indicator).sensitive })];
ctx.keyFigures = () => {
  const row = ctx.figuresRow;
  const heading = `${ctx.t("figures")}: ${zoneName(state.zone) || regionName()}`;
  if (!row) return { heading, rows: [] };
  const keys = [...new Set([state.indicator, ...KEY_FIGURES])].filter((k) => k !== "dominant_cause");
  return { heading, rows: keys.map((k) => [ctx.indicator(k).label, formatNumber(row[k], ctx.indicator(k).unit, state.lang)]) };
};
ctx.whenRendered = () => new Promise((resolve) => {
  if (window.__labmapBusy === 0 && map.loaded() && map.areTilesLoaded() && !map.isMoving()) resolve();
  else map.once("idle", () => resolve());
});

function writeHash() {
  if (!map) return;
  const c = map.getCenter();
  history.replaceState(null, "", serialiseHash({ ...state, view: { zoom: map.getZoom(), lat: c.lat, lng: c.lng } }));
}

// --- hexagon resolution ------------------------------------------------------
// The resolution comes from the server: its zoom table indexed by the whole
// zoom MapLibre requests tiles at, or else the res the loaded tiles carry.
async function hexRes() {
  const src = map.getSource("labmap");
  const fromTable = hexResolution(ctx.hexTable, map.getZoom(), src?.minzoom ?? 0, src?.maxzoom ?? 16);
  if (fromTable !== null) return fromTable;
  await ctx.whenRendered();
  const feats = map.querySourceFeatures("labmap", { sourceLayer: "hexagons" });
  const res = mostCommon(feats.map((f) => f.properties.res).filter((r) => r !== undefined));
  return res ?? (tz <= 8 ? 6 : 7);
}

// levelRows fetches the rows of the shown level with only the figure the
// map colours (and which of them are withheld).
async function levelRows(level, round, key) {
  const fields = `&fields=${key}`;
  if (level === "hexagons") return stats("hexagon", round, `&res=${await hexRes()}${fields}`);
  return stats(level.slice(0, -1), round, fields);
}

// --- colouring ---------------------------------------------------------------
async function applyChoropleth() {
  const ind = ctx.indicator(state.indicator);
  for (const l of AREA_LEVELS) {
    const vis = l === state.level ? "visible" : "none";
    for (const suffix of ["-fill", "-suppressed", "-novalue", "-withheld", "-hover"]) map.setLayoutProperty(l + suffix, "visibility", vis);
  }
  const lvl = state.level;
  const fillId = `${lvl}-fill`;
  const now = await levelRows(lvl, state.round, ind.key);
  ctx.rows.set(lvl, new Map(now.areas.map((a) => [a.code, a])));
  const withheld = now.areas.filter((a) => !a.suppressed && (a.withheld || []).includes(ind.key)).map((a) => a.code);
  map.setFilter(`${lvl}-withheld`, withheld.length ? ["in", ["get", "code"], ["literal", withheld]] : ["literal", false]);
  map.removeFeatureState({ source: "labmap", sourceLayer: lvl });

  if (changing()) {
    const then = await levelRows(lvl, baseline(), ind.key);
    const before = new Map(then.areas.map((a) => [a.code, a[ind.key]]));
    const scale = ind.unit === "ratio" ? 100 : 1; // rates change in percentage points
    const deltas = [];
    for (const a of now.areas) {
      const b = before.get(a.code);
      const v = a[ind.key];
      const d = typeof v === "number" && typeof b === "number" ? Math.round((v - b) * scale * 1e6) / 1e6 : null;
      if (d !== null) deltas.push(d);
      map.setFeatureState({ source: "labmap", sourceLayer: lvl, id: a.code }, { delta: d });
    }
    const steps = changeSteps(deltas);
    const colors = changeColors(ind.better);
    map.setFilter(fillId, ["==", ["get", "suppressed"], false]);
    map.setPaintProperty(fillId, "fill-color", changeColorExpression(steps, colors));
    const lab = (v) => formatDelta(v, ind.unit, state.lang);
    const word = (i) => {
      if (ind.better !== "lower" && ind.better !== "higher") return "";
      if (i === 3) return "";
      const good = colors[i].startsWith("#21") || colors[i].startsWith("#67") || colors[i].startsWith("#d1");
      return ` (${ctx.t(good ? "better" : "worse")})`;
    };
    ctx.legend = [{ color: colors[0], label: `< ${lab(steps[0])}${word(0)}` }];
    for (let i = 1; i < steps.length; i++) ctx.legend.push({ color: colors[i], label: `${lab(steps[i - 1])} … ${lab(steps[i])}${word(i)}` });
    ctx.legend.push({ color: colors[6], label: `≥ ${lab(steps[5])}${word(6)}` });
    ctx.legendNote = ind.better === "lower" || ind.better === "higher" ? null : ctx.t("changeNeutral");
  } else if (ind.kind === "category") {
    const style = await styleJSON(ind.key, lvl);
    const labels = new Map(style.metadata["labmap:legend"].map((e) => [e.value, e.label]));
    const counts = {};
    for (const v of labels.keys()) counts[v] = 0;
    for (const a of now.areas) if (a[ind.key]) counts[a[ind.key]] = (counts[a[ind.key]] || 0) + 1;
    const pal = categoricalPalette(counts);
    map.setFilter(fillId, ["all", ["==", ["get", "suppressed"], false], ["has", ind.key]]);
    map.setPaintProperty(fillId, "fill-color", categoryExpression(ind.key, pal));
    ctx.legend = pal.colors.map((c) => ({ color: c.color, label: labels.get(c.value) || ctx.causes[c.value] || c.value }));
    if (pal.other.length) ctx.legend.push({ color: OTHER_COLOR, label: ctx.t("other") });
    ctx.legendNote = null;
  } else {
    const style = await styleJSON(ind.key, lvl);
    const areas = style.layers.find((l) => l.id === "areas");
    map.setFilter(fillId, ["all", ["==", ["get", "suppressed"], false], ["has", ind.key]]);
    map.setPaintProperty(fillId, "fill-color", areas.paint["fill-color"]);
    ctx.legend = style.metadata["labmap:legend"].map((e) => ({ color: e.color, label: e.label }));
    ctx.legendNote = null;
  }
  ctx.hexResShown = lvl === "hexagons" ? await hexRes() : null;
  drawLegend();
}

function drawLegend() {
  const rows = ctx.legendRows();
  renderLegend($("legend"), legendTitle(), rows, ctx.legendNote);
  renderLegend($("present-legend"), legendTitle(), rows, ctx.legendNote);
  $("subtitle").textContent = legendTitle();
  $("present-title").textContent = `${zoneName(state.zone) || regionName()}`;
  $("pack-link").href = `/packs/${encodeURIComponent(state.zone || "regency")}.zip`;
}

const figureFields = () => `&fields=${[...new Set([state.indicator, ...KEY_FIGURES])].join(",")}`;

async function showZoneFigures() {
  let heading, row;
  if (!state.zone) {
    const reg = await stats("regency", state.round, figureFields());
    heading = `${ctx.t("figures")}: ${regionName()}`;
    row = reg.areas[0];
  } else {
    const z = await stats("zone", state.round, `&zone=${encodeURIComponent(state.zone)}${figureFields()}`);
    heading = zoneName(state.zone);
    row = z.areas[0];
  }
  ctx.figuresRow = row;
  showFigures(ctx, $("present-figures"), heading, row);
  showFigures(ctx, $("figures"), heading, row);
  if (!state.selected) fill($("info"), h("p", { class: "muted" }, ctx.t("clickHint")));
}

// --- controls ----------------------------------------------------------------
function translateStatic() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = ctx.t(el.dataset.i18n);
  $("lang").textContent = ctx.t("lang");
  const title = `${ctx.t("title")} — ${regionName()}`;
  document.title = title;
  $("title").textContent = title;
  const synth = $("synthetic");
  synth.hidden = !(ctx.region && ctx.region.synthetic);
  synth.textContent = ctx.t("syntheticShort");
  synth.title = ctx.t("synthetic");
  $("search").setAttribute("aria-label", ctx.t("search"));
  fill($("indicator"), ctx.indicators.map((i) => h("option", { value: i.key }, i.label)));
  $("indicator").value = state.indicator;
  fill($("zone"), h("option", { value: "" }, ctx.t("allZones")),
    ctx.zones.map((z) => h("option", { value: z.id }, `${z.name} (${ctx.t(z.kind)})`)));
  $("zone").value = state.zone;
  fill($("round"), ctx.rounds.map((r) => h("option", { value: r.round }, formatRound(r.round, state.lang) + (r.baseline ? ` (${ctx.t("baseline")})` : ""))));
  $("round").value = state.round;
  if (!$("about").hidden) renderAbout(ctx, $("about-body"));
}

async function loadIndicators() {
  const data = await getJSON(`/api/indicators?lang=${state.lang}`);
  ctx.indicators = data.indicators;
  if (Number.isInteger(data.min_households)) ctx.k = data.min_households;
  if (!ctx.indicators.some((i) => i.key === state.indicator)) state.indicator = "poverty_rate";
}

async function loadVillages() {
  // Names and the causes' labels only: the figures come with the tiles.
  const [villages, districts] = await Promise.all([stats("village", state.round, "&fields=dominant_cause"), stats("district", state.round, "&fields=dominant_cause")]);
  const dname = new Map(districts.areas.map((d) => [d.code, d.name]));
  ctx.villages = villages.areas.map((v) => ({ code: v.code, name: String(v.name), districtName: dname.get(v.district_code) || v.district_code }));
  ctx.causes = {};
  for (const data of [villages, districts]) for (const a of data.areas) if (a.dominant_cause) ctx.causes[a.dominant_cause] = a.dominant_cause_label;
}

function flyToZone(id) {
  state.zone = id;
  state.selected = null;
  highlight("");
  const z = ctx.zones.find((z) => z.id === id);
  if (z && z.bbox) map.fitBounds([[z.bbox[0], z.bbox[1]], [z.bbox[2], z.bbox[3]]], { padding: 60, duration: state.presenting ? 1200 : 800 });
  else if (!id && ctx.extent) map.fitBounds(ctx.extent, { padding: 20, duration: 800 });
  $("zone").value = id;
  drawLegend();
  writeHash();
  return signal.track(showZoneFigures);
}

function refresh() {
  return signal.track(async () => {
    // A new tile set first, then new paint: tiles reloading for both at once
    // can report the map idle between the two reloads, with the old colours.
    const url = ORIGIN + tileJSONPath(state.round);
    if (map.getSource("labmap").url !== url) {
      map.getSource("labmap").setUrl(url);
      await new Promise((resolve) => map.once("idle", resolve));
    }
    staff?.setRound(state.round);
    await applyChoropleth();
    await showZoneFigures();
    writeHash();
  });
}

function highlight(code) {
  for (const id of ["highlight", "highlight-casing"]) map.setFilter(id, ["==", ["get", "code"], code || ""]);
}

function goToVillage(v) {
  return signal.track(async () => {
    const f = await getJSON(`/collections/villages/items/${encodeURIComponent(v.code)}?round=${encodeURIComponent(state.round)}`);
    const coords = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
    let [minX, minY, maxX, maxY] = [180, 90, -180, -90];
    for (const poly of coords) for (const [x, y] of poly[0]) {
      minX = Math.min(minX, x); minY = Math.min(minY, y); maxX = Math.max(maxX, x); maxY = Math.max(maxY, y);
    }
    // A found village is no longer inside the chosen lab's story: the zone goes.
    state.zone = "";
    $("zone").value = "";
    highlight(v.code);
    map.fitBounds([[minX, minY], [maxX, maxY]], { padding: 80, duration: 600, maxZoom: 13 });
    state.selected = v.code;
    if (state.level !== "villages") {
      state.level = "villages";
      $("level").value = "villages";
      await applyChoropleth();
    }
    showArea(ctx, f.properties, "villages");
    await showZoneFigures();
    drawLegend();
    writeHash();
  });
}

function setPresenting(on) {
  state.presenting = on;
  document.body.classList.toggle("presenting", on);
  $("present-box").hidden = !on;
  if (on && document.documentElement.requestFullscreen && !document.fullscreenElement) {
    document.documentElement.requestFullscreen().catch(() => {});
  } else if (!on && document.fullscreenElement) {
    document.exitFullscreen().catch(() => {});
  }
  requestAnimationFrame(() => { map.resize(); signal.arm(); });
}

function stepZone(dir) {
  const ids = ["", ...ctx.zones.map((z) => z.id)];
  const i = (ids.indexOf(state.zone) + dir + ids.length) % ids.length;
  flyToZone(ids[i]);
}

function toggleAbout(open) {
  const box = $("about");
  box.hidden = !open;
  $("about-open").setAttribute("aria-expanded", String(open));
  if (open) { renderAbout(ctx, $("about-body")); $("about-close").focus(); }
}

// labelFonts reads the glyphs the server offers from its config: labels
// are drawn only when it serves them (nothing comes from a CDN).
function labelFonts(cfg) {
  const fonts = Array.isArray(cfg.fonts) ? cfg.fonts.filter((f) => typeof f === "string") : [];
  if (typeof cfg.glyphs !== "string" || !cfg.glyphs.includes("{fontstack}") || !fonts.length) return null;
  const regular = fonts.find((f) => /regular/i.test(f)) || fonts[0];
  const bold = fonts.find((f) => /bold/i.test(f)) || regular;
  return { glyphs: new URL(cfg.glyphs, ORIGIN).href.replaceAll("%7B", "{").replaceAll("%7D", "}"), regular: [regular], bold: [bold] };
}

// --- start -------------------------------------------------------------------
async function start() {
  const [cfg, , roundsData, zones] = await Promise.all([
    getJSON("/web/config.json").catch(() => ({ basemap: null })), loadIndicators(), getJSON("/api/rounds"), getJSON("/api/zones"),
  ]);
  const fonts = labelFonts(cfg);
  if (Number.isInteger(cfg.min_households) && !ctx.k) ctx.k = cfg.min_households;
  ctx.region = roundsData.region || cfg.region || null;
  ctx.rounds = roundsData.rounds;
  if (!ctx.rounds.some((r) => r.round === state.round)) state.round = ctx.rounds[ctx.rounds.length - 1].round;
  ctx.zones = zones.zones;
  if (!ctx.zones.some((z) => z.id === state.zone)) state.zone = "";
  const tj = await getJSON(tileJSONPath(state.round));
  ctx.hexTable = cfg.hexagon_res || tj["labmap:hexagon_res"] || null;
  ctx.extent = [[tj.bounds[0], tj.bounds[1]], [tj.bounds[2], tj.bounds[3]]];
  translateStatic();
  $("level").value = state.level;
  $("change").checked = state.change;

  // What the first render needs is asked for now, while MapLibre starts.
  const villagesReady = loadVillages();
  if (state.level !== "hexagons") {
    levelRows(state.level, state.round, state.indicator).catch(() => {});
    if (!state.change) styleJSON(state.indicator, state.level).catch(() => {});
    stats("regency", state.round, figureFields()).catch(() => {});
  }
  const view = parsed.view;
  map = new maplibregl.Map({
    container: "map", style: baseStyle({ origin: ORIGIN, round: state.round, basemap: cfg.basemap, fonts }),
    // MapLibre writes source attributions as HTML; the source is shown as text instead.
    attributionControl: false,
    bounds: view ? undefined : ctx.extent, fitBoundsOptions: { padding: 20 },
    center: view ? [view.lng, view.lat] : undefined, zoom: view ? view.zoom : undefined,
    canvasContextAttributes: { preserveDrawingBuffer: true }, maxZoom: 17, dragRotate: false, pitchWithRotate: false,
    transformRequest,
  });
  map.touchZoomRotate.disableRotation();
  ctx.labels = fonts ? LABEL_LAYERS : [];
  signal = renderSignal(map, window);
  window.__labmap = { map, state, ctx };
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  $("map").append(h("div", { class: "source-note" }, `${ctx.t("source")}: ${(ctx.region && ctx.region.source) || "–"}`));
  map.addImage("hatch", hatchImage());

  // Label points follow the loaded tiles: recomputed when the set of loaded
  // pieces changes, inside the render signal so that a render counts only
  // once the labels are placed.
  if (fonts) {
    let signature = "";
    map.on("idle", () => {
      const parts = ["districts", "zones", "villages"].map((l) => [l, map.querySourceFeatures("labmap", { sourceLayer: l })]);
      const sig = parts.map(([, fs]) => fs.length).join("/") + "@" + Math.floor(map.getZoom());
      if (sig === signature) return;
      signature = sig;
      signal.track(async () => {
        map.getSource("labels").setData({ type: "FeatureCollection", features: parts.flatMap(([l, fs]) => labelPoints(fs, l)) });
      });
    });
  }
  map.on("load", () => signal.track(async () => {
    await villagesReady;
    await applyChoropleth();
    await showZoneFigures();
    if (state.zone && !view) flyToZone(state.zone);
  }));
  map.on("moveend", writeHash);
  // Hexagons change resolution with the zoom; their figures must follow.
  map.on("zoomend", () => {
    if (state.level !== "hexagons" || ctx.hexResShown === null || ctx.hexResShown === undefined) return;
    signal.track(async () => {
      if ((await hexRes()) !== ctx.hexResShown) await applyChoropleth();
    });
  });
  let hovered = null;
  const hitLayers = () => [`${state.level}-fill`, `${state.level}-novalue`, `${state.level}-suppressed`];
  map.on("mousemove", (e) => {
    const f = map.queryRenderedFeatures(e.point, { layers: hitLayers() })[0];
    if (hovered) map.setFeatureState(hovered, { hover: false });
    hovered = f ? { source: "labmap", sourceLayer: f.sourceLayer, id: f.properties.code } : null;
    if (hovered) map.setFeatureState(hovered, { hover: true });
    map.getCanvas().style.cursor = f ? "pointer" : "";
  });
  map.on("click", (e) => {
    const f = map.queryRenderedFeatures(e.point, { layers: hitLayers() })[0];
    if (!f) return;
    state.selected = f.properties.code;
    showArea(ctx, f.properties, f.sourceLayer);
    highlight(f.sourceLayer === "villages" ? f.properties.code : "");
    // On a phone the panel is below the map: bring the figures into view.
    $("info").scrollIntoView({ block: "nearest" });
  });

  $("indicator").addEventListener("change", (e) => { state.indicator = e.target.value; refresh(); });
  $("level").addEventListener("change", (e) => { state.level = e.target.value; state.selected = null; highlight(""); refresh(); });
  $("round").addEventListener("change", (e) => { state.round = e.target.value; refresh(); });
  $("change").addEventListener("change", (e) => { state.change = e.target.checked; refresh(); });
  $("zone").addEventListener("change", (e) => flyToZone(e.target.value));
  setupSearch({ input: $("search"), list: $("results"), villages: () => ctx.villages, onChoose: goToVillage, t: ctx.t });
  $("lang").addEventListener("click", () => signal.track(async () => {
    state.lang = state.lang === "id" ? "en" : "id";
    await loadIndicators();
    await loadVillages();
    translateStatic();
    staff?.retranslate();
    await applyChoropleth();
    await showZoneFigures();
    writeHash();
  }));
  staff = setupStaff(ctx, signal.track);
  $("present").addEventListener("click", () => setPresenting(true));
  $("exit").addEventListener("click", () => setPresenting(false));
  $("save").addEventListener("click", () => exportPNG(ctx, "slide"));
  $("save-a4").addEventListener("click", () => exportPNG(ctx, "a4"));
  $("about-open").addEventListener("click", () => toggleAbout($("about").hidden));
  $("about-close").addEventListener("click", () => toggleAbout(false));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("about").hidden) { toggleAbout(false); return; }
    if (!state.presenting) return;
    if (e.key === "ArrowRight") stepZone(1);
    else if (e.key === "ArrowLeft") stepZone(-1);
    else if (e.key === "Escape") setPresenting(false);
  });
  document.addEventListener("fullscreenchange", () => { if (!document.fullscreenElement && state.presenting) setPresenting(false); });
  // Printing: the map must be drawn at the printed size before the page is laid out.
  window.addEventListener("beforeprint", () => map.resize());
  window.addEventListener("afterprint", () => map.resize());
}

start().catch((err) => {
  console.error(err);
  document.body.prepend(h("p", { role: "alert", class: "fatal" }, err.message));
});
