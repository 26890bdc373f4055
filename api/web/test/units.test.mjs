// Unit tests of the web map's pure functions, in Node without a browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatNumber, formatRound, formatDelta, translate, T } from "../src/i18n.js";
import { parseHash, serialiseHash, defaults } from "../src/state.js";
import {
  changeColors, changeSteps, classify, niceCeil, categoricalPalette, categoryExpression, hexResolution, mostCommon,
  changeColorExpression, SUPPRESSED, NO_VALUE, OTHER_COLOR,
} from "../src/colors.js";
import { wrapText, scaleBar, metresPerPixel } from "../src/layout.js";
import { matchVillages } from "../src/search.js";
import { hatchImage } from "../src/map.js";

test("formatRound names the month in words", () => {
  for (const [iso, lang, want] of [
    ["2020-06-01", "id", "Juni 2020"], ["2020-06-01", "en", "June 2020"], ["2017-12-01", "id", "Desember 2017"],
    ["2019-08-15", "id", "Agustus 2019"], ["2019-05", "en", "May 2019"], ["2019-13-01", "id", "2019-13-01"], ["kemarin", "id", "kemarin"],
    ["", "id", ""],
  ]) assert.equal(formatRound(iso, lang), want, `${iso} ${lang}`);
});

test("formatNumber uses each language's separators and percent for ratios", () => {
  for (const [v, unit, lang, want] of [
    [0.1234, "ratio", "id", "12,3%"], [0.1234, "ratio", "en", "12.3%"], [12345, "households", "id", "12.345"],
    [12345, "households", "en", "12,345"], [null, "ratio", "id", "–"], [undefined, "", "en", "–"], [NaN, "", "en", "–"],
    [1, "ratio", "id", "100,0%"], ["Pendapatan rendah", "category", "id", "Pendapatan rendah"],
  ]) assert.equal(formatNumber(v, unit, lang), want, `${v} ${unit} ${lang}`);
});

test("formatDelta signs changes and names points", () => {
  assert.equal(formatDelta(2.5, "ratio", "id"), "+2,5 poin");
  assert.equal(formatDelta(-5, "ratio", "en"), "-5 points");
  assert.equal(formatDelta(-20, "households", "id"), "-20");
  assert.equal(formatDelta(0, "ratio", "en"), "0 points");
  assert.equal(formatDelta(null, "ratio", "en"), "–");
});

test("translate fills placeholders and every key exists in both languages", () => {
  assert.equal(translate("id", "suppressed", { k: 5 }), "disembunyikan: kurang dari 5 rumah tangga");
  assert.equal(translate("en", "suppressed", { k: 7 }), "hidden: fewer than 7 households");
  assert.deepEqual(Object.keys(T.en).sort(), Object.keys(T.id).sort());
});

test("the URL state round-trips and rejects malformed fields", () => {
  const cases = [
    { hash: "", want: defaults() },
    { hash: "#indicator=lifted_rate&level=hexagons&round=2019-06-01&lang=en&zone=urban-kertijayan&change=1&map=10.50/-7.03000/109.62000",
      want: { indicator: "lifted_rate", level: "hexagons", round: "2019-06-01", lang: "en", zone: "urban-kertijayan", change: true, view: { zoom: 10.5, lat: -7.03, lng: 109.62 } } },
    { hash: "#level=planets&lang=fr&round=june&indicator=<img>&map=abc/1/2&zone=a b",
      want: defaults() },
    { hash: "#map=30/0/0", want: defaults() },
    { hash: "#map=11/-7.0/109.6", want: { ...defaults(), view: { zoom: 11, lat: -7, lng: 109.6 } } },
  ];
  for (const { hash, want } of cases) assert.deepEqual(parseHash(hash), want, hash);
  const s = parseHash(cases[1].hash);
  assert.deepEqual(parseHash(serialiseHash(s)), s);
  assert.equal(serialiseHash(s), cases[1].hash);
});

