package memory

import (
	"context"
	"testing"

	"labmap/data"
)

// TestRegion checks that Status carries the dataset's region, named by the
// data or derived from the village codes, and that the regency row and the
// districts' parent follow the village codes: the region names the regency
// row only when it is that regency.
func TestRegion(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		given data.Region
		want  data.Region
	}{
		{"derived from the village codes", data.Region{},
			data.Region{Code: "33.26", Name: data.Text{ID: "Wilayah 33.26", EN: "Region 33.26"}}},
		{"named by the data", data.Region{Code: "33.75", Name: data.Text{ID: "Kota Pekalongan", EN: "Pekalongan City"}, Synthetic: true, Source: "test"},
			data.Region{Code: "33.75", Name: data.Text{ID: "Kota Pekalongan", EN: "Pekalongan City"}, Synthetic: true, Source: "test"}},
		{"name without code", data.Region{Name: data.Text{ID: "Kabupaten Pekalongan", EN: "Pekalongan Regency"}},
			data.Region{Code: "33.26", Name: data.Text{ID: "Kabupaten Pekalongan", EN: "Pekalongan Regency"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := fixture()
			ds.Region = tc.given
			s, err := New(ds, Options{})
			if err != nil {
				t.Fatal(err)
			}
			st, err := s.Status(ctx)
			if err != nil || st.Region != tc.want {
				t.Errorf("Status().Region = %+v (err %v), want %+v", st.Region, err, tc.want)
			}
			name := "Wilayah 33.26"
			if tc.want.Code == "33.26" {
				name = tc.want.Name.ID
			}
			reg, err := s.Stats(ctx, data.StatsQuery{Level: data.LevelRegency})
			if err != nil || len(reg) != 1 || reg[0].Code != "33.26" || reg[0].Name != name || reg[0].Parent != "33" || reg[0].Households != 9 {
				t.Errorf("regency rows = %+v (err %v), want one 33.26 %q in 33 with 9 households", reg, err, name)
			}
			prov, err := s.Stats(ctx, data.StatsQuery{Level: data.LevelProvince})
			if err != nil || len(prov) != 1 || prov[0].Code != "33" || prov[0].Name != "Provinsi Jawa Tengah" || prov[0].Households != 9 {
				t.Errorf("province rows = %+v (err %v), want one 33 Provinsi Jawa Tengah with 9 households", prov, err)
			}
			districts, err := s.Stats(ctx, data.StatsQuery{Level: data.LevelDistrict})
			if err != nil || len(districts) != 1 || districts[0].Parent != "33.26" {
				t.Errorf("district rows = %+v (err %v), want parent 33.26", districts, err)
			}
		})
	}
}
