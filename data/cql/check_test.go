package cql

import (
	"errors"
	"reflect"
	"testing"
)

var testQueryables = map[string]Type{
	"poverty_rate":   TypeNumber,
	"members":        TypeNumber,
	"name":           TypeString,
	"dominant_cause": TypeString,
	"suppressed":     TypeBool,
	"geometry":       TypeGeometry,
}

func TestCheck(t *testing.T) {
	const all = "dominant_cause, geometry, members, name, poverty_rate, suppressed"
	tests := []struct {
		in       string
		wantName string // "" with wantMsg "" means no error
		wantMsg  string
	}{
		{"poverty_rate > 0.5 AND name LIKE 'K%' OR NOT suppressed = TRUE", "", ""},
		{"poverty_rate BETWEEN 0 AND members AND dominant_cause IN ('jobs', 'health')", "", ""},
		{"name < dominant_cause AND poverty_rate IS NULL AND S_INTERSECTS(geometry, POINT(1 2))", "", ""},
		{"1 < 2 AND 'a' <> 'b'", "", ""},
		{"wealth > 1", "wealth", `unknown queryable "wealth" (queryables: ` + all + `)`},
		{"poverty_rate > 0 AND (name = 'x' OR Name = 'y')", "Name", `unknown queryable "Name" (queryables: ` + all + `)`},
		{"S_INTERSECTS(geom, POINT(1 2))", "geom", `unknown queryable "geom" (queryables: ` + all + `)`},
		{"wealth > 'x' AND name = 5", "wealth", `unknown queryable "wealth"`},
		{"poverty_rate = 'high'", "poverty_rate", "cannot compare poverty_rate (number) with 'high' (string)"},
		{"5 < name", "name", "cannot compare 5 (number) with name (string)"},
		{"suppressed = 1", "suppressed", "cannot compare suppressed (boolean) with 1 (number)"},
		{"poverty_rate = name", "poverty_rate", "cannot compare poverty_rate (number) with name (string)"},
		{"1 = 'a'", "", "cannot compare 1 (number) with 'a' (string)"},
		{"members BETWEEN 1 AND 'z'", "members", "cannot compare members (number) with 'z' (string) in BETWEEN"},
		{"name IN ('a', 2)", "name", "cannot compare name (string) with 2 (number) in IN"},
		{"members LIKE '1%'", "members", "LIKE needs a string, but members is a number"},
		{"S_INTERSECTS(name, POINT(1 2))", "name", "S_INTERSECTS needs a geometry, but name is a string"},
		{"geometry = 1", "geometry", `"geometry" is a geometry: use it in S_INTERSECTS`},
		{"geometry IS NULL", "geometry", `"geometry" is a geometry: use it in S_INTERSECTS`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			e, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			err = Check(e, testQueryables)
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var pe *PropertyError
			if !errors.As(err, &pe) {
				t.Fatalf("Check = %v, want a *PropertyError", err)
			}
			if pe.Name != tc.wantName || len(pe.Msg) < len(tc.wantMsg) || pe.Msg[:len(tc.wantMsg)] != tc.wantMsg || err.Error() != pe.Msg {
				t.Errorf("Check = %+v\nwant Name %q, Msg starting %q", *pe, tc.wantName, tc.wantMsg)
			}
		})
	}
	if err := Check(nil, testQueryables); err != nil {
		t.Errorf("Check(nil) = %v", err)
	}
}

func TestProperties(t *testing.T) {
	e, err := Parse("b = 1 AND (a IN (c, 2) OR NOT b BETWEEN d AND 3) AND S_INTERSECTS(geometry, POINT(0 0)) AND x LIKE 'y' AND a IS NULL")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "b", "c", "d", "geometry", "x"}
	if got := Properties(e); !reflect.DeepEqual(got, want) {
		t.Errorf("Properties = %q, want %q", got, want)
	}
	if got := Properties(nil); len(got) != 0 {
		t.Errorf("Properties(nil) = %q", got)
	}
}