test("change colours: blue is good news for every direction", () => {
  const blue = "#2166ac", red = "#b2182b";
  const lower = changeColors("lower"), higher = changeColors("higher"), neutral = changeColors("neutral");
  // Classes run from strongest fall (0) to strongest rise (6).
  assert.equal(lower[0], blue, "a fall of a lower-is-better figure is blue");
  assert.equal(lower[6], red);
  assert.equal(higher[6], blue, "a rise of a higher-is-better figure is blue");
  assert.equal(higher[0], red);
  assert.ok(!neutral.includes(red) && !neutral.includes(blue), "neutral indicators use neither alarm colour");
  assert.deepEqual(changeColors(undefined), neutral);
  for (const c of [lower, higher, neutral]) assert.equal(c.length, 7);
});

test("change steps are symmetric round numbers with zero in the middle class", () => {
  for (const [deltas, outer] of [
    [[-3, -1, 0, 0.5, 2, 4, 8, 9, 9.5, 10.2], 20], [[0.2, -0.3, 0.1], 0.5], [[], 1], [[0, 0, 0], 1], [[-40, 3, 7], 50],
  ]) {
    const s = changeSteps(deltas);
    assert.equal(s.length, 6);
    assert.equal(s[5], outer, JSON.stringify(deltas));
    for (let i = 0; i < 3; i++) assert.equal(s[i], -s[5 - i]);
    assert.equal(classify(0, s), 3, "zero is in the middle class");
    for (let i = 1; i < 6; i++) assert.ok(s[i] > s[i - 1]);
  }
  assert.equal(classify(-1000, [-1, 1]), 0);
  assert.equal(classify(1, [-1, 1]), 2);
  assert.equal(niceCeil(7), 10);
  assert.equal(niceCeil(2.1), 2.5);
  assert.equal(niceCeil(0.03), 0.05);
  const e = changeColorExpression([-1, 1], ["a", "b", "c"]);
  assert.equal(e[0], "case");
  assert.equal(e[e.length - 1], NO_VALUE);
});

test("the categorical palette has a distinct colour per category and no reserved grey", () => {
  const counts = {};
  for (let i = 0; i < 15; i++) counts[`c${i}`] = 100 - i;
  const pal = categoricalPalette(counts);
  assert.equal(pal.colors.length, 15);
  assert.deepEqual(pal.other, []);
  const colors = pal.colors.map((c) => c.color);
  assert.equal(new Set(colors).size, 15, "colours repeat");
  const rgb = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
  for (const c of colors) {
    assert.notEqual(c, SUPPRESSED); assert.notEqual(c, NO_VALUE);
    const [r, g, b] = rgb(c);
    assert.ok(Math.max(r, g, b) - Math.min(r, g, b) > 40, `${c} is nearly grey`);
  }
  for (let i = 0; i < colors.length; i++) for (let j = i + 1; j < colors.length; j++) {
    const [a, b] = [rgb(colors[i]), rgb(colors[j])];
    const d = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    assert.ok(d > 40, `${colors[i]} and ${colors[j]} are too close (${d.toFixed(0)})`);
  }
  assert.equal(pal.colors[0].value, "c0", "the most frequent category gets the first colour");

  const many = {};
  for (let i = 0; i < 25; i++) many[`k${String(i).padStart(2, "0")}`] = 50 - i;
  const p2 = categoricalPalette(many);
  assert.equal(p2.colors.length + p2.other.length, 25);
  assert.ok(p2.other.includes("k24") && !p2.other.includes("k00"));
  const expr = categoryExpression("dominant_cause", p2);
  assert.equal(expr[expr.length - 1], OTHER_COLOR);
  assert.ok(!p2.colors.some((c) => c.color === OTHER_COLOR));
});

