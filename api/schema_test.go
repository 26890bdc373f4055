package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"labmap/api/auth"
	"labmap/data"
	"labmap/data/cql"
)

func getBody(t *testing.T, u string) ([]byte, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	return b, resp.Header
}

// jsonType is the JSON Schema type of a decoded JSON value.
func jsonType(v any) string {
	switch x := v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	}
	return "null"
}

// TestFeatureSchema reads each collection's schemas through its links and
// checks them against the registry and against the features served: every
// property a feature carries is in the schema with a type its value has.
func TestFeatureSchema(t *testing.T) {
	// The full-size fixture: suppressed hexagons are not listed, and the
	// small one publishes no res-10 cell to check.
	srv := regencyServer(t)
	for _, c := range collections() {
		t.Run(c.ID, func(t *testing.T) {
			var coll struct{ Links []link }
			b, _ := getBody(t, srv.URL+"/collections/"+c.ID)
			if err := json.Unmarshal(b, &coll); err != nil {
				t.Fatal(err)
			}
			hrefs := map[string]string{}
			for _, l := range coll.Links {
				if l.Type == mediaSchema {
					hrefs[l.Rel] = l.Href
				}
			}
			if hrefs["describedBy"] == "" || hrefs["describedby"] != hrefs["describedBy"] || hrefs[relSchema] == "" {
				t.Fatalf("schema links: %v", hrefs)
			}
			type schemaDoc struct {
				Type       string                    `json:"type"`
				Properties map[string]map[string]any `json:"properties"`
			}
			var part5, feature schemaDoc
			for _, x := range []struct {
				href string
				doc  *schemaDoc
			}{{hrefs[relSchema], &part5}, {hrefs["describedBy"], &feature}} {
				b, h := getBody(t, x.href)
				if h.Get("Content-Type") != mediaSchema {
					t.Errorf("%s: Content-Type %q", x.href, h.Get("Content-Type"))
				}
				if err := json.Unmarshal(b, x.doc); err != nil || x.doc.Type != "object" {
					t.Fatalf("%s: %v %s", x.href, err, b)
				}
			}
			props := part5.Properties
			if props["code"]["x-ogc-role"] != "id" || props["geometry"]["x-ogc-role"] != "primary-geometry" ||
				props["round"]["format"] != "date" || props["zones"]["type"] != "array" {
				t.Errorf("identity properties: code %v geometry %v round %v zones %v", props["code"], props["geometry"], props["round"], props["zones"])
			}
			for _, ind := range data.Indicators {
				p := props[ind.Key]
				want := map[data.Kind]string{data.KindRate: "number", data.KindCount: "integer", data.KindCategory: "string"}[ind.Kind]
				if p["type"] != want || p["title"] != ind.Label.ID {
					t.Errorf("%s: %v, want type %s titled %q", ind.Key, p, want, ind.Label.ID)
				}
				if ind.Kind == data.KindRate && (p["minimum"] != 0.0 || p["maximum"] != 1.0) {
					t.Errorf("%s: rate without [0, 1]: %v", ind.Key, p)
				}
			}
			// The GeoJSON profile wraps the same properties in a Feature.
			inner := map[string]map[string]any{}
			raw, _ := json.Marshal(feature.Properties["properties"]["properties"])
			if err := json.Unmarshal(raw, &inner); err != nil {
				t.Fatal(err)
			}
			if len(inner) != len(props)-1 || feature.Properties["geometry"]["x-ogc-role"] != "primary-geometry" {
				t.Errorf("GeoJSON profile has %d properties, the schema %d besides the geometry", len(inner), len(props)-1)
			}
			for name, p := range inner {
				if p["type"] != props[name]["type"] {
					t.Errorf("%s: %v in the GeoJSON profile, %v in the schema", name, p["type"], props[name]["type"])
				}
			}
			fc, _ := getFC(t, srv.URL+"/collections/"+c.ID+"/items?limit=200")
			if len(fc.Features) == 0 {
				t.Fatal("no features")
			}
			for _, f := range fc.Features {
				for name, v := range f.Properties {
					p, ok := props[name]
					if !ok {
						t.Fatalf("%s: property %s is not in the schema", f.ID, name)
					}
					got := jsonType(v)
					switch {
					case got == "null":
					case got == "integer" && p["type"] == "number":
					case got != p["type"]:
						t.Errorf("%s: %s = %v is %s, the schema says %v", f.ID, name, v, got, p["type"])
					}
				}
			}
		})
	}
}

