// Staff sign-in and the household layer. The token lives in sessionStorage
// only (gone when the tab closes; never in localStorage or the URL), goes
// out as an Authorization header on the app's own requests and on household
// tile requests, and nowhere else. Household fields reach the page as text
// nodes only.
import { h, fill } from "./dom.js";
import { formatRound } from "./i18n.js";

const KEY = "labmap.token";
/** HOUSEHOLD_LAYER is the id of the household points' circle layer. */
export const HOUSEHOLD_LAYER = "households";
const SOURCE = "households";
const MIN_ZOOM = 14;
const STATUS_COLORS = { extreme: "#7f0000", poor: "#d7301f", vulnerable: "#fc8d59", non_poor: "#2b8cbe" };

/** token is the signed-in token, or "" when signed out. */
export function token(storage = window.sessionStorage) {
  try { return storage.getItem(KEY) || ""; } catch { return ""; }
}

/** authHeaders adds the Authorization header to headers when signed in. */
export function authHeaders(headers = {}) {
  const t = token();
  return t ? { ...headers, Authorization: `Bearer ${t}` } : headers;
}

/** householdTilesPath is the tile URL template of the household layer for a round. */
export function householdTilesPath(round) {
  return `/tiles/households/{z}/{x}/{y}.mvt?round=${encodeURIComponent(round)}`;
}

/**
 * transformRequest is MapLibre's hook: the token goes on household tile
 * requests to this server only, never on the public tiles (which may be
 * cached) nor to another host.
 */
export function transformRequest(url) {
  const t = token();
  if (t && url.startsWith(location.origin + "/tiles/households/")) return { url, headers: { Authorization: `Bearer ${t}` } };
  return { url };
}

/**
 * setupStaff adds the sign-in control under the panel's controls and, for a
 * staff or admin token, the household layer. ctx is main's context (map,
 * state, t, villages); track is the render signal's track.
 */
export function setupStaff(ctx, track) {
  const box = h("section", { id: "staff", class: "staff" });
  ctx.$("panel").querySelector(".controls").after(box);
  let who = null;

  const map = () => ctx.map;
  const removeLayer = () => {
    if (map().getLayer(HOUSEHOLD_LAYER)) map().removeLayer(HOUSEHOLD_LAYER);
    if (map().getSource(SOURCE)) map().removeSource(SOURCE);
  };
  const addLayer = () => {
    removeLayer();
    map().addSource(SOURCE, { type: "vector", tiles: [location.origin + householdTilesPath(ctx.state.round)], minzoom: MIN_ZOOM, maxzoom: 17 });
    map().addLayer({
      id: HOUSEHOLD_LAYER, type: "circle", source: SOURCE, "source-layer": "households", minzoom: MIN_ZOOM,
      paint: {
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 14, 3, 17, 6],
        "circle-color": ["match", ["get", "poverty_status"], ...Object.entries(STATUS_COLORS).flat(), "#666"],
        "circle-stroke-color": "#fff", "circle-stroke-width": 1,
      },
    });
  };

  const render = (message) => {
    const t = ctx.t;
    if (who) {
      const out = h("button", { id: "staff-signout", type: "button" }, t("signOut"));
      out.addEventListener("click", () => track(async () => signOut()));
      fill(box, h("p", { id: "staff-who" }, `${t("signedInAs")} ${who.name || ""} (${who.role})`), out);
      return;
    }
    const input = h("input", { id: "staff-token", type: "password", autocomplete: "off", spellcheck: "false", "aria-label": t("token") });
    const form = h("form", { id: "staff-form" }, h("label", { for: "staff-token" }, t("staffSignIn")), input,
      h("button", { id: "staff-submit", type: "submit" }, t("signIn")),
      message ? h("p", { id: "staff-error", role: "alert", class: "muted" }, message) : null);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const value = input.value.trim();
      input.value = "";
      track(async () => signIn(value));
    });
    fill(box, form);
  };

  async function whoami(t) {
    const r = await fetch("/api/whoami", { headers: { Accept: "application/json", Authorization: `Bearer ${t}` } });
    if (!r.ok) return null;
    return r.json();
  }

  async function signIn(value) {
    const p = value ? await whoami(value).catch(() => null) : null;
    if (!p || p.role === "public") {
      window.sessionStorage.removeItem(KEY);
      who = null;
      render(ctx.t("signInFailed"));
      return;
    }
    window.sessionStorage.setItem(KEY, value);
    who = p;
    if (p.households) addLayer();
    render();
  }

  function signOut() {
    window.sessionStorage.removeItem(KEY);
    who = null;
    removeLayer();
    if (ctx.state.selectedHousehold) { ctx.state.selectedHousehold = null; fill(ctx.$("info")); }
    render();
  }

  map().on("click", HOUSEHOLD_LAYER, (e) => {
    const f = e.features && e.features[0];
    if (!f) return;
    ctx.state.selectedHousehold = f.properties.household_id;
    showHousehold(ctx, f.properties).catch((err) => console.warn("household panel:", err));
  });
  map().on("mouseenter", HOUSEHOLD_LAYER, () => { map().getCanvas().style.cursor = "pointer"; });

  const stored = token();
  // setupStaff runs right after the map is made: a restored sign-in adds its
  // layer once the style has loaded.
  if (stored) map().once("load", () => track(async () => signIn(stored)));
  else render();
  return {
    /** retranslate redraws the control in the current language. */
    retranslate: () => render(),
    /** setRound points the household tiles at a round. */
    setRound: (round) => { if (map().getSource(SOURCE)) map().getSource(SOURCE).setTiles([location.origin + householdTilesPath(round)]); },
    /** expired signs out after the server refused the token. */
    expired: () => { signOut(); render(ctx.t("signInFailed")); },
  };
}

