// Presentation mode for meetings and the PNG export for slides and print:
// the map with its full title, legend, key figures, survey round, source,
// scale bar and north arrow, composed on a canvas.
import { wrapText, scaleBar, metresPerPixel, EXPORT_SIZES } from "./layout.js";
import { formatRound } from "./i18n.js";
import { SEA } from "./map.js";

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/**
 * composeExport draws the export on a new canvas of the named size and
 * returns it with what was drawn (title lines and widths) for checking.
 */
export function composeExport(ctx, sizeName) {
  const { width: W, height: H } = EXPORT_SIZES[sizeName];
  const s = W / 1920;
  const c = document.createElement("canvas");
  c.width = W; c.height = H;
  const g = c.getContext("2d");
  const m = 36 * s;
  g.fillStyle = "#ffffff";
  g.fillRect(0, 0, W, H);

  // Title: the full title, wrapped; never cut.
  const title = ctx.exportTitle();
  g.fillStyle = "#111";
  g.textBaseline = "top";
  g.font = `bold ${40 * s}px ${FONT}`;
  const maxTitle = W - 2 * m;
  const titleLines = wrapText(title, maxTitle, (x) => g.measureText(x).width);
  const titleWidths = titleLines.map((l) => g.measureText(l).width);
  let y = m;
  for (const l of titleLines) { g.fillText(l, m, y); y += 48 * s; }
  g.font = `${26 * s}px ${FONT}`;
  g.fillStyle = "#333";
  for (const l of wrapText(ctx.legendTitle(), maxTitle, (x) => g.measureText(x).width)) { g.fillText(l, m, y); y += 32 * s; }
  y += 12 * s;

  // Map, cropped to fill its frame.
  const sideW = 560 * s;
  const footH = 40 * s;
  const mx = m, my = y, mw = W - 3 * m - sideW, mh = H - y - m - footH;
  const src = ctx.map.getCanvas();
  const scale = Math.max(mw / src.width, mh / src.height);
  const sw = mw / scale, sh = mh / scale;
  g.fillStyle = SEA;
  g.fillRect(mx, my, mw, mh);
  g.drawImage(src, (src.width - sw) / 2, (src.height - sh) / 2, sw, sh, mx, my, mw, mh);
  g.strokeStyle = "#777"; g.lineWidth = 1.5 * s;
  g.strokeRect(mx, my, mw, mh);

  // Scale bar: the map canvas has devicePixelRatio pixels per CSS pixel.
  const centre = ctx.map.getCenter();
  const dpr = src.width / src.clientWidth || window.devicePixelRatio || 1;
  const mpp = metresPerPixel(centre.lat, ctx.map.getZoom()) / dpr / scale;
  const bar = scaleBar(mpp, 260 * s);
  const bx = mx + 24 * s, by = my + mh - 36 * s;
  g.fillStyle = "rgba(255,255,255,0.85)";
  g.fillRect(bx - 10 * s, by - 34 * s, bar.px + 20 * s, 56 * s);
  g.fillStyle = "#111";
  g.fillRect(bx, by, bar.px, 8 * s);
  g.font = `${20 * s}px ${FONT}`;
  g.fillText(bar.label, bx, by - 28 * s);

  // North arrow (the map is kept north-up: rotation is disabled).
  const ax = mx + mw - 50 * s, ay = my + 24 * s;
  g.fillStyle = "rgba(255,255,255,0.85)";
  g.fillRect(ax - 30 * s, ay - 8 * s, 60 * s, 96 * s);
  g.fillStyle = "#111";
  g.beginPath();
  g.moveTo(ax, ay + 28 * s); g.lineTo(ax - 16 * s, ay + 80 * s); g.lineTo(ax, ay + 68 * s); g.lineTo(ax + 16 * s, ay + 80 * s);
  g.closePath(); g.fill();
  g.font = `bold ${24 * s}px ${FONT}`;
  g.textAlign = "center";
  g.fillText(ctx.t("north"), ax, ay);
  g.textAlign = "left";

  // Side column: legend, key figures, round, source.
  const sx = W - m - sideW;
  let sy = my;
  const side = (text, px, bold = false, color = "#111") => {
    g.font = `${bold ? "bold " : ""}${px * s}px ${FONT}`;
    g.fillStyle = color;
    for (const l of wrapText(text, sideW, (x) => g.measureText(x).width)) { g.fillText(l, sx, sy); sy += px * 1.25 * s; }
  };
  side(ctx.t("legend"), 26, true);
  sy += 4 * s;
  for (const e of ctx.legendRows()) {
    const sq = 24 * s;
    if (e.pattern) {
      g.fillStyle = "#ececec"; g.fillRect(sx, sy, sq * 1.4, sq);
      g.strokeStyle = "#5a5a5a"; g.lineWidth = 2 * s;
      g.save(); g.beginPath(); g.rect(sx, sy, sq * 1.4, sq); g.clip();
      for (let d = -sq; d < sq * 2.4; d += 7 * s) { g.beginPath(); g.moveTo(sx + d, sy + sq); g.lineTo(sx + d + sq, sy); g.stroke(); }
      g.restore();
    } else if (e.outline) {
      g.strokeStyle = e.outline; g.lineWidth = 4 * s; g.setLineDash([8 * s, 4 * s]);
      g.strokeRect(sx + 2 * s, sy + 2 * s, sq * 1.4 - 4 * s, sq - 4 * s); g.setLineDash([]);
    } else {
      g.fillStyle = e.color; g.fillRect(sx, sy, sq * 1.4, sq);
    }
    g.strokeStyle = "#888"; g.lineWidth = 1 * s; g.strokeRect(sx, sy, sq * 1.4, sq);
    g.font = `${20 * s}px ${FONT}`; g.fillStyle = "#111";
    const lines = wrapText(e.label, sideW - sq * 1.4 - 12 * s, (x) => g.measureText(x).width);
    lines.forEach((l, i) => g.fillText(l, sx + sq * 1.4 + 12 * s, sy + 2 * s + i * 24 * s));
    sy += Math.max(sq + 8 * s, lines.length * 24 * s + 6 * s);
  }
  sy += 14 * s;
  const figs = ctx.keyFigures();
  side(figs.heading, 24, true);
  for (const [label, value] of figs.rows) {
    g.font = `${20 * s}px ${FONT}`; g.fillStyle = "#111";
    g.fillText(label, sx, sy);
    g.textAlign = "right"; g.font = `bold ${20 * s}px ${FONT}`;
    g.fillText(value, sx + sideW, sy);
    g.textAlign = "left";
    sy += 26 * s;
  }
  sy += 14 * s;
  side(`${ctx.t("surveyRound")}: ${formatRound(ctx.state.round, ctx.state.lang)}`, 22, true);
  if (ctx.region && ctx.region.synthetic) side(ctx.t("synthetic"), 20, true, "#7a4b00");

  // Footer: source.
  g.font = `${18 * s}px ${FONT}`; g.fillStyle = "#444";
  const foot = `${ctx.t("source")}: ${(ctx.region && ctx.region.source) || "–"} · ${ctx.t("exportedBy")}`;
  g.fillText(wrapText(foot, W - 2 * m, (x) => g.measureText(x).width)[0] || "", m, H - m - 18 * s);
  return { canvas: c, title, titleLines, titleWidths, maxTitleWidth: maxTitle };
}

/** exportPNG composes the export and downloads it as a PNG file. */
export async function exportPNG(ctx, sizeName) {
  await ctx.whenRendered();
  const out = composeExport(ctx, sizeName);
  const blob = await new Promise((resolve) => out.canvas.toBlob(resolve, "image/png"));
  const a = document.createElement("a");
  a.download = `labmap-${ctx.state.indicator}-${ctx.state.round}${ctx.state.zone ? "-" + ctx.state.zone : ""}-${sizeName}.png`;
  a.href = URL.createObjectURL(blob);
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
  window.__labmapLastExport = {
    size: sizeName, width: out.canvas.width, height: out.canvas.height, bytes: blob.size,
    title: out.title, titleLines: out.titleLines, titleWidths: out.titleWidths, maxTitleWidth: out.maxTitleWidth,
  };
}
