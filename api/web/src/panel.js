// The info panel (figures of a clicked area, a zone or the regency) and the
// "Tentang data" panel. All text goes into the DOM as text nodes.
import { h, fill } from "./dom.js";
import { formatNumber, formatRound } from "./i18n.js";

/** KEY_FIGURES are shown for every area, after the chosen indicator. */
export const KEY_FIGURES = ["households", "poverty_rate", "lifted_rate", "rtlh_repaired_rate", "latrine_access_rate", "out_of_school_rate"];

/** figuresTable lists an area's figures, the chosen indicator first and highlighted. */
export function figuresTable(ctx, row, highlight) {
  if (!row) return null;
  if (row.suppressed) return h("p", {}, ctx.t("suppressed", { k: ctx.k }));
  const withheld = new Set(row.withheld || []);
  const keys = [...new Set([highlight, ...KEY_FIGURES])];
  return h("table", {}, h("tbody", {}, keys.map((key) => {
    const ind = ctx.indicator(key);
    let v = key === "dominant_cause" ? row.dominant_cause_label || ctx.causes[row.dominant_cause] || row.dominant_cause : row[key];
    const shown = withheld.has(key) ? ctx.t("withheld", { k: ctx.k }).split(":")[0] : formatNumber(v, ind.unit, ctx.state.lang);
    return h("tr", { class: key === highlight ? "hl" : null, "data-key": key },
      h("td", {}, ind.label), h("td", { class: "v" }, shown));
  })));
}

/** showArea fills the info panel for an area from a tile feature's properties. */
export function showArea(ctx, props, layer) {
  const info = ctx.$("info");
  const isHex = layer === "hexagons";
  const title = isHex ? `${ctx.t("hexagons")} (res ${props.res ?? "?"})` : String(props.name ?? props.code);
  const sub = [];
  sub.push(h("p", { class: "muted" }, `${ctx.t("code")}: ${props.code}`));
  if (props.district_code) {
    const v = ctx.villages.find((x) => x.code === props.code);
    sub.push(h("p", {}, `${ctx.t("district")}: ${v ? v.districtName : ""} (${props.district_code})`));
  }
  const row = { ...props };
  const stats = ctx.rowFor(layer, props.code);
  if (stats && stats.withheld) row.withheld = stats.withheld;
  fill(info, h("h2", { id: "info-title" }, title), sub, figuresTable(ctx, row, ctx.state.indicator));
}

/** showFigures fills an element with a heading and an area's figures table. */
export function showFigures(ctx, el, heading, row, hint) {
  fill(el, h("h2", {}, `${heading}`), figuresTable(ctx, row, ctx.state.indicator), hint ? h("p", { class: "muted" }, hint) : null);
}

/**
 * renderAbout fills the "Tentang data" panel: the synthetic-data notice,
 * each indicator's definition, the rounds in words, the suppression rule
 * and the source of the boundaries.
 */
export function renderAbout(ctx, el) {
  const { t } = ctx;
  const lang = ctx.state.lang;
  const region = ctx.region || {};
  const better = { lower: t("lowerBetter"), higher: t("higherBetter"), neutral: t("neutral") };
  fill(el,
    h("h2", { id: "about-title" }, t("about")),
    region.synthetic ? h("p", { class: "synthetic-notice", role: "note", id: "about-synthetic" }, t("syntheticNotice")) : null,
    h("h3", {}, t("rounds")),
    h("ul", { id: "about-rounds" }, ctx.rounds.map((r) => h("li", {}, formatRound(r.round, lang) + (r.baseline ? ` (${t("baseline")})` : "")))),
    h("h3", {}, t("suppressed", { k: ctx.k }).split(":")[0]),
    h("p", { id: "about-suppression" }, t("suppressionRule", { k: ctx.k, k1: ctx.k - 1 })),
    h("h3", {}, t("definitions")),
    h("dl", { id: "about-definitions" }, ctx.indicators.flatMap((i) => [
      h("dt", { "data-key": i.key }, i.label),
      h("dd", {}, i.description || "", i.better && better[i.better] ? ` (${better[i.better]})` : ""),
    ])),
    h("h3", {}, t("source")),
    h("p", { id: "about-source" }, region.source || "–"));
}