/**
 * householdRounds reads one household at every round, oldest first, as the
 * signed-in user: a round where it was not surveyed (or is outside the
 * grant) is left out. Each read is one audited request.
 */
export async function householdRounds(id, rounds, fetcher = fetch) {
  const out = [];
  for (const r of rounds) {
    const res = await fetcher(`/collections/households/items/${encodeURIComponent(id)}?round=${encodeURIComponent(r.round)}`,
      { headers: authHeaders({ Accept: "application/geo+json" }) });
    if (res.status === 404) continue;
    if (!res.ok) throw new Error(`household ${id} at ${r.round}: ${res.status}`);
    out.push((await res.json()).properties);
  }
  return out;
}

/** programLabel names a programme code in the page's language. */
export function programLabel(t, code) {
  const label = t(`program_${code}`);
  return label && label !== `program_${code}` ? label : code;
}

/**
 * showHousehold fills the info panel with a household's fields, as text:
 * first what the tile carries, then its record at every round (status,
 * programmes, causes) once read from the server.
 */
export async function showHousehold(ctx, props) {
  const t = ctx.t;
  const v = ctx.villages.find((x) => x.code === props.village_code);
  const rows = [
    [t("headName"), props.head_name ?? "–"],
    [t("povertyStatus"), t(`status_${props.poverty_status}`) || props.poverty_status],
    [t("members"), props.members],
    [t("village"), v ? `${v.name} (${props.village_code})` : props.village_code],
    [t("round"), formatRound(ctx.state.round, ctx.state.lang)],
  ];
  const table = (id, body) => h("table", { id }, h("tbody", {}, body.map(([k, val]) => h("tr", {}, h("td", {}, k), h("td", { class: "v" }, String(val ?? "–"))))));
  const head = [h("h2", { id: "info-title" }, t("household")), h("p", { class: "muted" }, `ID: ${props.household_id}`)];
  fill(ctx.$("info"), ...head, table("household-fields", rows));
  let history;
  try {
    history = await householdRounds(props.household_id, ctx.rounds);
  } catch (err) {
    fill(ctx.$("info"), ...head, table("household-fields", rows), h("p", { role: "alert", class: "muted" }, String(err.message)));
    return;
  }
  if (ctx.state.selectedHousehold !== props.household_id) return; // another click, or signing out, came first
  const now = history.find((p) => p.round === ctx.state.round) || history[history.length - 1];
  const list = (codes, label) => (codes && codes.length ? codes.map(label).join(", ") : "–");
  const yes = (b) => (b === true ? t("yes") : b === false ? t("no") : "–");
  if (now) {
    rows.push(
      [t("occupation"), now.occupation],
      [t("causes"), list(now.causes, (c) => ctx.causes[c] || c)],
      [t("programs"), list(now.programs, (c) => programLabel(t, c))],
      [t("houseUninhabitable"), `${yes(now.house_uninhabitable)}${now.house_repaired ? ` (${t("repaired")})` : ""}`],
      [t("latrine"), now.latrine],
      [t("childrenOutOfSchool"), `${now.children_out_of_school ?? "–"} / ${now.children_school_age ?? "–"}`],
      [t("chronicIll"), `${now.chronic_ill ?? "–"} (${t("treated")} ${now.chronic_ill_treated ?? "–"})`],
      [t("disabledPeople"), `${now.disabled ?? "–"} (${t("assisted")} ${now.disabled_assisted ?? "–"})`],
    );
  }
  const rounds = h("table", { id: "household-rounds" },
    h("thead", {}, h("tr", {}, h("th", {}, t("round")), h("th", {}, t("povertyStatus")), h("th", {}, t("programs")))),
    h("tbody", {}, history.map((p) => h("tr", {},
      h("td", {}, formatRound(p.round, ctx.state.lang)),
      h("td", { class: `status-${p.poverty_status}` }, t(`status_${p.poverty_status}`) || p.poverty_status),
      h("td", {}, list(p.programs, (c) => programLabel(t, c)))))));
  fill(ctx.$("info"), ...head, table("household-fields", rows), h("h3", {}, t("historyTitle")), rounds);
}
