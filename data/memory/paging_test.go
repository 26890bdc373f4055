package memory

import (
	"context"
	"errors"
	"slices"
	"testing"

	"labmap/data"
	"labmap/data/cql"
	"labmap/data/demo"
)

func demoMemoryStore(t testing.TB, households int) *Store {
	t.Helper()
	ds, err := demo.Generate(demo.Options{Households: households, Seed: 9})
	if err == nil {
		err = data.CheckDataset(&ds, "demo") // cleans the villages and dissolves the districts
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// codes runs q and lists the codes of the page, and the cursor of its last.
func codes(t testing.TB, s *Store, q data.FeatureQuery) ([]string, *data.Cursor, int) {
	t.Helper()
	var out []string
	var last *data.Cursor
	q.OnLast = func(c data.Cursor) { last = &c }
	n, err := s.Features(context.Background(), q, func(a *data.Area) error {
		out = append(out, a.Code)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, last, n
}

// TestFeaturesCursorWalk walks the store by seeking to each page's last
// position, in orders with nulls, descending keys and booleans, and
// requires each area once, in the order of the unpaged query.
func TestFeaturesCursorWalk(t *testing.T) {
	s := demoMemoryStore(t, 3000)
	filter, err := cql.Parse("households > 2")
	if err == nil {
		err = cql.Check(filter, data.QueryableTypes(data.LevelDistrict))
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		q     data.FeatureQuery
		limit int
	}{
		{"villages by code", data.FeatureQuery{StatsQuery: data.StatsQuery{Level: data.LevelVillage}}, 19},
		{"villages by rate descending, nulls last", data.FeatureQuery{StatsQuery: data.StatsQuery{Level: data.LevelVillage},
			SortBy: []data.SortKey{{Property: "chronic_ill_treated_rate", Desc: true}}}, 23},
		{"hexagons by suppressed then zone descending", data.FeatureQuery{StatsQuery: data.StatsQuery{Level: data.LevelHexagon, Res: 9},
			SortBy: []data.SortKey{{Property: "suppressed"}, {Property: "zone", Desc: true}}}, 7},
		{"filtered districts by cause", data.FeatureQuery{StatsQuery: data.StatsQuery{Level: data.LevelDistrict}, Filter: filter,
			SortBy: []data.SortKey{{Property: "dominant_cause"}, {Property: "households", Desc: true}}}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, _, matched := codes(t, s, tc.q)
			if len(want) != matched || matched <= tc.limit {
				t.Fatalf("%d areas, numberMatched %d, for pages of %d", len(want), matched, tc.limit)
			}
			var got []string
			q := tc.q
			q.Limit = tc.limit
			for len(got) < matched {
				page, last, n := codes(t, s, q)
				if n != matched {
					t.Fatalf("a page counts %d matches, the whole query %d", n, matched)
				}
				if len(page) == 0 {
					t.Fatalf("empty page after %d of %d", len(got), matched)
				}
				got = append(got, page...)
				q.After = last
			}
			if page, _, _ := codes(t, s, q); len(page) != 0 {
				t.Errorf("after the last area, a page of %d", len(page))
			}
			if !slices.Equal(got, want) {
				t.Errorf("the walk's order differs from the unpaged query's")
			}
		})
	}
}

func TestFeaturesCursorMismatch(t *testing.T) {
	s := demoMemoryStore(t, 1000)
	q := data.FeatureQuery{StatsQuery: data.StatsQuery{Level: data.LevelVillage}, SortBy: []data.SortKey{{Property: "name"}},
		After: &data.Cursor{Code: "33.26.01.2001"}}
	_, err := s.Features(context.Background(), q, func(*data.Area) error { return nil })
	if !errors.Is(err, data.ErrInvalidQuery) {
		t.Errorf("a cursor without the sort key's value: %v, want ErrInvalidQuery", err)
	}
}

// BenchmarkFeaturesPage is a page of 100 res-10 hexagons of the whole
// regency near the end of the collection, reached by offset (a skip) and by
// cursor (a seek), beside the first page: the seek should cost what the
// first page does.
func BenchmarkFeaturesPage(b *testing.B) {
	s := demoMemoryStore(b, 300_000)
	base := data.FeatureQuery{StatsQuery: data.StatsQuery{Level: data.LevelHexagon, Res: 10}, Limit: 100,
		SortBy: []data.SortKey{{Property: "poverty_rate", Desc: true}}}
	_, _, matched := codes(b, s, data.FeatureQuery{StatsQuery: base.StatsQuery, SortBy: base.SortBy})
	deep := base
	deep.Offset = matched - 200
	_, cursor, _ := codes(b, s, deep)
	for _, bc := range []struct {
		name string
		q    data.FeatureQuery
	}{
		{"first", base},
		{"deep-offset", deep},
		{"deep-cursor", data.FeatureQuery{StatsQuery: base.StatsQuery, SortBy: base.SortBy, Limit: 100, After: cursor}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				codes(b, s, bc.q)
			}
		})
	}
}
