package api

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"labmap/data"
	"labmap/data/cql"
)

// TestCursorWalk follows next links (keyset cursors) through collections in
// several orders, with nulls and descending keys, and requires every
// feature exactly once, in the order one page of the whole query has.
func TestCursorWalk(t *testing.T) {
	srv, _ := demoServer(t)
	for _, tc := range []struct {
		name, collection, query string
		limit                   int
	}{
		{"code order", "villages", "", 7},
		{"descending rate with nulls", "hexagons_r8", "sortby=-chronic_ill_treated_rate", 50},
		{"two keys, mixed directions", "villages", "sortby=dominant_cause,-households", 13},
		{"bool then nullable rate", "villages", "sortby=suppressed,out_of_school_rate", 17},
		{"zone then name descending", "villages", "sortby=zone,-name", 20},
		{"filtered, round, lab zone", "hexagons_r8", "zone=coastal-mulyorejo&round=2017-12-01&sortby=-poverty_rate", 2},
		{"filtered by CQL2", "districts", "filter=" + url.QueryEscape("households > 10") + "&sortby=-lifted_rate", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := srv.URL + "/collections/" + tc.collection + "/items?" + tc.query
			whole, _ := getFC(t, base+"&limit=10000")
			var want []string
			for _, f := range whole.Features {
				want = append(want, f.ID)
			}
			if len(want) < 3*tc.limit/2 {
				t.Fatalf("only %d features: the walk would not page", len(want))
			}
			checkOrder(t, tc.collection, tc.query, whole)

			got, matched := walkCursors(t, base+"&limit="+itoa(tc.limit))
			if matched != whole.NumberMatched || len(got) != matched {
				t.Errorf("walked %d features, numberMatched %d, one page has %d", len(got), matched, whole.NumberMatched)
			}
			seen := map[string]bool{}
			for _, id := range got {
				if seen[id] {
					t.Fatalf("feature %s visited twice", id)
				}
				seen[id] = true
			}
			if !slices.Equal(got, want) {
				t.Errorf("walk order differs from one page's order")
			}
		})
	}
}

// walkCursors is walk, also requiring that every next link carries a
// cursor and no offset.
func walkCursors(t *testing.T, u string) ([]string, int) {
	t.Helper()
	var ids []string
	matched := -1
	for pages := 0; u != ""; pages++ {
		if pages > 5000 {
			t.Fatal("too many pages")
		}
		fc, _ := getFC(t, u)
		if matched >= 0 && fc.NumberMatched != matched {
			t.Fatalf("numberMatched changed between pages: %d then %d", matched, fc.NumberMatched)
		}
		matched = fc.NumberMatched
		for _, f := range fc.Features {
			ids = append(ids, f.ID)
		}
		u = ""
		for _, l := range fc.Links {
			if l.Rel != "next" {
				continue
			}
			u = l.Href
			q, err := url.Parse(u)
			if err != nil {
				t.Fatal(err)
			}
			if q.Query().Get("cursor") == "" || q.Query().Has("offset") {
				t.Fatalf("next link %s: want a cursor and no offset", u)
			}
		}
		if u == "" && len(ids) < matched {
			t.Fatalf("no next link after %d of %d features", len(ids), matched)
		}
	}
	return ids, matched
}

// checkOrder checks a page against its sortby from the features' own
// properties (independently of the stores' comparators): each key ascending
// or descending, nulls last, ties by code.
func checkOrder(t *testing.T, collection, query string, fc featureCollection) {
	t.Helper()
	v, _ := url.ParseQuery(query)
	var keys []data.SortKey
	if s := v.Get("sortby"); s != "" {
		for _, k := range strings.Split(s, ",") {
			keys = append(keys, data.SortKey{Property: strings.TrimPrefix(k, "-"), Desc: strings.HasPrefix(k, "-")})
		}
	}
	value := func(props map[string]any, name string) (any, bool) {
		if name == "zone" {
			zs, ok := props["zones"].([]any)
			if !ok {
				return nil, false // no zones property to check against
			}
			if len(zs) == 0 {
				return nil, true
			}
			return zs[0], true
		}
		return props[name], true
	}
	compare := func(a, b any) int { // nulls last; numbers, strings, false<true
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return 1
		case b == nil:
			return -1
		}
		switch x := a.(type) {
		case float64:
			return cmp.Compare(x, b.(float64))
		case string:
			return strings.Compare(x, b.(string))
		case bool:
			y := b.(bool)
			switch {
			case !x && y:
				return -1
			case x && !y:
				return 1
			}
			return 0
		}
		t.Fatalf("%s: unexpected value %v", collection, a)
		return 0
	}
	for i := 1; i < len(fc.Features); i++ {
		p, q := fc.Features[i-1], fc.Features[i]
		c := 0
		for _, k := range keys {
			a, ok1 := value(p.Properties, k.Property)
			b, ok2 := value(q.Properties, k.Property)
			if !ok1 || !ok2 {
				return
			}
			if c = compare(a, b); c != 0 {
				if k.Desc && a != nil && b != nil {
					c = -c
				}
				break
			}
		}
		if c == 0 {
			c = strings.Compare(p.ID, q.ID)
		}
		if c >= 0 {
			t.Fatalf("%s %s: %s before %s is out of order", collection, query, p.ID, q.ID)
		}
	}
}

