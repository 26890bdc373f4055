package report

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"labmap/data"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// Page 1's layout in millimetres (A4 landscape, 297 × 210). Tests read the
// map's box to find a village's pixel on the rendered page.
const (
	pageW, pageH = 297.0, 210.0
	margin       = 10.0
	mapX, mapY   = margin, 30.0
	mapW, mapH   = 170.0, 118.0
	// mapDPI is the resolution the map is rasterised at for print.
	mapDPI = 200.0
)

// mapPixels is the size of the PDF's map image.
func mapPixels() (w, h int) {
	mw, mh := mapW/25.4*mapDPI, mapH/25.4*mapDPI
	return int(mw), int(mh)
}

// newDocument is an A4 landscape PDF with the Go fonts embedded (as
// TrueType subsets, by fpdf's UTF-8 font support), so that Indonesian and
// the en dash, ≥ and · print on any reader without system fonts.
func newDocument(m *model) *fpdf.Fpdf {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.SetAutoPageBreak(true, margin)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetTitle(m.title(), true)
	pdf.SetCreator("labmap", true)
	pdf.SetLang(m.lang)
	return pdf
}

// writePDF lays out the report of m and writes it to w.
func writePDF(m *model, w io.Writer) error {
	pdf := newDocument(m)
	// Page 1 is laid out to fit; a page break there would only scatter it.
	pdf.SetAutoPageBreak(false, margin)
	pdf.AddPage()
	m.pdfTitle(pdf)
	if err := m.pdfMap(pdf); err != nil {
		return err
	}
	m.pdfKeyFigures(pdf)
	m.pdfCharts(pdf)
	pdf.SetAutoPageBreak(true, margin)
	pdf.AddPage()
	m.pdfTable(pdf)
	m.pdfNotes(pdf)
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("report: laying out the PDF: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("report: writing the PDF: %w", err)
	}
	return nil
}

