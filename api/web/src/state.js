// The page's state as a URL fragment: everything a shared link must
// reproduce. Parsing never trusts the fragment: unknown values fall back to
// the defaults instead of reaching the page.

/** LEVELS are the area levels the map can colour. */
export const LEVELS = ["villages", "districts", "hexagons"];

/** defaults is the state of a page opened without a fragment. */
export function defaults() {
  return { indicator: "poverty_rate", level: "villages", round: "", zone: "", lang: "id", change: false, view: null };
}

const KEY = /^[a-z0-9_]{1,64}$/;
const ROUND = /^\d{4}-\d{2}-\d{2}$/;
const ZONE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * parseHash reads "#indicator=...&level=...&map=z/lat/lng" into a state;
 * each field that is absent or malformed keeps its default.
 */
export function parseHash(hash) {
  const s = defaults();
  const p = new URLSearchParams(String(hash || "").replace(/^#/, ""));
  const ind = p.get("indicator");
  if (ind && KEY.test(ind)) s.indicator = ind;
  const level = p.get("level");
  if (LEVELS.includes(level)) s.level = level;
  const round = p.get("round");
  if (round && ROUND.test(round)) s.round = round;
  const zone = p.get("zone");
  if (zone && ZONE.test(zone)) s.zone = zone;
  const lang = p.get("lang");
  if (lang === "id" || lang === "en") s.lang = lang;
  s.change = p.get("change") === "1";
  const view = (p.get("map") || "").split("/");
  if (view.length === 3 && view.every((x) => x.trim() !== "")) {
    const [z, lat, lng] = view.map(Number);
    if ([z, lat, lng].every(Number.isFinite) && z >= 0 && z <= 24 && Math.abs(lat) <= 90 && Math.abs(lng) <= 180) {
      s.view = { zoom: z, lat, lng };
    }
  }
  return s;
}

/** serialiseHash writes a state as a fragment (with "#"), the inverse of parseHash. */
export function serialiseHash(s) {
  const p = new URLSearchParams();
  p.set("indicator", s.indicator);
  p.set("level", s.level);
  if (s.round) p.set("round", s.round);
  p.set("lang", s.lang);
  if (s.zone) p.set("zone", s.zone);
  if (s.change) p.set("change", "1");
  if (s.view) p.set("map", `${s.view.zoom.toFixed(2)}/${s.view.lat.toFixed(5)}/${s.view.lng.toFixed(5)}`);
  return "#" + p.toString().replaceAll("%2F", "/");
}