// TestCursorOffset: an offset with a cursor skips from the cursor.
func TestCursorOffset(t *testing.T) {
	srv, _ := demoServer(t)
	base := srv.URL + "/collections/villages/items?sortby=-poverty_rate"
	first, _ := getFC(t, base+"&limit=10")
	next := ""
	for _, l := range first.Links {
		if l.Rel == "next" {
			next = l.Href
		}
	}
	if next == "" {
		t.Fatal("no next link")
	}
	skipped, _ := getFC(t, next+"&offset=5")
	whole, _ := getFC(t, base+"&limit=30")
	if len(skipped.Features) != 10 || len(whole.Features) != 30 || skipped.Features[0].ID != whole.Features[15].ID {
		t.Errorf("cursor + offset=5 starts at %v, want the 16th feature %s", skipped.Features[0].ID, whole.Features[15].ID)
	}
	// The page after it knows where it is: its prev link goes back by offset.
	prev := ""
	for _, l := range skipped.Links {
		if l.Rel == "prev" {
			prev = l.Href
		}
	}
	if !strings.Contains(prev, "offset=5") || strings.Contains(prev, "cursor=") {
		t.Errorf("prev link %q: want offset=5 and no cursor", prev)
	}
}

// TestCursorErrors: a cursor that is not one of ours, or is one for another
// query, is a 400 naming the parameter.
func TestCursorErrors(t *testing.T) {
	srv, _ := demoServer(t)
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	villagesCursor := encodeCursor("villages", nil, data.Cursor{Code: "33.26.01.2001"}, 10)
	sortedCursor := encodeCursor("villages", []data.SortKey{{Property: "poverty_rate", Desc: true}},
		data.Cursor{Code: "33.26.01.2001", Values: []cql.Value{{Kind: cql.KindNumber, Num: 0.2}}}, 10)
	for _, tc := range []struct{ name, path string }{
		{"not base64", "/collections/villages/items?cursor=" + url.QueryEscape("!!*")},
		{"not JSON", "/collections/villages/items?cursor=" + enc("hello")},
		{"unknown member", "/collections/villages/items?cursor=" + enc(`{"c":"villages","k":"x","p":0,"z":1}`)},
		{"another collection", "/collections/districts/items?cursor=" + villagesCursor},
		{"another sortby", "/collections/villages/items?sortby=name&cursor=" + villagesCursor},
		{"sortby dropped", "/collections/villages/items?cursor=" + sortedCursor},
		{"wrong value type", "/collections/villages/items?sortby=-poverty_rate&cursor=" + enc(`{"c":"villages","s":"-poverty_rate","v":["high"],"k":"x","p":0}`)},
		{"missing values", "/collections/villages/items?sortby=-poverty_rate&cursor=" + enc(`{"c":"villages","s":"-poverty_rate","k":"x","p":0}`)},
		{"negative position", "/collections/villages/items?cursor=" + enc(`{"c":"villages","k":"x","p":-1}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var e struct {
				Error  string
				Status int
			}
			if resp.StatusCode != 400 || json.Unmarshal(body, &e) != nil || !strings.HasPrefix(e.Error, "parameter cursor:") {
				t.Errorf("%d %s: want 400 JSON naming parameter cursor", resp.StatusCode, body)
			}
		})
	}
}
