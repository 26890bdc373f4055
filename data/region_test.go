package data

import "testing"

func TestRegionOf(t *testing.T) {
	villages := func(codes ...string) []Village {
		out := make([]Village, len(codes))
		for i, c := range codes {
			out[i] = Village{Code: c}
		}
		return out
	}
	tests := []struct {
		name     string
		given    Region
		villages []Village
		want     Region
	}{
		{"one regency", Region{}, villages("33.26.14.2009", "33.26.15.2014", "33.26.02.2008"),
			Region{Code: "33.26", Name: Text{ID: "Wilayah 33.26", EN: "Region 33.26"}}},
		{"regencies of one province", Region{}, villages("33.26.14.2009", "33.75.01.1001", "33.26.02.2008"),
			Region{Code: "33", Name: Text{ID: "Provinsi Jawa Tengah", EN: "Central Java Province"}}},
		{"one kecamatan is still its regency", Region{}, villages("33.26.14.2009", "33.26.14.2001"),
			Region{Code: "33.26", Name: Text{ID: "Wilayah 33.26", EN: "Region 33.26"}}},
		{"prefix stops at a dot, not inside a part", Region{}, villages("33.26.14.2009", "33.2.14.2009"),
			Region{Code: "33", Name: Text{ID: "Provinsi Jawa Tengah", EN: "Central Java Province"}}},
		{"several provinces", Region{}, villages("33.26.14.2009", "34.01.01.2001"),
			Region{Code: "", Name: Text{ID: "Wilayah", EN: "Region"}}},
		{"no villages", Region{}, nil, Region{Name: Text{ID: "Wilayah", EN: "Region"}}},
		{"given code and name win", Region{Code: "33.75", Name: Text{ID: "Kota Pekalongan", EN: "Pekalongan City"}, Synthetic: true, Source: "x"},
			villages("33.26.14.2009"),
			Region{Code: "33.75", Name: Text{ID: "Kota Pekalongan", EN: "Pekalongan City"}, Synthetic: true, Source: "x"}},
		{"a name in one language stands for both", Region{Name: Text{ID: "Kabupaten Batang"}}, villages("33.25.01.2001"),
			Region{Code: "33.25", Name: Text{ID: "Kabupaten Batang", EN: "Kabupaten Batang"}}},
		{"English only", Region{Name: Text{EN: "Batang Regency"}}, villages("33.25.01.2001"),
			Region{Code: "33.25", Name: Text{ID: "Batang Regency", EN: "Batang Regency"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RegionOf(tc.given, tc.villages); got != tc.want {
				t.Errorf("RegionOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}
