// The MapLibre style and map helpers: sea and land, choropleth layers per
// level, suppressed/withheld/no-value layers, outlines, labels, highlight,
// and the "rendered" signal the tests and the first-render time rely on.
import { SUPPRESSED, NO_VALUE } from "./colors.js";

/** AREA_LEVELS are the tile layers that can be coloured. */
export const AREA_LEVELS = ["hexagons", "villages", "districts"];
/** TILE_LAYERS are requested in one tile set. */
export const TILE_LAYERS = ["hexagons", "villages", "districts", "zones"];
/** Colours of the base map. */
export const SEA = "#b9d3e6";
export const LAND = "#f6f3ec";
/** ZONE_COLORS outline each kind of lab, dark enough for every palette, on a white casing. */
export const ZONE_COLORS = { urban: "#4a1486", coastal: "#08306b", forest: "#00441b" };

/** tileJSONPath is the TileJSON of the map's tile set for a round. */
export function tileJSONPath(round) {
  return `/tiles/${TILE_LAYERS.join(",")}.json?round=${encodeURIComponent(round)}`;
}

/**
 * baseStyle builds the style: the sea as background, the regency's land
 * above it (its north edge is the coast), the choropleth, outlines, zone
 * outlines on a white casing and, when the server has glyphs, labels.
 */
export function baseStyle({ origin, round, basemap, fonts }) {
  const sources = { labmap: { type: "vector", url: origin + tileJSONPath(round), promoteId: "code" } };
  const layers = [{ id: "background", type: "background", paint: { "background-color": SEA } }];
  if (basemap) {
    sources.basemap = { type: "raster", tiles: [basemap], tileSize: 256 };
    layers.push({ id: "basemap", type: "raster", source: "basemap", paint: { "raster-opacity": 0.6 } });
  }
  const src = (l) => ({ source: "labmap", "source-layer": l });
  layers.push({ id: "land", type: "fill", ...src("districts"), paint: { "fill-color": LAND } });
  layers.push({ id: "coast", type: "line", ...src("districts"), paint: { "line-color": "#6c8fa8", "line-width": 1.5, "line-blur": 0.5 } });
  for (const l of AREA_LEVELS) {
    const hide = { visibility: "none" };
    layers.push({ id: `${l}-suppressed`, type: "fill", ...src(l), layout: hide,
      filter: ["==", ["get", "suppressed"], true], paint: { "fill-color": SUPPRESSED, "fill-opacity": 0.9 } });
    layers.push({ id: `${l}-novalue`, type: "fill", ...src(l), layout: hide,
      filter: ["==", ["get", "suppressed"], false], paint: { "fill-color": NO_VALUE, "fill-opacity": 0.9 } });
    layers.push({ id: `${l}-fill`, type: "fill", ...src(l), layout: hide,
      filter: ["==", ["get", "suppressed"], false], paint: { "fill-color": NO_VALUE, "fill-opacity": 0.9 } });
    layers.push({ id: `${l}-withheld`, type: "fill", ...src(l), layout: hide,
      filter: ["literal", false], paint: { "fill-pattern": "hatch" } });
    layers.push({ id: `${l}-hover`, type: "line", ...src(l), layout: hide,
      paint: { "line-color": "#111", "line-width": ["case", ["boolean", ["feature-state", "hover"], false], 2.5, 0] } });
  }
  layers.push({ id: "village-lines", type: "line", ...src("villages"), paint: { "line-color": "#ffffff", "line-width": 0.5 } });
  layers.push({ id: "district-lines", type: "line", ...src("districts"), paint: { "line-color": "#555", "line-width": 1.2 } });
  layers.push({ id: "highlight-casing", type: "line", ...src("villages"), filter: ["==", ["get", "code"], ""],
    paint: { "line-color": "#ffffff", "line-width": 7 } });
  layers.push({ id: "highlight", type: "line", ...src("villages"), filter: ["==", ["get", "code"], ""],
    paint: { "line-color": "#e6007e", "line-width": 3.5 } });
  layers.push({ id: "zone-casing", type: "line", ...src("zones"), paint: { "line-color": "#ffffff", "line-width": 6, "line-opacity": 0.9 } });
  layers.push({ id: "zone-lines", type: "line", ...src("zones"),
    paint: { "line-color": ["match", ["get", "kind"], "urban", ZONE_COLORS.urban, "coastal", ZONE_COLORS.coastal, "forest", ZONE_COLORS.forest, "#111"],
      "line-width": 3, "line-dasharray": [2, 1] } });
  const style = { version: 8, sources, layers };
  if (fonts) {
    style.glyphs = fonts.glyphs;
    // Labels sit on points computed from the tiles' polygons (labelPoints):
    // placed on the polygons themselves, a name would repeat in every tile
    // the area crosses.
    sources.labels = { type: "geojson", data: { type: "FeatureCollection", features: [] } };
    const lab = (level) => ({ source: "labels", filter: ["==", ["get", "level"], level] });
    const halo = { "text-color": "#1d1d1d", "text-halo-color": "rgba(255,255,255,0.92)", "text-halo-width": 1.6 };
    layers.push({ id: "village-labels", type: "symbol", ...lab("villages"), minzoom: 11.5,
      layout: { "text-field": ["get", "name"], "text-font": fonts.regular, "text-size": ["interpolate", ["linear"], ["zoom"], 11.5, 10, 15, 14],
        "text-max-width": 8, "text-padding": 2 }, paint: halo });
    layers.push({ id: "district-labels", type: "symbol", ...lab("districts"), maxzoom: 13.5,
      layout: { "text-field": ["upcase", ["get", "name"]], "text-font": fonts.bold, "text-size": ["interpolate", ["linear"], ["zoom"], 9, 10, 13, 14],
        "text-letter-spacing": 0.08, "text-max-width": 9 }, paint: { ...halo, "text-color": "#333" } });
    layers.push({ id: "zone-labels", type: "symbol", ...lab("zones"),
      layout: { "text-field": ["get", "name"], "text-font": fonts.bold, "text-size": 12, "text-max-width": 12, "text-anchor": "top",
        "text-offset": [0, 0.6] },
      paint: { ...halo, "text-color": ["match", ["get", "kind"], "urban", ZONE_COLORS.urban, "coastal", ZONE_COLORS.coastal, "forest", ZONE_COLORS.forest, "#111"] } });
  }
  return style;
}

