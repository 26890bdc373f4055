// DOM building without HTML strings: every text goes in as a text node, so
// names from a data file can never become markup.

/** $ returns the element with the id. */
export const $ = (id) => document.getElementById(id);

/**
 * h makes an element: attrs are set as attributes (class, id, role, aria-*,
 * data-*), except "style" objects which go through CSSOM; children are nodes
 * or strings (text nodes), null/false skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "style") Object.assign(el.style, v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** fill replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}
