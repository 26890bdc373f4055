// The legend, in the side panel and in the presentation box: one row per
// colour class, then what grey, hatching, the zone outline and the sea mean.
import { h, fill } from "./dom.js";
import { SUPPRESSED, NO_VALUE } from "./colors.js";
import { ZONE_COLORS, SEA } from "./map.js";

/**
 * legendRows lists the legend after the classes: suppressed, withheld (only
 * for sensitive indicators), no data, lab outlines, sea.
 */
export function legendExtras({ t, k, sensitive }) {
  const rows = [{ color: SUPPRESSED, label: t("suppressed", { k }), key: "suppressed" }];
  if (sensitive) rows.push({ pattern: "hatch", label: t("withheld", { k }), key: "withheld" });
  rows.push({ color: NO_VALUE, label: t("noValue"), key: "novalue" });
  rows.push({ outline: ZONE_COLORS.coastal, label: t("zoneOutline"), key: "zone" });
  rows.push({ color: SEA, label: t("sea"), key: "sea" });
  return rows;
}

function swatch(e) {
  if (e.pattern) return h("span", { class: "sw hatch", "aria-hidden": "true" });
  if (e.outline) return h("span", { class: "sw zone", "aria-hidden": "true", style: { borderColor: e.outline } });
  return h("span", { class: "sw", "aria-hidden": "true", style: { backgroundColor: e.color } });
}

/** renderLegend fills el with a title and rows ({color|pattern|outline, label}). */
export function renderLegend(el, title, rows, note) {
  fill(el,
    h("h2", {}, title),
    note ? h("p", { class: "note" }, note) : null,
    rows.map((e) => h("div", { class: "row", "data-key": e.key || null }, swatch(e), h("span", {}, e.label))));
}
