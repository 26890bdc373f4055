package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"labmap/data"
	"labmap/data/demo"
	"labmap/data/memory"
	"labmap/internal/tooltest"
	"labmap/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func square(lon, lat, size float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{lon, lat}, {lon + size, lat}, {lon + size, lat + size}, {lon, lat + size}, {lon, lat}}}}
}

// fixture is a regency of three villages, two of them a lab zone: Alpha
// (8 households, 3 poor), Beta (6, 1 poor) and Gamma (2 households: fewer
// than k = 5, so suppressed), over two rounds.
func fixture(t testing.TB) *memory.Store {
	t.Helper()
	// PrimaryOnly: complementary suppression would hide Beta with Gamma in
	// a fixture this small, leaving no published village to look at.
	st, err := memory.New(fixtureDataset(), memory.Options{PrimaryOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func fixtureDataset() data.Dataset {
	ds := data.Dataset{
		Region: data.Region{Code: "33.26", Name: data.Text{ID: "Kabupaten Uji", EN: "Test Regency"}, Synthetic: true, Source: "test boundaries"},
		Villages: []data.Village{
			{Code: "33.26.01.2001", Name: "Alpha", DistrictCode: "33.26.01", Geometry: square(109.60, -7.00, 0.02)},
			{Code: "33.26.01.2002", Name: "Beta", DistrictCode: "33.26.01", Geometry: square(109.62, -7.00, 0.02)},
			{Code: "33.26.01.2003", Name: "Gamma", DistrictCode: "33.26.01", Geometry: square(109.64, -7.00, 0.02)},
		},
		Districts: []data.District{{Code: "33.26.01", Name: "Kandangserang"}},
		Zones: []data.Zone{{ID: "forest-uji", Name: "Lab Hutan Uji", Kind: data.ZoneForest,
			VillageCodes: []string{"33.26.01.2001", "33.26.01.2002", "33.26.01.2003"}}},
	}
	add := func(village string, lon float64, n, poor int) {
		for i := range n {
			for _, round := range []data.Round{"2017-12-01", "2019-06-01"} {
				st := data.NonPoor
				if i < poor {
					st = data.Poor
				}
				ds.Households = append(ds.Households, data.Household{
					ID: fmt.Sprintf("%s-%d", village, i), Round: round, Loc: orb.Point{lon + float64(i)*0.001, -6.99}, Members: 4,
					Status: st, VillageCode: village, Causes: []string{"low_income"}, HealthKm: -1,
				})
			}
		}
	}
	add("33.26.01.2001", 109.605, 8, 3)
	add("33.26.01.2002", 109.625, 6, 1)
	add("33.26.01.2003", 109.645, 2, 1)
	data.FillBaseline(ds.Households)
	return ds
}

// want is the colour a village must have on the map: its class's colour
// from the choropleth the styles use, or the suppressed grey.
func want(t *testing.T, ch tiles.Choropleth, a data.Area) color.RGBA {
	t.Helper()
	if a.Suppressed {
		return hexColour(tiles.ColourSuppressed)
	}
	i := data.IndicatorIndex(ch.Indicator.Key)
	v := a.Values[i]
	for _, e := range ch.Legend {
		if (e.From == nil || v.Number >= *e.From) && (e.To == nil || v.Number < *e.To) {
			return hexColour(e.Colour)
		}
	}
	t.Fatalf("%s: %v is in no class of %+v", a.Name, v, ch.Legend)
	return color.RGBA{}
}

// interior lists sample points of a village well inside it: a grid over
// its box, kept when the point and a margin around it are inside.
func interior(mp orb.MultiPolygon) []orb.Point {
	b := mp.Bound()
	dx, dy := (b.Max[0]-b.Min[0])/12, (b.Max[1]-b.Min[1])/12
	var out []orb.Point
	for i := 1; i < 12; i++ {
		for j := 1; j < 12; j++ {
			p := orb.Point{b.Min[0] + float64(i)*dx, b.Min[1] + float64(j)*dy}
			ok := true
			for _, o := range []orb.Point{{-dx, 0}, {dx, 0}, {0, -dy}, {0, dy}} {
				if !planar.MultiPolygonContains(mp, orb.Point{p[0] + o[0], p[1] + o[1]}) {
					ok = false
				}
			}
			if ok {
				out = append(out, p)
			}
		}
	}
	return out
}

func near(a color.Color, b color.RGBA, tol int) bool {
	r, g, bl, _ := a.RGBA()
	d := func(x uint32, y uint8) bool { v := int(x>>8) - int(y); return v >= -tol && v <= tol }
	return d(r, b.R) && d(g, b.G) && d(bl, b.B)
}

// checkVillageColours asserts that most interior samples of every village
// (labels and outlines cover the rest) are in the village's colour, and
// none is in another class's colour.
func checkVillageColours(t *testing.T, img image.Image, areas []data.Area, ch tiles.Choropleth, toPixel func(orb.Point) (float64, float64)) {
	t.Helper()
	for _, a := range areas {
		w := want(t, ch, a)
		pts := interior(a.Geometry)
		if len(pts) < 10 {
			t.Fatalf("%s: only %d interior samples", a.Name, len(pts))
		}
		hits := 0
		for _, p := range pts {
			x, y := toPixel(p)
			if near(img.At(int(x), int(y)), w, 3) {
				hits++
			}
		}
		if hits*2 < len(pts) {
			x, y := toPixel(pts[len(pts)/2])
			t.Errorf("%s (suppressed %v): %d of %d interior pixels are %v; e.g. (%d,%d) is %v", a.Name, a.Suppressed, hits, len(pts), w, int(x), int(y), img.At(int(x), int(y)))
		}
	}
}

func TestPNGMap(t *testing.T) {
	ctx := context.Background()
	store := fixture(t)
	for _, tc := range []struct {
		name          string
		opt           Options
		width, height int
	}{
		{"zone default size", Options{Zone: "forest-uji"}, DefaultWidth, DefaultHeight},
		{"regency small", Options{Zone: Regency, Width: 640, Height: 400}, 640, 400},
		{"zone english tall", Options{Zone: "forest-uji", Lang: "en", Width: 900, Height: 1200}, 900, 1200},
		{"households indicator", Options{Indicator: "households", Width: 800, Height: 600}, 800, 600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WritePNG(ctx, store, tc.opt, &buf); err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != tc.width || b.Dy() != tc.height {
				t.Fatalf("size %v, want %dx%d", b.Size(), tc.width, tc.height)
			}
			key := tc.opt.Indicator
			if key == "" {
				key = DefaultIndicator
			}
			ch, err := tiles.Classify(ctx, store, tiles.StyleQuery{Indicator: key, Level: data.LevelVillage})
			if err != nil {
				t.Fatal(err)
			}
			ext, _ := store.Extent(ctx)
			areas, err := store.Areas(ctx, data.AreaQuery{StatsQuery: data.StatsQuery{Level: data.LevelVillage}, Bound: ext})
			if err != nil {
				t.Fatal(err)
			}
			suppressed := 0
			for _, a := range areas {
				if a.Suppressed {
					suppressed++
				}
			}
			if suppressed != 1 {
				t.Fatalf("the fixture should have one suppressed village, has %d", suppressed)
			}
			checkVillageColours(t, img, areas, ch, func(p orb.Point) (float64, float64) {
				x, y, err := MapPoint(ctx, store, tc.opt, p)
				if err != nil {
					t.Fatal(err)
				}
				return x, y
			})
		})
	}
}

// pdfText is pdftotext's reading of the PDF, layout kept.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	tooltest.Require(t, "pdftotext", "poppler-utils")
	dir := t.TempDir()
	in := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func TestPDF(t *testing.T) {
	ctx := context.Background()
	store := fixture(t)
	tooltest.Require(t, "pdfinfo", "poppler-utils")
	tooltest.Require(t, "pdftoppm", "poppler-utils")
	for _, tc := range []struct {
		name, zone, lang, place, round string
	}{
		{"zone", "forest-uji", "id", "Lab Hutan Uji", "Juni 2019"},
		{"regency", Regency, "id", "Kabupaten Uji", "Juni 2019"},
		{"regency english", "", "en", "Test Regency", "June 2019"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			opt := Options{Zone: tc.zone, Lang: tc.lang}
			if err := WritePDF(ctx, store, opt, &buf); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			file := filepath.Join(dir, "r.pdf")
			if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			info, err := exec.Command("pdfinfo", file).CombinedOutput()
			if err != nil || bytes.Contains(info, []byte("Error")) {
				t.Fatalf("pdfinfo refuses the report: %v\n%s", err, info)
			}
			if !bytes.Contains(info, []byte("841.89 x 595.28 pts (A4)")) && !bytes.Contains(info, []byte("841.89 x 595.276 pts (A4)")) {
				t.Errorf("not A4 landscape:\n%s", info)
			}
			if qpdf, err := exec.LookPath("qpdf"); err == nil {
				if out, err := exec.Command(qpdf, "--check", file).CombinedOutput(); err != nil {
					t.Errorf("qpdf --check: %v\n%s", err, out)
				}
			}
			txt := pdfText(t, buf.Bytes())
			words := []string{tc.place, tc.round, "Kandangserang"}
			if tc.zone != Regency && tc.zone != "" {
				words = append(words, "Alpha", "Beta", "Gamma") // the table of the zone's villages
			}
			for _, s := range words {
				if !strings.Contains(txt, s) {
					t.Errorf("the report lacks %q", s)
				}
			}
			notice := text(tc.lang, "syntheticNotice")
			if !strings.Contains(strings.Join(strings.Fields(txt), " "), strings.Join(strings.Fields(notice), " ")[:40]) {
				t.Errorf("the synthetic notice is missing")
			}

			// Page 1's map: every village in its colour at 100 dpi.
			const dpi = 100
			if out, err := exec.Command("pdftoppm", "-r", fmt.Sprint(dpi), "-f", "1", "-l", "1", "-png", file, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v\n%s", err, out)
			}
			f, err := os.Open(filepath.Join(dir, "p-1.png"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			page, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := load(ctx, store, opt)
			if err != nil {
				t.Fatal(err)
			}
			w, h := mapPixels()
			fr := m.mapFrame(newMapLayout(w, h, false))
			checkVillageColours(t, page, m.villages, m.ch, func(p orb.Point) (float64, float64) {
				x, y := fr.pixel(p)
				return (mapX + x/float64(w)*mapW) / 25.4 * dpi, (mapY + y/float64(h)*mapH) / 25.4 * dpi
			})
		})
	}
}

func TestOptionErrors(t *testing.T) {
	ctx := context.Background()
	store := fixture(t)
	for _, tc := range []struct {
		name  string
		opt   Options
		is    error
		names string
	}{
		{"unknown zone", Options{Zone: "atlantis"}, ErrUnknownZone, "atlantis"},
		{"unknown round", Options{Round: "2001-01-01"}, ErrInvalidOption, "round"},
		{"unknown indicator", Options{Indicator: "happiness"}, ErrInvalidOption, "indicator"},
		{"bad lang", Options{Lang: "fr"}, ErrInvalidOption, "lang"},
		{"too wide", Options{Width: 5000}, ErrInvalidOption, "width"},
		{"too short", Options{Height: 10}, ErrInvalidOption, "height"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := WritePNG(ctx, store, tc.opt, &bytes.Buffer{})
			if !errorsIs(err, tc.is) || !strings.Contains(err.Error(), tc.names) {
				t.Fatalf("WritePNG: %v, want %v naming %s", err, tc.is, tc.names)
			}
		})
	}
}

func BenchmarkReport(b *testing.B) {
	ds, err := demo.Generate(demo.Options{})
	if err != nil {
		b.Fatal(err)
	}
	store, err := memory.New(ds, memory.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// Deciding suppression is once per dataset version, not per report.
	if err := WritePDF(ctx, store, Options{}, &bytes.Buffer{}); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ name, zone string }{{"zone", "urban-kertijayan"}, {"regency", Regency}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if err := WritePDF(ctx, store, Options{Zone: tc.zone}, &bytes.Buffer{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func errorsIs(err, target error) bool { return err != nil && errors.Is(err, target) }
