// Colour rules of the map, pure so that they can be tested without a
// browser: change classes around zero, which end is good news, the
// categorical palette, and which H3 resolution the tiles on screen carry.

/** Greys the map reserves for areas without a figure; no palette may use them. */
export const SUPPRESSED = "#bdbdbd";
export const NO_VALUE = "#eeeeee";

// Seven classes from strong fall to strong rise. BLUE_RED reads "good on the
// left" when a fall is good news; reversed when a rise is. NEUTRAL_DIV is for
// indicators where neither direction is good: blue/purple, no red alarm.
const BLUE_RED = ["#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"];
const NEUTRAL_DIV = ["#3b4cc0", "#7b9ff9", "#c0d4f5", "#f2f2f2", "#e2c6e8", "#b07cc6", "#762a83"];

/**
 * changeColors returns seven colours from the strongest fall to the
 * strongest rise, so that blue is always good news: for "lower" a fall is
 * blue, for "higher" a rise is blue; "neutral" (or unknown) uses a palette
 * with no good/bad reading.
 */
export function changeColors(better) {
  if (better === "lower") return BLUE_RED.slice();
  if (better === "higher") return BLUE_RED.slice().reverse();
  return NEUTRAL_DIV.slice();
}

/** niceCeil rounds x > 0 up to 1, 2, 2.5 or 5 times a power of ten. */
export function niceCeil(x) {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x - 1e-12 * p) return m * p;
  return 10 * p;
}

/**
 * changeSteps returns six thresholds symmetric around zero for the changes
 * given (already in display units: percentage points or counts): the outer
 * one is a round number at or above the 90th percentile of the absolute
 * changes, so that most areas fall inside the scale and zero is always in
 * the middle (white) class.
 */
export function changeSteps(deltas) {
  const abs = deltas.filter((d) => typeof d === "number" && Number.isFinite(d)).map(Math.abs).sort((a, b) => a - b);
  const p90 = abs.length ? abs[Math.min(abs.length - 1, Math.floor(abs.length * 0.9))] : 0;
  const outer = niceCeil(p90);
  const mid = outer / 2;
  const inner = outer / 10;
  return [-outer, -mid, -inner, inner, mid, outer];
}

/** classify returns the class (0..steps.length) a value falls in: value < steps[0] is 0. */
export function classify(v, steps) {
  let i = 0;
  while (i < steps.length && v >= steps[i]) i++;
  return i;
}

/**
 * changeColorExpression is the MapLibre fill-color for areas carrying their
 * change in feature-state "delta": a step over the thresholds, and the
 * no-value grey where there is no change to show.
 */
export function changeColorExpression(steps, colors) {
  const expr = ["step", ["to-number", ["feature-state", "delta"], 0], colors[0]];
  steps.forEach((s, i) => expr.push(s, colors[i + 1]));
  return ["case", ["==", ["typeof", ["feature-state", "delta"]], "number"], expr, NO_VALUE];
}

// Kelly's colours of maximum contrast without white, black and grey, in his
// order (most distinct first), with a teal and an ultramarine in place of the two closest pairs (a test checks every pair is far apart).
const CATEGORICAL = [
  "#f3c300", "#875692", "#f38400", "#a1caf1", "#be0032", "#c2b280", "#008856", "#e68fac",
  "#0067a5", "#f99379", "#2e2bb8", "#1fb3a6", "#882d17", "#8db600", "#654522", "#2b3d26",
];
/** OTHER_COLOR paints the categories beyond the palette ("lainnya"). */
export const OTHER_COLOR = "#5f9ea0";

/**
 * categoricalPalette gives each category its own colour, the most frequent
 * category first. counts maps category -> number of areas. When there are
 * more categories than colours, the least frequent share OTHER_COLOR and
 * the result says so (other: their keys).
 */
export function categoricalPalette(counts, max = CATEGORICAL.length) {
  const keys = Object.keys(counts).sort((a, b) => counts[b] - counts[a] || (a < b ? -1 : a > b ? 1 : 0));
  const room = Math.min(max, CATEGORICAL.length);
  const own = keys.length <= room ? keys : keys.slice(0, room - 1);
  const other = keys.slice(own.length);
  return { colors: own.map((k, i) => ({ value: k, color: CATEGORICAL[i] })), other };
}

/** categoryExpression is the fill-color for a property from categoricalPalette. */
export function categoryExpression(prop, palette) {
  if (!palette.colors.length) return palette.other.length ? OTHER_COLOR : NO_VALUE;
  const expr = ["match", ["get", prop]];
  for (const c of palette.colors) expr.push(c.value, c.color);
  expr.push(palette.other.length ? OTHER_COLOR : NO_VALUE);
  return expr;
}

/**
 * hexResolution returns the H3 resolution of the hexagon tiles MapLibre
 * shows at map zoom z, from the server's table: tiles are requested at the
 * whole zoom (floor), clamped to the source's zoom range. table is either
 * [{minzoom, maxzoom, res}] or {zoom: res}. null when the table says
 * nothing for that zoom.
 */
export function hexResolution(table, z, minzoom = 0, maxzoom = 22) {
  if (!table) return null;
  const tz = Math.max(minzoom, Math.min(maxzoom, Math.floor(z + 1e-9)));
  if (Array.isArray(table)) {
    const row = table.find((r) => tz >= (r.minzoom ?? 0) && tz <= (r.maxzoom ?? 99));
    return row ? Number(row.res) : null;
  }
  const v = table[String(tz)];
  return v === undefined ? null : Number(v);
}

/** mostCommon returns the most frequent value of a list, or null. */
export function mostCommon(values) {
  const n = new Map();
  for (const v of values) n.set(v, (n.get(v) || 0) + 1);
  let best = null, count = 0;
  for (const [v, c] of n) if (c > count) { best = v; count = c; }
  return best;
}
