package report

import (
	"bytes"
	"fmt"
	"io"
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
	pdf.AddPage()
	m.pdfTitle(pdf)
	if err := m.pdfMap(pdf); err != nil {
		return err
	}
	m.pdfKeyFigures(pdf)
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