// TestPart5SchemaDiscovery follows the path an OGC API Features Part 5
// client (QGIS 3.30 and later) takes to a collection's schema: the
// conformance class in /conformance, then on every collection, in the list
// and on its own page, one link with the Part 5 relation and the schema
// media type, which must answer the schema; GDAL 3.6's describedBy link
// stays beside it.
func TestPart5SchemaDiscovery(t *testing.T) {
	srv, _ := demoServer(t)
	conf := getJSON(t, srv.URL+"/conformance", 200)
	declared := false
	for _, c := range conf["conformsTo"].([]any) {
		declared = declared || c == confSchemas
	}
	if !declared {
		t.Fatalf("/conformance lacks %s: %v", confSchemas, conf["conformsTo"])
	}
	var list struct {
		Collections []struct {
			ID    string
			Links []link
		}
	}
	b, _ := getBody(t, srv.URL+"/collections")
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Collections) != len(collections()) {
		t.Fatalf("/collections lists %d collections, the server has %d", len(list.Collections), len(collections()))
	}
	for _, c := range list.Collections {
		var own struct{ Links []link }
		b, _ := getBody(t, srv.URL+"/collections/"+c.ID)
		if err := json.Unmarshal(b, &own); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			where string
			links []link
		}{
			{"/collections", c.Links},
			{"/collections/" + c.ID, own.Links},
		} {
			t.Run(c.ID+" in "+tc.where, func(t *testing.T) {
				var part5, gdal []link
				for _, l := range tc.links {
					switch l.Rel {
					case relSchema:
						part5 = append(part5, l)
					case "describedBy":
						gdal = append(gdal, l)
					}
				}
				if len(part5) != 1 || part5[0].Type != mediaSchema {
					t.Fatalf("Part 5 schema links %+v, want one of type %s", part5, mediaSchema)
				}
				if len(gdal) != 1 {
					t.Errorf("describedBy links %+v, want one for GDAL 3.6", gdal)
				}
				b, h := getBody(t, part5[0].Href)
				if h.Get("Content-Type") != mediaSchema {
					t.Errorf("%s: Content-Type %q", part5[0].Href, h.Get("Content-Type"))
				}
				var doc struct {
					ID         string                    `json:"$id"`
					Properties map[string]map[string]any `json:"properties"`
				}
				if err := json.Unmarshal(b, &doc); err != nil {
					t.Fatalf("%s: %v", part5[0].Href, err)
				}
				if doc.ID != part5[0].Href {
					t.Errorf("schema $id %q, linked as %q", doc.ID, part5[0].Href)
				}
				for _, ind := range data.Indicators {
					if doc.Properties[ind.Key]["type"] == nil {
						t.Errorf("%s: no type for %s", part5[0].Href, ind.Key)
					}
				}
			})
		}
	}
}

// TestRatesAreWrittenAsDecimals reads the GeoJSON text itself: a rate of 0
// or 1 must be written 0.0 or 1.0 so that clients guessing types from the
// first features make the field Real, and counts must be plain integers.
func TestRatesAreWrittenAsDecimals(t *testing.T) {
	srv, _ := demoServer(t)
	var rates, counts []string
	for _, ind := range data.Indicators {
		switch ind.Kind {
		case data.KindRate:
			rates = append(rates, ind.Key)
		case data.KindCount:
			counts = append(counts, ind.Key)
		}
	}
	rate := regexp.MustCompile(`"(` + strings.Join(rates, "|") + `)":(-?[0-9.eE+-]+)`)
	count := regexp.MustCompile(`"(` + strings.Join(counts, "|") + `)":(-?[0-9.eE+-]+)`)
	wholeRates := 0
	for _, c := range []string{"villages", "districts", "zones", "hexagons_r8", "hexagons_r10"} {
		b, _ := getBody(t, srv.URL+"/collections/"+c+"/items?limit=all")
		for _, m := range rate.FindAllSubmatch(b, -1) {
			if !strings.Contains(string(m[2]), ".") || strings.ContainsAny(string(m[2]), "eE") {
				t.Fatalf("%s: %s written %s", c, m[1], m[2])
			}
			if string(m[2]) == "0.0" || string(m[2]) == "1.0" {
				wholeRates++
			}
		}
		for _, m := range count.FindAllSubmatch(b, -1) {
			if strings.ContainsAny(string(m[2]), ".eE") {
				t.Fatalf("%s: count %s written %s", c, m[1], m[2])
			}
		}
	}
	if wholeRates == 0 {
		t.Fatal("no rate of exactly 0 or 1 in the fixture: the test proves nothing")
	}
}