test("hexagon resolution comes from the server table by whole tile zoom", () => {
  const ranges = [{ minzoom: 0, maxzoom: 8, res: 6 }, { minzoom: 9, maxzoom: 10, res: 7 }, { minzoom: 11, maxzoom: 12, res: 8 },
    { minzoom: 13, maxzoom: 13, res: 9 }, { minzoom: 14, maxzoom: 16, res: 10 }];
  const byZoom = { 9: 7, 10: 7, 11: 8, 16: 10 };
  for (const [table, z, want] of [
    [ranges, 10.5, 7], [ranges, 10.99, 7], [ranges, 11, 8], [ranges, 8.9, 6], [ranges, 13.5, 9], [ranges, 18, 10],
    [byZoom, 10.5, 7], [byZoom, 11.2, 8], [byZoom, 20, 10], [byZoom, 3, null], [null, 10, null],
  ]) assert.equal(hexResolution(table, z, 0, 16), want, `${JSON.stringify(table).slice(0, 20)} z${z}`);
  assert.equal(mostCommon([7, 7, 6]), 7);
  assert.equal(mostCommon([]), null);
});

test("wrapText never cuts the title and keeps each line within the width", () => {
  const measure = (s) => s.length * 10;
  const title = "Peta Laboratorium Kemiskinan — Laboratorium Kemiskinan Kawasan Hutan Botosari: Tingkat kemiskinan, Juni 2020";
  for (const width of [200, 400, 1000, 5000]) {
    const lines = wrapText(title, width, measure);
    assert.equal(lines.join(" "), title);
    for (const l of lines) assert.ok(measure(l) <= width, `${l} wider than ${width}`);
  }
  const long = wrapText("Supercalifragilistic", 50, measure);
  assert.equal(long.join(""), "Supercalifragilistic");
  for (const l of long) assert.ok(measure(l) <= 50);
});

test("scale bar picks a round length within the space", () => {
  for (const [mpp, px, label] of [[10, 250, "2 km"], [1, 250, "200 m"], [37, 260, "5 km"], [0.5, 100, "50 m"]]) {
    const b = scaleBar(mpp, px);
    assert.equal(b.label, label);
    assert.ok(b.px <= px && b.px > px / 5.1);
  }
  assert.ok(Math.abs(metresPerPixel(0, 0) - 78271.5) < 1);
});

test("search matches names and codes, prefixes first", () => {
  const v = [{ code: "33.26.14.2009", name: "Kertijayan" }, { code: "33.26.01.2001", name: "Klesem" }, { code: "33.26.02.2001", name: "Sijayan" }];
  assert.deepEqual(matchVillages(v, "jayan").map((x) => x.name), ["Kertijayan", "Sijayan"]);
  assert.deepEqual(matchVillages(v, "si").map((x) => x.name), ["Sijayan"]);
  assert.deepEqual(matchVillages(v, "33.26.14").map((x) => x.code), ["33.26.14.2009"]);
  assert.deepEqual(matchVillages(v, "k"), [], "one letter is too short");
});

test("the hatch pattern has dark and light pixels", () => {
  const img = hatchImage(8);
  assert.equal(img.data.length, 8 * 8 * 4);
  const dark = [...Array(64).keys()].filter((i) => img.data[i * 4] < 128).length;
  assert.ok(dark > 8 && dark < 32, `${dark} dark pixels`);
});

test("labelPoints gives one point per area, on its largest piece", async () => {
  const { labelPoints } = await import("../src/map.js");
  const sq = (x, y, s) => [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]];
  const pieces = [
    { properties: { code: "a", name: "A" }, geometry: { type: "Polygon", coordinates: sq(0, 0, 1) } },
    { properties: { code: "a", name: "A" }, geometry: { type: "Polygon", coordinates: sq(1, 0, 3) } },
    { properties: { code: "b", name: "B", kind: "urban" }, geometry: { type: "MultiPolygon", coordinates: [sq(10, 10, 2), sq(20, 20, 1)] } },
    { properties: {}, geometry: { type: "Polygon", coordinates: sq(0, 0, 1) } },
  ];
  const pts = labelPoints(pieces, "zones");
  assert.equal(pts.length, 2);
  const a = pts.find((p) => p.properties.code === "a");
  assert.deepEqual(a.geometry.coordinates, [2.5, 1.5]);
  const b = pts.find((p) => p.properties.code === "b");
  assert.deepEqual(b.geometry.coordinates, [11, 11]);
  assert.deepEqual(b.properties, { code: "b", name: "B", kind: "urban", level: "zones" });
});
