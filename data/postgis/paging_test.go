package postgis_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

// TestCursorWalkDifferential walks collections by following next links
// (keyset cursors) in both stores, in several orders — with nulls,
// descending keys, booleans, the zone and filters — and requires each page
// byte for byte the same from both, every feature exactly once, and the
// walk's order equal to one page of the whole query.
func TestCursorWalkDifferential(t *testing.T) {
	t.Parallel() // its own database: it runs beside the others while they wait on PostgreSQL
	_, _, memAPI, pgAPI := bothStores(t)
	stamp := regexp.MustCompile(`"timeStamp":"[^"]*"`)
	body := func(srv, path string) []byte {
		b := bytes.ReplaceAll(get(t, srv+path), []byte(srv), nil)
		return stamp.ReplaceAll(b, []byte(`"timeStamp":""`))
	}
	type page struct {
		Features []struct {
			ID string `json:"id"`
		} `json:"features"`
		NumberMatched int `json:"numberMatched"`
		Links         []struct {
			Rel, Href string
		} `json:"links"`
	}
	for _, tc := range []struct {
		name, path string
		limit      int
	}{
		{"villages by code", "/collections/villages/items?round=2017-12-01", 37},
		{"villages by rate, nulls last, descending", "/collections/villages/items?sortby=-chronic_ill_treated_rate", 29},
		{"villages by zone then name descending", "/collections/villages/items?sortby=zone,-name", 50},
		{"villages by cause then households descending", "/collections/villages/items?sortby=dominant_cause,-households", 41},
		{"villages by suppressed then rate", "/collections/villages/items?sortby=suppressed,out_of_school_rate", 25},
		{"hexagons r9 by code", "/collections/hexagons_r9/items?round=2020-06-01", 10},
		{"hexagons r8 of a zone by rate", "/collections/hexagons_r8/items?zone=coastal-mulyorejo&sortby=-poverty_rate", 2},
		{"hexagons r8 filtered, by zone descending", "/collections/hexagons_r8/items?sortby=-zone,-households&filter=" + url.QueryEscape("households > 3"), 60},
		{"districts by lifted rate in a bbox", "/collections/districts/items?sortby=lifted_rate&bbox=109.5,-7.2,109.8,-6.8", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var whole page
			one := body(memAPI.URL, tc.path+"&limit=10000")
			if other := body(pgAPI.URL, tc.path+"&limit=10000"); !bytes.Equal(one, other) {
				t.Fatalf("one page of the whole query differs between the stores")
			}
			if err := json.Unmarshal(one, &whole); err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, f := range whole.Features {
				want = append(want, f.ID)
			}
			if len(want) <= tc.limit {
				t.Fatalf("%d features for pages of %d: the walk would not page", len(want), tc.limit)
			}
			var got []string
			next := tc.path + "&limit=" + strconv.Itoa(tc.limit)
			for pages := 0; next != ""; pages++ {
				if pages > len(want) {
					t.Fatal("the walk does not end")
				}
				a, b := body(memAPI.URL, next), body(pgAPI.URL, next)
				if !bytes.Equal(a, b) {
					t.Fatalf("page %d (%s) differs between the stores:\n memory  %.300s\n postgis %.300s", pages, next, a, b)
				}
				var p page
				if err := json.Unmarshal(a, &p); err != nil {
					t.Fatal(err)
				}
				if p.NumberMatched != whole.NumberMatched {
					t.Fatalf("page %d: numberMatched %d, want %d", pages, p.NumberMatched, whole.NumberMatched)
				}
				for _, f := range p.Features {
					got = append(got, f.ID)
				}
				next = ""
				for _, l := range p.Links {
					if l.Rel == "next" {
						next = l.Href
					}
				}
			}
			seen := map[string]bool{}
			for _, id := range got {
				if seen[id] {
					t.Fatalf("feature %s visited twice", id)
				}
				seen[id] = true
			}
			if !slices.Equal(got, want) {
				t.Errorf("the walk visited %d features, one page has %d, or their order differs", len(got), len(want))
			}
		})
	}
}
