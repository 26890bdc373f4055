package api

import (
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"labmap/data"
	"labmap/internal/tooltest"
	"labmap/report"

	"github.com/paulmach/orb"
)

func reportGet(t *testing.T, url string, wantStatus int) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s: status %d, want %d: %s", url, resp.StatusCode, wantStatus, body)
	}
	return resp, body
}

// TestReportPDFFigures reads the zone report back with pdftotext: the
// zone's name, the round in words and every key figure, at the baseline and
// the latest round, as /api/stats publishes it and the map writes it.
func TestReportPDFFigures(t *testing.T) {
	tooltest.Require(t, "pdftotext", "poppler-utils")
	tooltest.Require(t, "pdfinfo", "poppler-utils")
	srv, _ := newTestServer(t)
	for _, tc := range []struct{ lang, round string }{{"id", "Juni 2019"}, {"en", "June 2019"}} {
		t.Run(tc.lang, func(t *testing.T) {
			resp, pdf := reportGet(t, srv.URL+"/reports/urban-kertijayan.pdf?lang="+tc.lang, http.StatusOK)
			if ct := resp.Header.Get("Content-Type"); ct != "application/pdf" {
				t.Fatalf("Content-Type %q", ct)
			}
			file := filepath.Join(t.TempDir(), "r.pdf")
			if err := os.WriteFile(file, pdf, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("pdfinfo", file).CombinedOutput(); err != nil || strings.Contains(string(out), "Error") {
				t.Fatalf("pdfinfo: %v\n%s", err, out)
			}
			out, err := exec.Command("pdftotext", "-layout", file, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			txt := string(out)
			for _, s := range []string{"Lab Kertijayan", tc.round, "Kertijayan", "Buaran"} {
				if !strings.Contains(txt, s) {
					t.Errorf("the report lacks %q", s)
				}
			}
			rounds := getJSON(t, srv.URL+"/api/rounds", http.StatusOK)["rounds"].([]any)
			baseline := rounds[0].(map[string]any)["round"].(string)
			latest := rounds[len(rounds)-1].(map[string]any)["round"].(string)
			row := func(round string) map[string]any {
				st := getJSON(t, srv.URL+"/api/stats?level=zone&zone=urban-kertijayan&round="+round, http.StatusOK)
				return st["areas"].([]any)[0].(map[string]any)
			}
			base, now := row(baseline), row(latest)
			inds := map[string]map[string]any{}
			var list []any
			_, body := reportGet(t, srv.URL+"/api/indicators?lang="+tc.lang, http.StatusOK)
			var doc map[string]any
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatal(err)
			}
			list = doc["indicators"].([]any)
			for _, x := range list {
				inds[x.(map[string]any)["key"].(string)] = x.(map[string]any)
			}
			shown := func(r map[string]any, key string) string {
				unit := data.Unit(inds[key]["unit"].(string))
				for _, w := range asList(r["withheld"]) {
					if w == key {
						return map[string]string{"id": "dirahasiakan", "en": "withheld"}[tc.lang]
					}
				}
				v, ok := r[key].(float64)
				if !ok {
					return "–"
				}
				return report.FormatNumber(v, unit, tc.lang)
			}
			for _, key := range report.KeyFigures() {
				label := inds[key]["label"].(string)
				want := []string{shown(base, key), shown(now, key)}
				found := false
				for _, line := range strings.Split(txt, "\n") {
					if i := strings.Index(line, label); i >= 0 {
						fields := strings.Join(strings.Fields(line[i+len(label):]), " ")
						if strings.HasPrefix(fields, want[0]+" "+want[1]) {
							found = true
						}
					}
				}
				if !found {
					t.Errorf("%s: no line %q followed by %q and %q", key, label, want[0], want[1])
				}
			}
		})
	}
}

func asList(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// TestReportErrors: a bad zone is a 404, a bad parameter a 400 naming it,
// both in JSON.
func TestReportErrors(t *testing.T) {
	srv, _ := newTestServer(t)
	for _, tc := range []struct {
		path   string
		status int
		names  string
	}{
		{"/reports/atlantis.pdf", http.StatusNotFound, "atlantis"},
		{"/maps/atlantis.png", http.StatusNotFound, "atlantis"},
		{"/reports/regency.pdf?round=2001-01-01", http.StatusBadRequest, "round"},
		{"/reports/regency.pdf?round=june", http.StatusBadRequest, "round"},
		{"/reports/regency.pdf?indicator=happiness", http.StatusBadRequest, "indicator"},
		{"/reports/regency.pdf?lang=fr", http.StatusBadRequest, "lang"},
		{"/reports/regency.pdf?width=300", http.StatusBadRequest, "width"},
		{"/maps/regency.png?width=100", http.StatusBadRequest, "width"},
		{"/maps/regency.png?height=5000", http.StatusBadRequest, "height"},
		{"/maps/regency.png?width=wide", http.StatusBadRequest, "width"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, body := reportGet(t, srv.URL+tc.path, tc.status)
			var e struct {
				Error  string `json:"error"`
				Status int    `json:"status"`
			}
			if err := json.Unmarshal(body, &e); err != nil || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("not a JSON error: %v %s", err, body)
			}
			if e.Status != tc.status || !strings.Contains(e.Error, tc.names) {
				t.Fatalf("error %+v, want %d naming %s", e, tc.status, tc.names)
			}
		})
	}
}