// ringArea and ringCentroid work in degrees: good enough to compare the
// pieces of one area and to place its name.
function ringArea(ring) {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) a += (ring[j][0] + ring[i][0]) * (ring[j][1] - ring[i][1]);
  return Math.abs(a / 2);
}
function ringCentroid(ring) {
  let a = 0, x = 0, y = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
    a += f; x += (ring[j][0] + ring[i][0]) * f; y += (ring[j][1] + ring[i][1]) * f;
  }
  if (Math.abs(a) < 1e-18) return ring[0];
  return [x / (3 * a), y / (3 * a)];
}

/**
 * labelPoints turns the polygon pieces of one tile layer (as
 * querySourceFeatures gives them: an area cut into one piece per tile) into
 * one point per area, at the centroid of its largest piece.
 */
export function labelPoints(features, level) {
  const best = new Map();
  for (const f of features) {
    const code = f.properties && f.properties.code;
    const g = f.geometry;
    if (!code || !g) continue;
    const polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    for (const poly of polys) {
      if (!poly[0] || poly[0].length < 4) continue;
      const area = ringArea(poly[0]);
      const cur = best.get(code);
      if (!cur || area > cur.area) best.set(code, { area, ring: poly[0], props: f.properties });
    }
  }
  return [...best.values()].map(({ ring, props }) => ({
    type: "Feature", geometry: { type: "Point", coordinates: ringCentroid(ring) },
    properties: { code: props.code, name: props.name, kind: props.kind, level },
  }));
}

/** LABEL_LAYERS are the symbol layers the style has when glyphs are served. */
export const LABEL_LAYERS = ["village-labels", "district-labels", "zone-labels"];

/**
 * hatchImage is an 8×8 diagonal hatch (dark lines on light grey) for
 * withheld figures, as MapLibre's addImage takes it.
 */
export function hatchImage(size = 8) {
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const on = (x + y) % size < 2;
      const i = (y * size + x) * 4;
      const [r, g, b] = on ? [90, 90, 90] : [236, 236, 236];
      data.set([r, g, b, 255], i);
    }
  }
  return { width: size, height: size, data };
}

/**
 * renderSignal keeps window.__labmapRendered counting complete renders: a
 * render counts once the map is idle (style, sources and the tiles of the
 * view loaded, not moving) after the latest change of view or paint, and no
 * app request is in flight. It is armed again by every change, and counts
 * even when the map was idle already (triggerRepaint draws a frame, and the
 * frame ends in "idle").
 */
export function renderSignal(map, win) {
  let seq = 0;
  let busy = 0;
  win.__labmapRendered = 0;
  win.__labmapBusy = 0;
  const arm = () => {
    const gen = ++seq;
    map.once("idle", () => {
      if (gen !== seq || busy > 0 || map.isMoving()) return;
      if (!(map.loaded() && map.areTilesLoaded())) { arm(); return; }
      win.__labmapFirstRender ??= performance.now();
      win.__labmapRendered++;
    });
    map.triggerRepaint();
  };
  // track marks an app operation (fetches, then paint changes) as pending.
  const track = async (fn) => {
    busy++; win.__labmapBusy = busy;
    try { return await fn(); } finally { busy--; win.__labmapBusy = busy; arm(); }
  };
  map.on("moveend", arm);
  return { arm, track };
}
