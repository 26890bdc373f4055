package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"labmap/data"
	"labmap/data/memory"

	"github.com/paulmach/orb"
)

func square(lon, lat float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{lon, lat}, {lon + 0.01, lat}, {lon + 0.01, lat + 0.01}, {lon, lat + 0.01}, {lon, lat}}}}
}

// testDataset has two villages: Kertijayan with 6 households (shown) and
// Buaran with 2 (suppressed at k=5), over two rounds.
func testDataset() data.Dataset {
	ds := data.Dataset{
		Region: data.Region{Code: "33.26", Name: data.Text{ID: "Kabupaten Pekalongan", EN: "Pekalongan Regency"},
			Synthetic: true, Source: "test boundaries"},
		Villages: []data.Village{
			{Code: "33.26.14.2009", Name: "Kertijayan", DistrictCode: "33.26.14", Geometry: square(109.66, -6.94)},
			{Code: "33.26.14.2001", Name: "Buaran", DistrictCode: "33.26.14", Geometry: square(109.67, -6.94)},
		},
		Districts: []data.District{{Code: "33.26.14", Name: "Buaran"}},
		Zones:     []data.Zone{{ID: "urban-kertijayan", Name: "Lab Kertijayan", Kind: data.ZoneUrban, VillageCodes: []string{"33.26.14.2009"}}},
	}
	add := func(id, village string, lon float64, r1, r2 data.PovertyStatus) {
		for _, r := range []struct {
			round  data.Round
			status data.PovertyStatus
		}{{"2017-12-01", r1}, {"2019-06-01", r2}} {
			ds.Households = append(ds.Households, data.Household{
				ID: id, Round: r.round, Loc: orb.Point{lon, -6.935}, Members: 4, Status: r.status,
				VillageCode: village, Causes: []string{"low_income"}, ChronicIll: 1, HealthKm: -1,
			})
		}
	}
	for i, st := range []data.PovertyStatus{data.Poor, data.Poor, data.Extreme, data.NonPoor, data.NonPoor, data.Vulnerable} {
		after := st
		if i < 2 {
			after = data.NonPoor
		}
		add("k"+string(rune('1'+i)), "33.26.14.2009", 109.661+float64(i)*0.001, st, after)
	}
	add("b1", "33.26.14.2001", 109.675, data.Poor, data.Poor)
	add("b2", "33.26.14.2001", 109.676, data.NonPoor, data.NonPoor)
	data.FillBaseline(ds.Households)
	return ds
}

func newTestServer(t *testing.T) (*httptest.Server, *memory.Store) {
	t.Helper()
	store, err := memory.New(testDataset(), memory.Options{
		// Two villages in one district: complementary suppression would
		// hide both (regency minus Kertijayan is Buaran), leaving nothing
		// for these tests of content and format to read.
		PrimaryOnly: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{}))
	t.Cleanup(srv.Close)
	return srv, store
}

func getJSON(t *testing.T, url string, wantStatus int) map[string]any {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != wantStatus {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: status %d, want %d: %s", url, resp.StatusCode, wantStatus, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "json") {
		t.Fatalf("GET %s: Content-Type %q", url, ct)
	}
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: body is not JSON: %v", url, err)
	}
	return body
}

func TestHealthz(t *testing.T) {
	srv, _ := newTestServer(t)
	body := getJSON(t, srv.URL+"/healthz", 200)
	if body["status"] != "ok" || body["store"] != "memory" || body["households"] != 8.0 || body["dataset_version"] != 1.0 {
		t.Fatalf("healthz = %v", body)
	}
}

func TestStatsMatchesStore(t *testing.T) {
	srv, store := newTestServer(t)
	for _, level := range []data.Level{data.LevelRegency, data.LevelDistrict, data.LevelVillage, data.LevelZone} {
		for _, round := range []data.Round{"2017-12-01", "2019-06-01"} {
			t.Run(string(level)+"/"+string(round), func(t *testing.T) {
				body := getJSON(t, srv.URL+"/api/stats?level="+string(level)+"&round="+string(round), 200)
				want, err := store.Stats(context.Background(), data.StatsQuery{Level: level, Round: round})
				if err != nil {
					t.Fatal(err)
				}
				areas := body["areas"].([]any)
				if len(areas) != len(want) || body["round"] != string(round) {
					t.Fatalf("%d areas round %v, want %d round %s", len(areas), body["round"], len(want), round)
				}
				for i, a := range areas {
					row := a.(map[string]any)
					w := want[i]
					if row["code"] != w.Code || row["suppressed"] != w.Suppressed {
						t.Fatalf("row %d = %v, want %+v", i, row, w)
					}
					if w.Suppressed {
						if _, ok := row["households"]; ok {
							t.Errorf("suppressed row %s carries households", w.Code)
						}
						continue
					}
					for j, ind := range data.Indicators {
						got, v := row[ind.Key], w.Values[j]
						switch {
						case !v.Valid:
							if got != nil {
								t.Errorf("%s %s = %v, want null", w.Code, ind.Key, got)
							}
						case ind.Kind == data.KindCategory:
							if got != v.Text {
								t.Errorf("%s %s = %v, want %v", w.Code, ind.Key, got, v.Text)
							}
						default:
							if got != v.Number {
								t.Errorf("%s %s = %v, want %v", w.Code, ind.Key, got, v.Number)
							}
						}
					}
				}
			})
		}
	}
}