// TestMapPNG: the map decodes at the size asked, Kertijayan is in its class's
// colour from the published MapLibre style's legend and Buaran (2
// households) in the suppressed grey; the ETag revalidates.
func TestMapPNG(t *testing.T) {
	srv, store := newTestServer(t)
	var style struct {
		Metadata struct {
			Legend []struct {
				Colour string   `json:"color"`
				From   *float64 `json:"from"`
				To     *float64 `json:"to"`
			} `json:"labmap:legend"`
			Suppressed struct {
				Colour string `json:"color"`
			} `json:"labmap:suppressed"`
		} `json:"metadata"`
	}
	_, body := reportGet(t, srv.URL+"/styles/poverty_rate.json?layer=villages", http.StatusOK)
	if err := json.Unmarshal(body, &style); err != nil {
		t.Fatal(err)
	}
	villages := getJSON(t, srv.URL+"/api/stats?level=village", http.StatusOK)["areas"].([]any)
	colourOf := map[string]string{}
	for _, v := range villages {
		a := v.(map[string]any)
		if a["suppressed"] == true {
			colourOf[a["code"].(string)] = style.Metadata.Suppressed.Colour
			continue
		}
		x := a["poverty_rate"].(float64)
		for _, e := range style.Metadata.Legend {
			if (e.From == nil || x >= *e.From) && (e.To == nil || x < *e.To) {
				colourOf[a["code"].(string)] = e.Colour
			}
		}
	}
	for _, tc := range []struct {
		zone          string
		width, height int
		villages      []string
	}{
		{"regency", 640, 400, []string{"33.26.14.2009", "33.26.14.2001"}},
		{"urban-kertijayan", 1000, 700, []string{"33.26.14.2009"}},
	} {
		t.Run(tc.zone, func(t *testing.T) {
			url := fmt.Sprintf("%s/maps/%s.png?width=%d&height=%d", srv.URL, tc.zone, tc.width, tc.height)
			resp, body := reportGet(t, url, http.StatusOK)
			img, err := png.Decode(strings.NewReader(string(body)))
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds().Dx() != tc.width || img.Bounds().Dy() != tc.height {
				t.Fatalf("size %v, want %dx%d", img.Bounds().Size(), tc.width, tc.height)
			}
			for _, code := range tc.villages {
				want := colourOf[code]
				// A quarter into the village's square (0.01°), off its
				// centred label.
				lon := map[string]float64{"33.26.14.2009": 109.66, "33.26.14.2001": 109.67}[code]
				x, y, err := report.MapPoint(context.Background(), store, report.Options{Zone: tc.zone, Width: tc.width, Height: tc.height}, orb.Point{lon + 0.0025, -6.94 + 0.0025})
				if err != nil {
					t.Fatal(err)
				}
				r, g, b, _ := img.At(int(x), int(y)).RGBA()
				if got := fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8); got != want {
					t.Errorf("%s at (%d,%d) is %s, want %s", code, int(x), int(y), got, want)
				}
			}
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
			again, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			again.Body.Close()
			if resp.Header.Get("ETag") == "" || again.StatusCode != http.StatusNotModified {
				t.Errorf("ETag %q: revalidation answered %d", resp.Header.Get("ETag"), again.StatusCode)
			}
		})
	}
}
