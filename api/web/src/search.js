// Village search as an ARIA combobox: the input owns a listbox of options;
// ↑/↓ move the active option, Enter chooses it, Esc closes the list.
import { h, fill } from "./dom.js";

/** matchVillages returns up to limit villages whose name or code contains q (case-insensitive). */
export function matchVillages(villages, q, limit = 12) {
  q = String(q).trim().toLowerCase();
  if (q.length < 2) return [];
  const starts = [], contains = [];
  for (const v of villages) {
    const name = v.name.toLowerCase();
    if (name.startsWith(q) || v.code.startsWith(q)) starts.push(v);
    else if (name.includes(q) || v.code.includes(q)) contains.push(v);
  }
  return starts.concat(contains).slice(0, limit);
}

/** setupSearch wires the combobox; onChoose(village) is called with the chosen village. */
export function setupSearch({ input, list, villages, onChoose, t }) {
  let hits = [];
  let active = -1;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  list.setAttribute("role", "listbox");

  const close = () => {
    hits = []; active = -1;
    fill(list);
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  };
  const setActive = (i) => {
    active = i;
    for (const [j, li] of [...list.children].entries()) li.setAttribute("aria-selected", j === i ? "true" : "false");
    if (i >= 0 && list.children[i]) {
      input.setAttribute("aria-activedescendant", list.children[i].id);
      list.children[i].scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  };
  const choose = (i) => {
    const v = hits[i];
    if (!v) return;
    input.value = v.name;
    close();
    onChoose(v);
  };
  const update = () => {
    hits = matchVillages(villages(), input.value);
    active = -1;
    input.removeAttribute("aria-activedescendant");
    if (!input.value.trim() || input.value.trim().length < 2) { close(); return; }
    fill(list, hits.length
      ? hits.map((v, i) => h("li", { role: "option", id: `search-opt-${i}`, "aria-selected": "false", "data-code": v.code },
        v.name, h("span", { class: "muted" }, ` — ${v.districtName} (${v.code})`)))
      : h("li", { role: "option", "aria-disabled": "true", class: "muted", id: "search-none" }, t("noResults")));
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  };
  input.addEventListener("input", update);
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      if (list.hidden) update();
      if (hits.length) setActive((active + 1) % hits.length);
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      if (hits.length) setActive(active <= 0 ? hits.length - 1 : active - 1);
    } else if (e.key === "Enter") {
      if (hits.length) { e.preventDefault(); choose(active >= 0 ? active : 0); }
    } else if (e.key === "Escape") {
      if (!list.hidden) { e.preventDefault(); e.stopPropagation(); close(); }
    }
  });
  // mousedown, not click: the input must keep focus until the choice is made.
  list.addEventListener("mousedown", (e) => {
    const li = e.target.closest("li[role=option][data-code]");
    if (!li) return;
    e.preventDefault();
    choose([...list.children].indexOf(li));
  });
  input.addEventListener("blur", () => { if (!list.hidden) close(); });
  close();
  return { close };
}