func (m *model) pdfTitle(pdf *fpdf.Fpdf) {
	pdf.SetXY(margin, margin)
	pdf.SetFont("go", "B", 16)
	pdf.CellFormat(pageW-2*margin, 8, m.reportTitle(), "", 1, "L", false, 0, "")
	pdf.SetFont("go", "", 10)
	pdf.SetTextColor(80, 80, 80)
	pdf.CellFormat(pageW-2*margin, 5, m.reportSubtitle(), "", 1, "L", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
}

// reportTitle is the lab's name and kind, or the region's name.
func (m *model) reportTitle() string {
	return text(m.lang, "report") + ": " + m.placeName()
}

// reportSubtitle is the round in words, the kecamatan of a zone and the
// indicator mapped.
func (m *model) reportSubtitle() string {
	parts := []string{text(m.lang, "surveyRound") + " " + FormatRound(m.round, m.lang)}
	if m.zone != nil {
		var names []string
		seen := map[string]bool{}
		for _, v := range m.villages {
			if n := m.districtNames[v.Parent]; n != "" && !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		parts = append(parts, text(m.lang, "kecamatan")+" "+strings.Join(names, ", "))
	}
	if m.synthetic {
		parts = append(parts, text(m.lang, "syntheticShort"))
	}
	return strings.Join(parts, " · ")
}

func (m *model) pdfMap(pdf *fpdf.Fpdf) error {
	w, h := mapPixels()
	img, err := m.renderMap(w, h, false)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := encodePNG(&buf, img); err != nil {
		return err
	}
	pdf.RegisterImageOptionsReader("map", fpdf.ImageOptions{ImageType: "PNG"}, &buf)
	pdf.ImageOptions("map", mapX, mapY, mapW, mapH, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	return nil
}

// figure is one indicator's value in one row as the map writes it, and the
// raw value for sums of change.
type figure struct {
	text  string
	value float64
	ok    bool
}

// figureOf formats indicator key of row as the web map does, or says why
// it is not shown.
func (m *model) figureOf(row *data.AreaStats, key string) figure {
	if row.Suppressed {
		return figure{text: text(m.lang, "suppressedShort")}
	}
	i := data.IndicatorIndex(key)
	if i < 0 || i >= len(row.Values) {
		return figure{text: "–"}
	}
	v := row.Values[i]
	switch {
	case v.Withheld:
		return figure{text: text(m.lang, "withheldShort")}
	case !v.Valid:
		return figure{text: "–"}
	case data.Indicators[i].Kind == data.KindCategory:
		return figure{text: v.Text}
	}
	return figure{text: FormatNumber(v.Number, data.Indicators[i].Unit, m.lang), value: v.Number, ok: true}
}

func (m *model) pdfKeyFigures(pdf *fpdf.Fpdf) {
	x := mapX + mapW + 6
	w := pageW - margin - x
	pdf.SetXY(x, mapY)
	pdf.SetFont("go", "B", 11)
	pdf.CellFormat(w, 6, text(m.lang, "figures"), "", 2, "L", false, 0, "")
	base, now := &m.summary[0], &m.summary[len(m.summary)-1]
	pdf.SetFont("go", "B", 7.5)
	cols := []float64{w - 3*17, 17, 17, 17}
	head := []string{"", FormatRound(base.Round, m.lang), FormatRound(now.Round, m.lang), text(m.lang, "change")}
	pdf.SetX(x)
	for i, c := range head {
		pdf.CellFormat(cols[i], 5, c, "B", 0, alignOf(i), false, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("go", "", 7.5)
	for _, key := range KeyFigures() {
		ind := data.Indicators[data.IndicatorIndex(key)]
		b, n := m.figureOf(base, key), m.figureOf(now, key)
		change := "–"
		if b.ok && n.ok {
			change = FormatDelta(Delta(n.value, b.value, ind.Unit), ind.Unit, m.lang)
		}
		pdf.SetX(x)
		for i, c := range []string{ind.Label.In(m.lang), b.text, n.text, change} {
			pdf.CellFormat(cols[i], 5, c, "", 0, alignOf(i), false, 0, "")
		}
		pdf.Ln(-1)
	}
}

func alignOf(col int) string {
	if col == 0 {
		return "L"
	}
	return "R"
}

// Charts sit in a 2 × 4 grid under the key figures.
const (
	chartsX, chartsY = mapX + mapW + 6, 92.0
	chartW, chartH   = 50.0, 25.0
)

// pdfCharts draws one small bar chart per key figure across the rounds up
// to the reported one; a hidden figure has no bar and its mark instead.
func (m *model) pdfCharts(pdf *fpdf.Fpdf) {
	pdf.SetXY(chartsX, chartsY-7)
	pdf.SetFont("go", "B", 9)
	pdf.CellFormat(pageW-margin-chartsX, 5, text(m.lang, "acrossRounds"), "", 0, "L", false, 0, "")
	for i, key := range KeyFigures() {
		x := chartsX + float64(i%2)*(chartW+1)
		y := chartsY + float64(i/2)*(chartH+1.5)
		m.pdfChart(pdf, key, x, y)
	}
}

func (m *model) pdfChart(pdf *fpdf.Fpdf, key string, x, y float64) {
	ind := data.Indicators[data.IndicatorIndex(key)]
	pdf.SetFont("go", "B", 6.5)
	pdf.SetXY(x, y)
	pdf.CellFormat(chartW, 3.5, ind.Label.In(m.lang), "", 0, "L", false, 0, "")
	figs := make([]figure, len(m.summary))
	top := 0.0
	for i := range m.summary {
		figs[i] = m.figureOf(&m.summary[i], key)
		if figs[i].ok {
			top = max(top, figs[i].value)
		}
	}
	if top == 0 {
		top = 1
	}
	plotTop, plotBottom := y+7.5, y+chartH-4
	slot := chartW / float64(max(len(figs), 1))
	bw := min(slot*0.6, 9)
	pdf.SetDrawColor(150, 150, 150)
	pdf.SetLineWidth(0.2)
	pdf.Line(x, plotBottom, x+chartW, plotBottom)
	for i, f := range figs {
		cx := x + slot*(float64(i)+0.5)
		pdf.SetFont("go", "", 5.5)
		if f.ok {
			h := (plotBottom - plotTop) * f.value / top
			pdf.SetFillColor(69, 117, 180)
			if i == len(figs)-1 {
				pdf.SetFillColor(33, 64, 128)
			}
			pdf.Rect(cx-bw/2, plotBottom-h, bw, h, "F")
			pdf.SetXY(cx-slot/2, plotBottom-h-3)
		} else {
			pdf.SetXY(cx-slot/2, plotBottom-3)
		}
		pdf.CellFormat(slot, 3, f.text, "", 0, "C", false, 0, "")
		pdf.SetXY(cx-slot/2, plotBottom+0.3)
		pdf.CellFormat(slot, 3, string(m.summary[i].Round)[:4], "", 0, "C", false, 0, "")
	}
}

// pdfTable lists the zone's villages (or the regency's districts) with the
// key figures; suppressed and withheld cells say so.
func (m *model) pdfTable(pdf *fpdf.Fpdf) {
	title := text(m.lang, "villagesTable")
	second := text(m.lang, "kecamatan")
	if m.zone == nil {
		title, second = text(m.lang, "districtsTable"), text(m.lang, "code")
	}
	pdf.SetFont("go", "B", 12)
	pdf.CellFormat(0, 7, title+" — "+FormatRound(m.round, m.lang), "", 1, "L", false, 0, "")
	keys := KeyFigures()
	first, sec, hh := 42.0, 30.0, 17.0
	rest := (pageW - 2*margin - first - sec - hh) / float64(len(keys))
	widths := []float64{first, sec, hh}
	heads := []string{text(m.lang, "village"), second, text(m.lang, "households")}
	if m.zone == nil {
		heads[0] = text(m.lang, "kecamatan")
	}
	for _, k := range keys {
		widths = append(widths, rest)
		heads = append(heads, data.Indicators[data.IndicatorIndex(k)].Label.In(m.lang))
	}
	header := func() {
		pdf.SetFont("go", "B", 6.5)
		x, y := pdf.GetXY()
		for i, h := range heads {
			pdf.SetXY(x, y)
			lines := pdf.SplitText(h, widths[i]-1)
			for j, line := range lines {
				pdf.SetXY(x, y+float64(j)*2.8)
				pdf.CellFormat(widths[i], 2.8, line, "", 0, alignOf(i), false, 0, "")
			}
			x += widths[i]
		}
		pdf.SetXY(margin, y+8.6)
		pdf.SetDrawColor(0, 0, 0)
		pdf.Line(margin, y+8.4, pageW-margin, y+8.4)
	}
	header()
	pdf.SetFont("go", "", 7)
	for i := range m.rows {
		row := &m.rows[i]
		if pdf.GetY()+4.2 > pageH-margin {
			pdf.AddPage()
			header()
			pdf.SetFont("go", "", 7)
		}
		cells := []string{row.Name, m.districtNames[row.Parent], ""}
		if m.zone == nil {
			cells[1] = row.Code
		}
		cells[2] = m.figureOf(row, "households").text
		for _, k := range keys {
			cells = append(cells, m.figureOf(row, k).text)
		}
		fill := i%2 == 1
		pdf.SetFillColor(244, 244, 244)
		for j, c := range cells {
			pdf.CellFormat(widths[j], 4.2, c, "", 0, alignOf(j), fill, 0, "")
		}
		pdf.Ln(-1)
	}
}

// pdfNotes prints the definitions of the figures, the suppression rule,
// the data's source and date and, for synthetic data, the notice.
func (m *model) pdfNotes(pdf *fpdf.Fpdf) {
	heading := func(s string) {
		pdf.Ln(3)
		pdf.SetFont("go", "B", 10)
		pdf.CellFormat(0, 6, s, "", 1, "L", false, 0, "")
		pdf.SetFont("go", "", 7.5)
	}
	if m.synthetic {
		pdf.Ln(3)
		pdf.SetFont("go", "B", 9)
		pdf.SetTextColor(160, 0, 0)
		pdf.MultiCell(0, 4.5, text(m.lang, "syntheticNotice"), "1", "L", false)
		pdf.SetTextColor(0, 0, 0)
	}
	heading(text(m.lang, "definitions"))
	better := map[data.Better]string{data.Lower: "lowerBetter", data.Higher: "higherBetter", data.Neutral: "neutral"}
	for _, k := range append([]string{"households", m.indicator.Key}, KeyFigures()...) {
		if k == m.indicator.Key && k != "households" && slices.Contains(KeyFigures(), k) {
			continue
		}
		ind := data.Indicators[data.IndicatorIndex(k)]
		line := fmt.Sprintf("%s — %s (%s; %s)", ind.Label.In(m.lang), ind.Description.In(m.lang),
			text(m.lang, "unit_"+string(ind.Unit)), text(m.lang, better[ind.Better]))
		pdf.MultiCell(0, 3.8, line, "", "L", false)
	}
	heading(text(m.lang, "suppressionTitle"))
	rule := strings.NewReplacer("{k}", fmt.Sprint(m.k), "{k1}", fmt.Sprint(m.k-1)).Replace(text(m.lang, "suppressionRule"))
	pdf.MultiCell(0, 3.8, rule, "", "L", false)
	heading(text(m.lang, "dataTitle"))
	base := m.rounds[0].Round
	line := strings.NewReplacer("{v}", fmt.Sprint(m.version), "{round}", FormatRound(m.round, m.lang)+" ("+string(m.round)+")",
		"{base}", FormatRound(base, m.lang)).Replace(text(m.lang, "dataLine"))
	pdf.MultiCell(0, 3.8, line, "", "L", false)
	if m.region.Source != "" {
		pdf.MultiCell(0, 3.8, text(m.lang, "source")+": "+m.region.Source, "", "L", false)
	}
}
