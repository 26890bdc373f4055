// Layout arithmetic for the exported PNG, pure so that it can be tested
// without a canvas: the text measure is passed in.

/**
 * wrapText breaks text into lines no wider than maxWidth as measured by
 * measure(string) -> width. Words are never cut unless one alone is wider
 * than the line, which is then broken by characters.
 */
export function wrapText(text, maxWidth, measure) {
  const words = String(text).split(/\s+/).filter(Boolean);
  const lines = [];
  let line = "";
  for (const w of words) {
    const next = line ? `${line} ${w}` : w;
    if (measure(next) <= maxWidth) { line = next; continue; }
    if (line) lines.push(line);
    if (measure(w) <= maxWidth) { line = w; continue; }
    let part = "";
    for (const ch of w) {
      if (measure(part + ch) > maxWidth && part) { lines.push(part); part = ""; }
      part += ch;
    }
    line = part;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * scaleBar picks a round length for a scale bar no longer than maxPx, given
 * metres per pixel: {metres, px, label}.
 */
export function scaleBar(metresPerPx, maxPx) {
  const maxM = metresPerPx * maxPx;
  const p = 10 ** Math.floor(Math.log10(maxM));
  let m = p;
  for (const f of [1, 2, 5]) if (f * p <= maxM) m = f * p;
  const label = m >= 1000 ? `${m / 1000} km` : `${m} m`;
  return { metres: m, px: m / metresPerPx, label };
}

/** metresPerPixel at latitude lat and zoom z for 512-pixel tiles (MapLibre's zoom). */
export function metresPerPixel(lat, z) {
  return (40075016.686 * Math.cos((lat * Math.PI) / 180)) / (512 * 2 ** z);
}

/** EXPORT_SIZES are the PNG sizes offered: a 16:9 slide and A4 landscape at 300 dpi. */
export const EXPORT_SIZES = { slide: { width: 1920, height: 1080 }, a4: { width: 3508, height: 2480 } };
