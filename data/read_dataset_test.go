package data

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// twoVillages are side by side: A covers lon 109.0-109.1, B 109.1-109.2.
func twoVillages() []Village {
	return []Village{
		{Code: "33.26.14.2001", Name: "A", Geometry: orb.MultiPolygon{square(109.0, -7.0, 0.1)}},
		{Code: "33.26.15.2002", Name: "B", Geometry: orb.MultiPolygon{square(109.1, -7.0, 0.1)}},
	}
}

func TestCheckDataset(t *testing.T) {
	hh := func(id string, round Round, lon, lat float64, status PovertyStatus, code string, line int) Household {
		return Household{ID: id, Round: round, Loc: orb.Point{lon, lat}, Members: 3, Status: status, VillageCode: code, HealthKm: -1, Line: line}
	}
	t.Run("join, districts, zones, baseline", func(t *testing.T) {
		ds := Dataset{
			Villages: twoVillages(),
			Zones: []Zone{
				{ID: "west", Name: "West", Kind: ZoneUrban, Geometry: orb.MultiPolygon{square(108.9, -7.1, 0.2)}},
				{ID: "east", Name: "East", Kind: ZoneCoastal, Geometry: orb.MultiPolygon{square(109.12, -7.1, 0.5)}},
				{ID: "list", Name: "List", Kind: ZoneForest, VillageCodes: []string{"33.26.15.2002"}},
			},
			Households: []Household{
				hh("H1", "2024-03-01", 109.05, -6.95, NonPoor, "", 2),
				hh("H1", "2023-03-01", 109.05, -6.95, Poor, "", 3),
				hh("H2", "2023-03-01", 109.15, -6.95, Extreme, "", 4),
				hh("H3", "2023-03-01", 109.19, -6.95, Vulnerable, "33.26.15.2002", 5),
			},
		}
		if err := CheckDataset(&ds, "hh.csv"); err != nil {
			t.Fatal(err)
		}
		var codes []string
		var base []PovertyStatus
		for _, h := range ds.Households {
			codes = append(codes, h.VillageCode)
			base = append(base, h.BaselineStatus)
		}
		if want := []string{"33.26.14.2001", "33.26.14.2001", "33.26.15.2002", "33.26.15.2002"}; !reflect.DeepEqual(codes, want) {
			t.Errorf("village codes %v, want %v", codes, want)
		}
		if want := []PovertyStatus{Poor, Poor, Extreme, Vulnerable}; !reflect.DeepEqual(base, want) {
			t.Errorf("baseline %v, want %v", base, want)
		}
		if !ds.Households[0].Lifted() || ds.Households[1].Lifted() {
			t.Error("H1 should be lifted at 2024 and not at 2023")
		}
		if ds.Villages[0].DistrictCode != "33.26.14" || ds.Villages[1].DistrictCode != "33.26.15" {
			t.Errorf("district codes %q %q", ds.Villages[0].DistrictCode, ds.Villages[1].DistrictCode)
		}
		// Districts without a file get their villages' polygons as outlines.
		vs := twoVillages()
		wantD := []District{{Code: "33.26.14", Name: "33.26.14", Geometry: vs[0].Geometry}, {Code: "33.26.15", Name: "33.26.15", Geometry: vs[1].Geometry}}
		if !reflect.DeepEqual(ds.Districts, wantD) {
			t.Errorf("districts %+v, want %+v", ds.Districts, wantD)
		}
		var zc [][]string
		for _, z := range ds.Zones {
			zc = append(zc, z.VillageCodes)
		}
		// east's polygon starts at 109.12: it covers B's interior point (109.15) but not all of B.
		if want := [][]string{{"33.26.14.2001"}, {"33.26.15.2002"}, {"33.26.15.2002"}}; !reflect.DeepEqual(zc, want) {
			t.Errorf("zone villages %v, want %v", zc, want)
		}
		// A zone given as a village list is drawn with its villages' polygons.
		if !reflect.DeepEqual(ds.Zones[2].Geometry, vs[1].Geometry) {
			t.Errorf("list zone outline %v, want village B's", ds.Zones[2].Geometry)
		}
	})
	t.Run("district file names kept, missing districts added", func(t *testing.T) {
		ds := Dataset{Villages: twoVillages(), Districts: []District{{Code: "33.26.15", Name: "Kajen"}}}
		if err := CheckDataset(&ds, "hh.csv"); err != nil {
			t.Fatal(err)
		}
		vs := twoVillages()
		want := []District{{Code: "33.26.15", Name: "Kajen", Geometry: vs[1].Geometry}, {Code: "33.26.14", Name: "33.26.14", Geometry: vs[0].Geometry}}
		if !reflect.DeepEqual(ds.Districts, want) {
			t.Errorf("districts %+v, want %+v", ds.Districts, want)
		}
	})

	bad := []struct {
		name string
		ds   Dataset
		want []string
	}{
		{"outside every village", Dataset{Villages: twoVillages(), Households: []Household{
			hh("H1", "2023-03-01", 109.05, -6.95, Poor, "", 2), hh("H2", "2023-03-01", 110.5, -6.95, Poor, "", 3)}},
			[]string{"hh.csv: line 3, fields lon/lat: (110.5, -6.95) lies outside every village"}},
		{"outside, not from a file", Dataset{Villages: twoVillages(), Households: []Household{hh("H2", "2023-03-01", 110.5, -6.95, Poor, "", 0)}},
			[]string{"hh.csv: household H2 round 2023-03-01, fields lon/lat", "outside every village"}},
		{"unknown village code", Dataset{Villages: twoVillages(), Households: []Household{hh("H1", "2023-03-01", 109.05, -6.95, Poor, "33.26.99.9999", 7)}},
			[]string{"hh.csv: line 7, field village_code: \"33.26.99.9999\" names no village"}},
		{"duplicate village code", Dataset{Villages: append(twoVillages(), Village{Code: "33.26.14.2001", Name: "C",
			Geometry: orb.MultiPolygon{square(109.3, -7, 0.1)}})},
			[]string{"villages: feature 3 (code 33.26.14.2001), field code: code 33.26.14.2001 is also used by feature 1"}},
		{"zone names unknown village", Dataset{Villages: twoVillages(), Zones: []Zone{{ID: "z", Name: "Z", Kind: ZoneUrban, VillageCodes: []string{"33.26.14.2001", "x"}}}},
			[]string{"zones: feature 1 (id z), field villages: \"x\" names no village"}},
		{"zone polygon holds no village", Dataset{Villages: twoVillages(), Zones: []Zone{{ID: "z", Name: "Z", Kind: ZoneUrban, Geometry: orb.MultiPolygon{square(120, 0, 1)}}}},
			[]string{"zones: feature 1 (id z), field geometry", "holds no village"}},
		{"no villages", Dataset{Households: []Household{hh("H1", "2023-03-01", 109.05, -6.95, Poor, "", 2)}},
			[]string{"villages: there are no villages", "hh.csv: line 2, fields lon/lat"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckDataset(&tc.ds, "hh.csv")
			if err == nil {
				t.Fatal("no error")
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T is not an *InputError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestInteriorPoint(t *testing.T) {
	// A U shape: its centroid lies in the notch, outside the polygon.
	u := orb.Polygon{{{0, 0}, {3, 0}, {3, 3}, {2, 3}, {2, 1}, {1, 1}, {1, 3}, {0, 3}, {0, 0}}}
	tests := []struct {
		name string
		mp   orb.MultiPolygon
	}{
		{"square", orb.MultiPolygon{square(0, 0, 1)}},
		{"U shape", orb.MultiPolygon{u}},
		{"square with a hole at its centre", orb.MultiPolygon{{square(0, 0, 3)[0], orb.Ring{{1, 1}, {1, 2}, {2, 2}, {2, 1}, {1, 1}}}}},
		{"largest part wins", orb.MultiPolygon{square(10, 10, 0.1), u}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := interiorPoint(tc.mp)
			if !planar.MultiPolygonContains(tc.mp, p) {
				t.Errorf("%v is not inside", p)
			}
		})
	}
	if p := interiorPoint(orb.MultiPolygon{square(10, 10, 0.1), u}); p[0] > 5 {
		t.Errorf("point %v is in the small part", p)
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, fn func(*bytes.Buffer) error) string {
		var buf bytes.Buffer
		if err := fn(&buf); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	f := Files{
		Villages: write("villages.geojson", func(b *bytes.Buffer) error { return WriteVillages(b, twoVillages()) }),
		Districts: write("districts.geojson", func(b *bytes.Buffer) error {
			return WriteDistricts(b, []District{{Code: "33.26.14", Name: "Wonokerto"}, {Code: "33.26.15", Name: "Kajen"}})
		}),
		Zones: write("zones.geojson", func(b *bytes.Buffer) error {
			return WriteZones(b, []Zone{{ID: "west", Name: "West", Kind: ZoneUrban, Geometry: orb.MultiPolygon{square(108.9, -7.1, 0.2)}}})
		}),
		Households: write("households.csv", func(b *bytes.Buffer) error {
			return WriteHouseholds(b, []Household{
				{ID: "H1", Round: "2023-03-01", Loc: orb.Point{109.05, -6.95}, Members: 2, Status: Poor, HealthKm: -1},
				{ID: "H1", Round: "2024-03-01", Loc: orb.Point{109.05, -6.95}, Members: 2, Status: NonPoor, HealthKm: -1},
			})
		}),
	}
	t.Run("good", func(t *testing.T) {
		ds, err := LoadFiles(context.Background(), f, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds.Villages) != 2 || len(ds.Districts) != 2 || ds.Districts[1].Name != "Kajen" || len(ds.Households) != 2 {
			t.Fatalf("dataset %+v", ds)
		}
		if h := ds.Households[1]; h.VillageCode != "33.26.14.2001" || h.BaselineStatus != Poor || h.Line != 3 {
			t.Errorf("household %+v", h)
		}
		if !reflect.DeepEqual(ds.Zones[0].VillageCodes, []string{"33.26.14.2001"}) {
			t.Errorf("zone villages %v", ds.Zones[0].VillageCodes)
		}
	})
	t.Run("problems in two files all reported", func(t *testing.T) {
		bad := f
		bad.Households = filepath.Join(dir, "bad.csv")
		bad.Zones = filepath.Join(dir, "badzones.geojson")
		mustWrite(t, bad.Households, "household_id,round,lon,lat,members,poverty_status\nH1,2023-03-01,abc,-6.9,2,poor\n")
		mustWrite(t, bad.Zones, fc(feat(`{"id":"z","name":"Z","kind":"urban"}`, "", "")))
		_, err := LoadFiles(context.Background(), bad, ReadOptions{})
		if err == nil {
			t.Fatal("no error")
		}
		for _, w := range []string{"bad.csv: line 2, field lon", "badzones.geojson: feature 1 (id z)"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
	})
	t.Run("cross-file problem names the files", func(t *testing.T) {
		bad := f
		bad.Households = filepath.Join(dir, "far.csv")
		mustWrite(t, bad.Households, "household_id,round,lon,lat,members,poverty_status\nH1,2023-03-01,111,-6.9,2,poor\n")
		_, err := LoadFiles(context.Background(), bad, ReadOptions{})
		if err == nil || !strings.Contains(err.Error(), "far.csv: line 2, fields lon/lat: (111, -6.9) lies outside every village in "+f.Villages) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		bad := f
		bad.Households = filepath.Join(dir, "nope.csv")
		_, err := LoadFiles(context.Background(), bad, ReadOptions{})
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("got %v, want a not-exist error", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := LoadFiles(ctx, f, ReadOptions{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
