package api

import (
	"slices"
	"strings"
	"testing"

	"labmap/data"
)

// TestIndicatorsBetter checks that every indicator says which way is good
// news, and that the ones the change map paints are the right way round.
func TestIndicatorsBetter(t *testing.T) {
	srv, _ := newTestServer(t)
	body := getJSON(t, srv.URL+"/api/indicators", 200)
	list := body["indicators"].([]any)
	if len(list) != len(data.Indicators) {
		t.Fatalf("%d indicators, want %d", len(list), len(data.Indicators))
	}
	got := map[string]string{}
	for _, x := range list {
		ind := x.(map[string]any)
		b, _ := ind["better"].(string)
		if b != "lower" && b != "higher" && b != "neutral" {
			t.Errorf("%v: better = %q, want lower, higher or neutral", ind["key"], ind["better"])
		}
		got[ind["key"].(string)] = b
	}
	for _, tc := range []struct{ key, better string }{
		{"poverty_rate", "lower"},
		{"poor", "lower"},
		{"extreme", "lower"},
		{"lifted", "higher"},
		{"lifted_rate", "higher"},
		{"latrine_access_rate", "higher"},
		{"open_defecation", "lower"},
		{"out_of_school_rate", "lower"},
		{"out_of_school", "lower"},
		{"rtlh", "lower"},
		{"rtlh_repaired_rate", "higher"},
		{"chronic_ill_treated_rate", "higher"},
		{"disabled_assisted_rate", "higher"},
		{"safe_water_rate", "higher"},
		{"electricity_rate", "higher"},
		{"households", "neutral"},
		{"members", "neutral"},
		{"dominant_cause", "neutral"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			if got[tc.key] != tc.better {
				t.Errorf("better = %q, want %q", got[tc.key], tc.better)
			}
		})
	}
}

func TestStatsFields(t *testing.T) {
	srv, _ := newTestServer(t)
	for _, tc := range []struct {
		name   string
		query  string
		want   []string // indicator keys in every unsuppressed row
		status int
		errHas string
	}{
		{"two fields", "fields=poverty_rate,households", []string{"households", "poverty_rate"}, 200, ""},
		{"repeated parameter", "fields=poverty_rate&fields=lifted_rate", []string{"lifted_rate", "poverty_rate"}, 200, ""},
		{"duplicates", "fields=poverty_rate,poverty_rate", []string{"poverty_rate"}, 200, ""},
		{"category brings its label", "fields=dominant_cause", []string{"dominant_cause", "dominant_cause_label"}, 200, ""},
		{"unknown", "fields=poverty_rate,wealth", nil, 400, `parameter fields: unknown indicator "wealth"`},
		{"empty", "fields=", nil, 400, "parameter fields: empty name"},
		{"trailing comma", "fields=poverty_rate,", nil, 400, "parameter fields: empty name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := getJSON(t, srv.URL+"/api/stats?level=village&"+tc.query, tc.status)
			if tc.status != 200 {
				if msg, _ := body["error"].(string); !strings.Contains(msg, tc.errHas) {
					t.Fatalf("error %q, want it to contain %q", msg, tc.errHas)
				}
				return
			}
			shown := 0
			for _, a := range body["areas"].([]any) {
				row := a.(map[string]any)
				if row["suppressed"] == true {
					continue
				}
				shown++
				var keys []string
				for k := range row {
					switch k {
					case "code", "name", "district_code", "suppressed", "withheld":
					default:
						keys = append(keys, k)
					}
				}
				slices.Sort(keys)
				if !slices.Equal(keys, tc.want) {
					t.Errorf("%v: fields %v, want %v", row["code"], keys, tc.want)
				}
			}
			if shown == 0 {
				t.Fatal("no unsuppressed village to check")
			}
		})
	}
}