// TestDatetimeForms asks for every interval form GDAL and QGIS send and
// checks which round comes back: an interval selects its latest round, ends
// count by the date written.
func TestDatetimeForms(t *testing.T) {
	srv, store := demoServer(t)
	rounds, err := store.Rounds(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(rounds) != 3 || rounds[0].Round != "2017-12-01" || rounds[1].Round != "2019-06-01" || rounds[2].Round != "2020-06-01" {
		t.Fatalf("the fixture's rounds changed: %v", rounds)
	}
	for _, tc := range []struct {
		datetime string
		want     string // the round, or "" for a 400 naming datetime
	}{
		{"2017-12-01", "2017-12-01"},
		{"2017-12-01T/2017-12-01T", "2017-12-01"}, // GDAL 3.6, -where round >= '2017-12-01' AND round <= '2017-12-01'
		{"2017-12-01T", "2017-12-01"},             // GDAL 3.6, -where round = '2017-12-01'
		{"2019-06-01T/..", "2020-06-01"},          // GDAL 3.6, round >= ...
		{"../2019-06-01T", "2019-06-01"},          // GDAL 3.6, round <= ...
		{"2017-12-01T00:00:00Z/2018-01-01T00:00:00Z", "2017-12-01"},
		{"2019-06-01/", "2020-06-01"},
		{"/2018-01-01", "2017-12-01"},
		{"../..", "2020-06-01"},
		{"2019-06-01T10Z", "2019-06-01"},
		{"2019-06-01T10:30Z/2019-06-01T10:30Z", "2019-06-01"},
		{"2019-06-01T23:30:00-05:00", "2019-06-01"},
		{"2020-06-01T00:30:00.25+07:00", "2020-06-01"},
		{"2020-06-01t07:00:00+0700", "2020-06-01"},
		{"2018-01-01", ""},
		{"2020-06-01/2017-12-01", ""},
		{"2017-13-01", ""},
		{"2017-12-01T25:00Z", ""},
		{"2017-12-01T10:00+20:00", ""},
		{"June", ""},
		{"..", ""},
		{"2017-12-01/2018-01-01/2019-01-01", ""},
	} {
		t.Run(tc.datetime, func(t *testing.T) {
			u := srv.URL + "/collections/zones/items?limit=1&datetime=" + url.QueryEscape(tc.datetime)
			if tc.want == "" {
				body := getJSON(t, u, 400)
				if !strings.Contains(body["error"].(string), "datetime") {
					t.Errorf("error %q does not name datetime", body["error"])
				}
				return
			}
			fc, _ := getFC(t, u)
			if len(fc.Features) != 1 || fc.Features[0].Properties["round"] != tc.want {
				t.Fatalf("%d features, round %v; want %s", len(fc.Features), fc.Features[0].Properties["round"], tc.want)
			}
		})
	}
}

// linkHeaders parses the Link headers of a response into rel -> href.
func linkHeaders(h http.Header) map[string]string {
	re := regexp.MustCompile(`^<([^>]*)>; rel="([^"]*)"`)
	out := map[string]string{}
	for _, v := range h.Values("Link") {
		if m := re.FindStringSubmatch(v); m != nil {
			out[m[2]] = m[1]
		}
	}
	return out
}

// TestWholeCollectionCSV downloads a collection the way its enclosure link
// says, and the way a CSV client pages through Link headers: both hold
// every area exactly once, as many as numberMatched.
func TestWholeCollectionCSV(t *testing.T) {
	srv := regencyServer(t)
	readCSV := func(b []byte) [][]string {
		t.Helper()
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	for _, c := range []string{"villages", "districts", "hexagons_r9"} {
		t.Run(c, func(t *testing.T) {
			var coll struct{ Links []link }
			b, _ := getBody(t, srv.URL+"/collections/"+c)
			if err := json.Unmarshal(b, &coll); err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(coll.Links, func(l link) bool { return l.Rel == "enclosure" && l.Type == mediaCSV })
			if i < 0 {
				t.Fatalf("no CSV enclosure link: %v", coll.Links)
			}
			want, matched := walk(t, srv.URL+"/collections/"+c+"/items?limit=500")
			if matched <= defaultLimit && c != "districts" {
				t.Fatalf("%d %s: the test needs more than one default page", matched, c)
			}
			b, _ = getBody(t, coll.Links[i].Href)
			recs := readCSV(b)
			var got []string
			for _, r := range recs[1:] {
				got = append(got, r[0])
			}
			if !slices.Equal(got, want) || len(got) != matched {
				t.Fatalf("the whole-collection CSV has %d rows, the collection %d", len(got), matched)
			}
			// Paging CSV by the Link header, from the default page.
			var paged []string
			u := srv.URL + "/collections/" + c + "/items?f=csv"
			for pages := 0; u != ""; pages++ {
				if pages > 1000 {
					t.Fatal("too many pages")
				}
				b, h := getBody(t, u)
				for _, r := range readCSV(b)[1:] {
					paged = append(paged, r[0])
				}
				links := linkHeaders(h)
				if links["self"] == "" {
					t.Fatalf("%s: no Link rel=self", u)
				}
				u = links["next"]
			}
			if !slices.Equal(paged, want) {
				t.Fatalf("paging CSV by Link headers gave %d rows, want %d", len(paged), len(want))
			}
		})
	}
}

// TestLinkHeaders checks that the Link header of a GeoJSON page names the
// same pages as its body, and that a page too big to hold leaves next to
// the body rather than name a wrong one.
func TestLinkHeaders(t *testing.T) {
	srv, _ := demoServer(t)
	bodyLinks := func(b []byte) map[string]string {
		var fc featureCollection
		if err := json.Unmarshal(b, &fc); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, l := range fc.Links {
			if l.Type == mediaGeoJSON || l.Rel == "next" || l.Rel == "prev" {
				out[l.Rel] = l.Href
			}
		}
		return out
	}
	b, h := getBody(t, srv.URL+"/collections/villages/items?limit=50&offset=100")
	head, body := linkHeaders(h), bodyLinks(b)
	for _, rel := range []string{"self", "next", "prev"} {
		if head[rel] == "" || head[rel] != body[rel] {
			t.Errorf("rel=%s: header %q, body %q", rel, head[rel], body[rel])
		}
	}
	// A page bigger than what is held: 10,000 res-10 hexagons of the
	// full-size fixture as an analyst sees them (the public is not listed
	// the suppressed ones, and has fewer than a page).
	store, err := regencyStore()
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.OpenFileStore(filepath.Join(t.TempDir(), "tokens.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := tokens.Create(t.Context(), auth.CreateRequest{Name: "analyst", Role: auth.RoleAnalyst, Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	big := httptest.NewServer(New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Tokens: tokens}))
	t.Cleanup(big.Close)
	r, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, big.URL+"/collections/hexagons_r10/items?limit=10000", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, err = io.ReadAll(resp.Body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("analyst page: %d %v", resp.StatusCode, err)
	}
	h = resp.Header
	if len(b) <= linkHold || mustMatched(t, b) <= 10000 {
		t.Fatalf("a page of %d bytes of %d hexagons: the test needs more than %d bytes and a next page", len(b), mustMatched(t, b), linkHold)
	}
	head, body = linkHeaders(h), bodyLinks(b)
	if head["self"] == "" || head["next"] != "" || body["next"] == "" {
		t.Errorf("a streamed page's Link header %v, body's next %q", head, body["next"])
	}
}

func mustMatched(t *testing.T, b []byte) int {
	var fc featureCollection
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	return fc.NumberMatched
}

// TestZonesProperty checks the zones property of every level against the
// zones' own village lists: villages by membership, districts by their
// villages, zones by themselves, hexagons by the zone= view of each zone;
// the CSV joins them with semicolons.
func TestZonesProperty(t *testing.T) {
	srv, store := demoServer(t)
	zones, err := store.Zones(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	villageZones, districtZones := map[string][]string{}, map[string][]string{}
	for _, z := range zones {
		for _, v := range z.VillageCodes {
			villageZones[v] = append(villageZones[v], z.ID)
			d := data.DistrictCodeOf(v)
			if !slices.Contains(districtZones[d], z.ID) {
				districtZones[d] = append(districtZones[d], z.ID)
			}
		}
	}
	zonesOf := func(f map[string]any) []string {
		out := []string{}
		for _, z := range f["zones"].([]any) {
			out = append(out, z.(string))
		}
		return out
	}
	check := func(collection string, want func(code string) []string) {
		t.Helper()
		fc, _ := getFC(t, srv.URL+"/collections/"+collection+"/items?limit=all")
		inZone := 0
		for _, f := range fc.Features {
			w := want(f.ID)
			if w == nil {
				w = []string{}
			}
			if got := zonesOf(f.Properties); !slices.Equal(got, w) {
				t.Errorf("%s %s: zones %v, want %v", collection, f.ID, got, w)
			}
			if len(w) > 0 {
				inZone++
			}
		}
		if inZone == 0 || inZone == len(fc.Features) {
			t.Errorf("%s: %d of %d features in a zone; the check needs both kinds", collection, inZone, len(fc.Features))
		}
	}
	check("villages", func(c string) []string { return villageZones[c] })
	check("districts", func(c string) []string { return districtZones[c] })
	fc, _ := getFC(t, srv.URL+"/collections/zones/items")
	for _, f := range fc.Features {
		if got := zonesOf(f.Properties); !slices.Equal(got, []string{f.ID}) {
			t.Errorf("zone %s: zones %v", f.ID, got)
		}
	}
	hexZones := map[string][]string{}
	for _, z := range zones {
		ids, _ := walk(t, srv.URL+"/collections/hexagons_r9/items?limit=10000&zone="+z.ID)
		for _, id := range ids {
			hexZones[id] = append(hexZones[id], z.ID)
		}
	}
	check("hexagons_r9", func(c string) []string { return hexZones[c] })

	b, _ := getBody(t, srv.URL+"/collections/villages/items?f=csv&limit=all&properties=code,zones")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[0][1] != "zones" {
		t.Fatalf("CSV header %v", recs[0])
	}
	for _, r := range recs[1:] {
		if want := strings.Join(villageZones[r[0]], ";"); r[1] != want {
			t.Errorf("CSV %s: zones %q, want %q", r[0], r[1], want)
		}
	}
}

// TestOpenAPIQueryableParameters checks what GDAL looks for before it pushes
// a -where clause: each collection's items path lists its queryables as
// query parameters, and filter-lang does not offer GDAL's "cql-text".
func TestOpenAPIQueryableParameters(t *testing.T) {
	srv, _ := demoServer(t)
	var doc struct {
		Paths map[string]struct {
			Get struct {
				Parameters []map[string]any `json:"parameters"`
			} `json:"get"`
		} `json:"paths"`
	}
	b, _ := getBody(t, srv.URL+"/api")
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range collections() {
		params := doc.Paths["/collections/"+c.ID+"/items"].Get.Parameters
		names := map[string]map[string]any{}
		for _, p := range params {
			if ref, ok := p["$ref"].(string); ok {
				names[strings.TrimPrefix(ref, "#/components/parameters/")] = p
				continue
			}
			names[p["name"].(string)] = p
		}
		for _, q := range data.Queryables(c.Level) {
			_, listed := names[q.Name]
			if listed != (q.Type != cql.TypeGeometry) {
				t.Errorf("%s: queryable %s listed %v", c.ID, q.Name, listed)
			}
		}
		if _, ok := names["limit"]; !ok {
			t.Errorf("%s: no limit parameter", c.ID)
		}
		if enum := fmt.Sprint(names["filter-lang"]["schema"]); strings.Contains(enum, "cql-text ") || strings.Contains(enum, "[cql-text") {
			t.Errorf("%s: filter-lang offers cql-text: %s", c.ID, enum)
		}
	}
}
