package api

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestPack downloads offline meeting packs and checks what they hold: the
// page's files, the report, and the API's answers byte for byte as the
// server gives them to the public; bad requests are JSON errors.
func TestPack(t *testing.T) {
	builtWeb(t)
	srv := regencyServer(t)
	for _, tc := range []struct {
		name   string
		path   string
		status int
	}{
		{"a zone", "/packs/urban-kertijayan.zip", http.StatusOK},
		{"a zone at the baseline", "/packs/coastal-mulyorejo.zip?round=2017-12-01", http.StatusOK},
		{"unknown zone", "/packs/nowhere.zip", http.StatusNotFound},
		{"malformed round", "/packs/urban-kertijayan.zip?round=2020-13-01", http.StatusBadRequest},
		{"round not surveyed", "/packs/urban-kertijayan.zip?round=1999-01-01", http.StatusBadRequest},
		{"unknown parameter", "/packs/urban-kertijayan.zip?lang=en", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("GET %s: %d, want %d: %.300s", tc.path, resp.StatusCode, tc.status, body)
			}
			if tc.status != http.StatusOK {
				var e struct{ Error string }
				if json.Unmarshal(body, &e) != nil || e.Error == "" {
					t.Errorf("GET %s: the error is not JSON with a message: %.300s", tc.path, body)
				}
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/zip" {
				t.Errorf("Content-Type %q", ct)
			}
			if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="labmap-`) {
				t.Errorf("Content-Disposition %q", cd)
			}
			files := unzip(t, body)
			for _, name := range []string{"index.html", "app.js", "offline.js", "maplibre-gl.js", "pack-data.js", "pack-tiles.js"} {
				if len(files[name]) == 0 {
					t.Errorf("the pack lacks %s (has %v)", name, keys(files))
				}
			}
			var d struct {
				Round    string                     `json:"round"`
				Stats    map[string]json.RawMessage `json:"stats"`
				Files    map[string]string          `json:"files"`
				Villages map[string][4]float64      `json:"villages"`
			}
			js := string(files["pack-data.js"])
			if err := json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimPrefix(js, "window.LABMAP_PACK="), ";\n")), &d); err != nil {
				t.Fatalf("pack-data.js: %v", err)
			}
			if !bytes.HasPrefix(files[d.Files["report"]], []byte("%PDF-")) {
				t.Errorf("the report %s is not a PDF", d.Files["report"])
			}
			if !bytes.Contains(files[d.Files["villages"]], []byte("code")) {
				t.Errorf("the village table %s has no header", d.Files["villages"])
			}
			if tc.name == "a zone at the baseline" && d.Round != "2017-12-01" {
				t.Errorf("round %s, want the one asked for", d.Round)
			}
			if len(d.Villages) == 0 {
				t.Error("the pack has no village boxes for the search to fly to")
			}
			// Every stored answer is the server's public answer.
			if len(d.Stats) < 8 {
				t.Fatalf("the pack holds %d statistics answers", len(d.Stats))
			}
			for key, got := range d.Stats {
				p := strings.Split(key, "|")
				q := "/api/stats?level=" + p[0] + "&round=" + p[1] + "&lang=" + p[2]
				if p[3] != "" {
					q = "/api/stats?level=zone&zone=" + p[3] + "&round=" + p[1] + "&lang=" + p[2]
				}
				resp, err := http.Get(srv.URL + q)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
					t.Errorf("pack answer %s differs from GET %s", key, q)
				}
			}
		})
	}
}

func unzip(t *testing.T, body []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	out := map[string][]byte{}
	folder := ""
	for _, f := range zr.File {
		dir, name, ok := strings.Cut(f.Name, "/")
		if !ok || (folder != "" && dir != folder) {
			t.Fatalf("%s: the pack's files must sit in one folder", f.Name)
		}
		folder = dir
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