func TestStatsContent(t *testing.T) {
	srv, _ := newTestServer(t)
	body := getJSON(t, srv.URL+"/api/stats?level=village&lang=en", 200)
	var kert, buaran map[string]any
	for _, a := range body["areas"].([]any) {
		row := a.(map[string]any)
		switch row["code"] {
		case "33.26.14.2009":
			kert = row
		case "33.26.14.2001":
			buaran = row
		}
	}
	// Kertijayan at 2019-06-01: 3 baseline poor (k1, k2, k3), k1 and k2 lifted.
	if kert["households"] != 6.0 || kert["lifted"] != 2.0 || kert["lifted_rate"] != 0.666667 || kert["poverty_rate"] != 0.166667 {
		t.Errorf("Kertijayan = %v", kert)
	}
	if kert["dominant_cause_label"] != "Low income" || kert["district_code"] != "33.26.14" {
		t.Errorf("Kertijayan labels = %v", kert)
	}
	if buaran["suppressed"] != true || buaran["poverty_rate"] != nil || !strings.Contains(buaran["suppressed_reason"].(string), "fewer than 5") {
		t.Errorf("Buaran = %v, want suppressed", buaran)
	}
	// Six chronically ill people are shown; the regency's 8 too; but a
	// zone filter still shows only its villages.
	zone := getJSON(t, srv.URL+"/api/stats?level=village&zone=urban-kertijayan", 200)
	if n := len(zone["areas"].([]any)); n != 1 {
		t.Errorf("zone filter gave %d villages, want 1", n)
	}
	reg := getJSON(t, srv.URL+"/api/stats?level=regency", 200)
	if name := reg["areas"].([]any)[0].(map[string]any)["name"]; name != "Kabupaten Pekalongan" {
		t.Errorf("regency name in Indonesian = %v", name)
	}
}

// TestRegionFromData checks that every document naming the region takes the
// name from the dataset, and that synthetic households are declared where
// clients look first.
func TestRegionFromData(t *testing.T) {
	srv, store := newTestServer(t)
	for _, path := range []string{"/healthz", "/api/rounds", "/web/config.json"} {
		doc := getJSON(t, srv.URL+path, 200)
		reg, _ := doc["region"].(map[string]any)
		name, _ := reg["name"].(map[string]any)
		if reg["code"] != "33.26" || name["id"] != "Kabupaten Pekalongan" || name["en"] != "Pekalongan Regency" || reg["synthetic"] != true {
			t.Errorf("%s: region = %v", path, doc["region"])
		}
	}
	for _, path := range []string{"/healthz", "/api/rounds"} {
		if doc := getJSON(t, srv.URL+path, 200); doc["synthetic"] != true {
			t.Errorf("%s: synthetic = %v, want true", path, doc["synthetic"])
		}
	}
	tj := getJSON(t, srv.URL+"/tiles/villages.json?lang=en", 200)
	if a := tj["attribution"].(string); !strings.Contains(a, "test boundaries") || !strings.Contains(a, "synthetic households") {
		t.Errorf("TileJSON attribution = %q, want the source and the synthetic notice", a)
	}
	if d := tj["description"].(string); !strings.Contains(d, "Pekalongan Regency") {
		t.Errorf("TileJSON description = %q", d)
	}
	reg := getJSON(t, srv.URL+"/api/stats?level=regency&lang=en", 200)
	if name := reg["areas"].([]any)[0].(map[string]any)["name"]; name != "Pekalongan Regency" {
		t.Errorf("regency name in English = %v", name)
	}

	// Another region, surveyed: nothing says Pekalongan or synthetic.
	ds := testDataset()
	ds.Region = data.Region{Code: "33.75", Name: data.Text{ID: "Kota Pekalongan", EN: "Pekalongan City"}}
	if err := store.Replace(ds); err != nil {
		t.Fatal(err)
	}
	if doc := getJSON(t, srv.URL+"/api/rounds", 200); doc["synthetic"] != false {
		t.Errorf("surveyed data: synthetic = %v", doc["synthetic"])
	}
	land := getJSON(t, srv.URL+"/?f=json", 200)
	if title := land["title"].(string); !strings.HasSuffix(title, "Kota Pekalongan") {
		t.Errorf("landing title = %q", title)
	}
	tj = getJSON(t, srv.URL+"/tiles/villages.json", 200)
	if a := tj["attribution"].(string); strings.Contains(a, "sintetis") {
		t.Errorf("surveyed data attributed as synthetic: %q", a)
	}
}

