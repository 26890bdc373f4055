// Keys of the offline pack's data, shared by the page (offline.js) and the
// tests; pure, so that the Go writer and the page can be checked to agree.

/** packStatsKey names one /api/stats answer in the pack: level, round, language, zone. */
export function packStatsKey(level, round, lang, zone) {
  return `${level}|${round}|${lang}|${zone || ""}`;
}

/** packStyleKey names one /styles answer in the pack: indicator, layer, language. */
export function packStyleKey(indicator, layer, lang) {
  return `${indicator}|${layer}|${lang}`;
}

/** decodeBase64 turns base64 text into bytes. */
export function decodeBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