func TestErrors(t *testing.T) {
	srv, _ := newTestServer(t)
	tests := []struct {
		name, path string
		status     int
		mention    string
	}{
		{"missing level", "/api/stats", 400, "level"},
		{"bad level", "/api/stats?level=kabupaten", 400, "level"},
		{"bad round", "/api/stats?level=village&round=June", 400, "round"},
		{"unknown round", "/api/stats?level=village&round=2018-01-01", 400, "2018-01-01"},
		{"unknown zone", "/api/stats?level=village&zone=atlantis", 400, "atlantis"},
		{"bad res", "/api/stats?level=hexagon&res=12", 400, "res"},
		{"res on villages", "/api/stats?level=village&res=8", 400, "res"},
		{"unknown parameter", "/api/stats?level=village&colour=red", 400, "colour"},
		{"bad lang", "/api/indicators?lang=fr", 400, "lang"},
		{"no such endpoint", "/api/households", 404, "/api/households"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := getJSON(t, srv.URL+tc.path, tc.status)
			msg, _ := body["error"].(string)
			if body["status"] != float64(tc.status) || !strings.Contains(msg, tc.mention) {
				t.Fatalf("body = %v, want status %d and a message naming %q", body, tc.status, tc.mention)
			}
		})
	}
	resp, err := http.Post(srv.URL+"/api/stats?level=village", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST status %d, want 405", resp.StatusCode)
	}
}

// brokenStore fails every call the way a store fails when its database is gone.
type brokenStore struct{ data.Store }

func (brokenStore) Status(ctx context.Context) (data.Status, error) {
	return data.Status{Store: "postgis"}, data.ErrUnavailable
}

// Version is known, as a PostGIS store's is from its listener while its
// data pool fails: the failure is then the read's.
func (brokenStore) Version(ctx context.Context) (int64, error) { return 1, nil }
func (brokenStore) Stats(ctx context.Context, q data.StatsQuery) ([]data.AreaStats, error) {
	return nil, errors.Join(data.ErrUnavailable, errors.New("dial tcp 127.0.0.1:5432: connection refused"))
}
func (brokenStore) Rounds(ctx context.Context) ([]data.RoundInfo, error) {
	panic("boom")
}

func TestUnavailableAndPanics(t *testing.T) {
	srv := httptest.NewServer(New(brokenStore{}, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{}))
	defer srv.Close()
	// Alive (200) while the store is down: /readyz is the probe that fails.
	if body := getJSON(t, srv.URL+"/healthz", 200); body["status"] != "down" {
		t.Errorf("healthz = %v", body)
	}
	body := getJSON(t, srv.URL+"/api/stats?level=village", 503)
	if strings.Contains(body["error"].(string), "5432") {
		t.Errorf("error leaks internals: %v", body)
	}
	body = getJSON(t, srv.URL+"/api/rounds", 500)
	if body["error"] != "internal error" {
		t.Errorf("panic answer = %v", body)
	}
}

func TestIndicators(t *testing.T) {
	srv, _ := newTestServer(t)
	for _, lang := range []string{"id", "en"} {
		body := getJSON(t, srv.URL+"/api/indicators?lang="+lang, 200)
		inds := body["indicators"].([]any)
		if len(inds) != len(data.Indicators) {
			t.Fatalf("%d indicators, want %d", len(inds), len(data.Indicators))
		}
		first := inds[data.IndicatorIndex("poverty_rate")].(map[string]any)
		want := map[string]string{"id": "Tingkat kemiskinan", "en": "Poverty rate"}[lang]
		if first["label"] != want || first["unit"] != "ratio" || first["denominator"] != "households" {
			t.Errorf("poverty_rate in %s = %v", lang, first)
		}
	}
}
