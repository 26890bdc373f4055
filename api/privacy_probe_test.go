package api

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"labmap/api/auth"
	"labmap/data"
	"labmap/data/demo"
	"labmap/data/disclosuretest"
	"labmap/data/memory"
	"labmap/geo"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// probe is the privacy probe of issue 13: the default real-boundary demo
// dataset served with households for staff, asked every route as the
// public and as an analyst, each answer searched for households and for
// figures the disclosure rule hides.
type probe struct {
	h         http.Handler
	store     *memory.Store
	truth     *memory.Store // the same data with the primary rule at k 1: what the attacks recover
	ds        data.Dataset
	tok       map[string]string // by role; "public" has none
	ids       map[string]bool   // every household id
	names     map[string]bool   // every head name
	points    map[[2]float64]bool
	published map[statsKey]map[string]data.AreaStats
	unprotect map[statsKey]map[string]data.AreaStats
	rounds    []data.Round
	compared  int // figures compared, so a probe that compared nothing fails
	// opened counts, per kind of answer being read (kind/format), the
	// figures an analyst was given that the public is not: the role must
	// open them everywhere, or it is a public answer under another name.
	opened     map[string]int
	reading    string
	responses  int
	householdN int
}

type statsKey struct {
	level data.Level
	res   int
	round data.Round
	zone  string
}

func newProbe(t *testing.T) *probe {
	t.Helper()
	ds, err := demo.Generate(demo.Options{Households: demo.DefaultHouseholds})
	if err != nil {
		t.Fatal(err)
	}
	if err := data.CheckDataset(&ds, "demo"); err != nil {
		t.Fatal(err)
	}
	mem, err := memory.New(ds, memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	truth, err := memory.New(ds, memory.Options{MinHouseholds: 1, PrimaryOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.OpenFileStore(filepath.Join(t.TempDir(), "tokens.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &probe{store: mem, truth: truth, ds: ds, tok: map[string]string{"public": ""},
		ids: map[string]bool{}, names: map[string]bool{}, points: map[[2]float64]bool{},
		published: map[statsKey]map[string]data.AreaStats{}, unprotect: map[statsKey]map[string]data.AreaStats{},
		opened: map[string]int{}}
	for role, req := range map[string]auth.CreateRequest{
		"analyst": {Role: auth.RoleAnalyst},
		// The staff token exists so that the household routes are live;
		// the probe never uses it.
		"staff": {Role: auth.RoleStaff, Zones: []string{"urban-kertijayan"}},
	} {
		req.Name, req.Expires = "Probe "+role, time.Now().Add(24*time.Hour)
		tok, _, err := tokens.Create(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		p.tok[role] = tok
	}
	for _, h := range ds.Households {
		p.ids[h.ID] = true
		p.names[h.HeadName] = true
		p.points[roundPoint(h.Loc[0], h.Loc[1])] = true
	}
	p.householdN = len(ds.Households)
	rounds, err := mem.Rounds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rounds {
		p.rounds = append(p.rounds, r.Round)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	p.h = New(memory.WithHouseholds(mem, ds, quiet), quiet, Options{Tokens: tokens})
	return p
}

func roundPoint(lon, lat float64) [2]float64 {
	return [2]float64{math.Round(lon * 1e6), math.Round(lat * 1e6)}
}

func (p *probe) get(role, path string, accept string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if tok := p.tok[role]; tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	r.RemoteAddr = "192.0.2.9:5000"
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, r)
	p.responses++
	return w
}

// stats is the store's answer at k, cached: published for the public,
// unsuppressed for an analyst (checked against a store without the rule by
// TestUnsuppressedIsTheTruth in data/memory).
func (p *probe) stats(t *testing.T, analyst bool, k statsKey) map[string]data.AreaStats {
	t.Helper()
	cache := p.published
	if analyst {
		cache = p.unprotect
	}
	if m, ok := cache[k]; ok {
		return m
	}
	areas, err := p.store.Stats(context.Background(), data.StatsQuery{Level: k.level, Res: k.res, Round: k.round, Zone: k.zone, Unsuppressed: analyst})
	if err != nil {
		t.Fatalf("store stats %+v: %v", k, err)
	}
	m := map[string]data.AreaStats{}
	for _, a := range areas {
		m[a.Code] = a
	}
	cache[k] = m
	return m
}

// target is one request of the walk: a path with its query, and how to
// read the figures in its answer.
type target struct {
	path    string
	formats bool // ask it as json, html, csv and gpkg too
	kind    string
	key     statsKey // the figures' level, resolution, round and zone (items, stats)
}

// isDigit, isLetter and numberAt scan bodies by hand: regular expressions
// over every answer cost the probe most of its time.
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isLetter(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '\'' || c >= 0x80
}

// numberAt reads the decimal number at body[i:], returning it and its end.
func numberAt(body []byte, i int) (float64, int, bool) {
	j := i
	if j < len(body) && body[j] == '-' {
		j++
	}
	for j < len(body) && (isDigit(body[j]) || body[j] == '.') {
		j++
	}
	n, err := strconv.ParseFloat(string(body[i:j]), 64)
	return n, j, err == nil
}

// households lists every household id, head name or point in body.
func (p *probe) households(body []byte, binaryGeometry bool) (found []string) {
	for i := 10; i+7 <= len(body); i++ {
		if body[i] != '-' || !isDigit(body[i-1]) || !isDigit(body[i+1]) {
			continue
		}
		if id := string(body[i-10 : i+7]); p.ids[id] {
			found = append(found, "household id "+id)
		}
	}
	// Names: every run of capitalised words, and each run of two to six
	// words inside it.
	var words []string
	flush := func() {
		for a := range words {
			for b := a + 2; b <= len(words) && b <= a+6; b++ {
				if n := strings.Join(words[a:b], " "); p.names[n] {
					found = append(found, "head name "+n)
				}
			}
		}
		words = words[:0]
	}
	for i := 0; i < len(body); {
		if !isLetter(body[i]) || !(body[i] >= 'A' && body[i] <= 'Z') || (i > 0 && isLetter(body[i-1])) {
			i++
			continue
		}
		j := i
		for j < len(body) && (isLetter(body[j]) || body[j] == '.' || body[j] == '-') {
			j++
		}
		words = append(words, string(body[i:j]))
		if j >= len(body) || body[j] != ' ' {
			flush()
		}
		i = j
	}
	flush()
	// Points as text (GeoJSON, CSV, WKT, HTML): every longitude of the
	// regency followed, after a separator, by a latitude.
	for off := 0; ; {
		k := bytes.Index(body[off:], []byte("109."))
		if k < 0 {
			break
		}
		start := off + k
		off = start + 4
		lon, end, ok := numberAt(body, start)
		if !ok {
			continue
		}
		for end < len(body) && (body[end] == ',' || body[end] == ' ' || body[end] == ']' || body[end] == '[') {
			end++
		}
		if lat, _, ok := numberAt(body, end); ok && p.points[roundPoint(lon, lat)] {
			found = append(found, fmt.Sprintf("household point %v %v", lon, lat))
		}
	}
	// GeoPackage geometries are WKB: a household point would be its two
	// coordinates as little-endian doubles.
	for i := 0; binaryGeometry && i+16 <= len(body); i++ {
		lon := math.Float64frombits(binary.LittleEndian.Uint64(body[i:]))
		if lon < 109 || lon > 110.5 {
			continue
		}
		lat := math.Float64frombits(binary.LittleEndian.Uint64(body[i+8:]))
		if p.points[roundPoint(lon, lat)] && math.Abs(lon*1e6-math.Round(lon*1e6)) < 1e-3 {
			found = append(found, fmt.Sprintf("household point %v %v as WKB", lon, lat))
		}
	}
	return found
}

// figures checks one area's properties against what the store publishes
// (public) or holds (analyst): a figure present must be the store's, and a
// hidden one (suppressed area, withheld value) must be absent or null.
func (p *probe) figures(t *testing.T, where string, analyst bool, k statsKey, props map[string]any) {
	t.Helper()
	code, _ := props["code"].(string)
	if code == "" {
		t.Errorf("%s: an area without a code: %v", where, props)
		return
	}
	want, ok := p.stats(t, analyst, k)[code]
	if !ok {
		t.Errorf("%s: area %s is not one the store has at %+v", where, code, k)
		return
	}
	for i, ind := range data.Indicators {
		got, present := props[ind.Key]
		if !present || got == nil || got == "" {
			continue
		}
		p.figuresN()
		if analyst {
			if pub, listed := p.stats(t, false, k)[code]; !listed || pub.Suppressed || pub.Values[i].Withheld {
				p.opened[p.reading]++
			}
		}
		if want.Suppressed || !want.Values[i].Valid || want.Values[i].Withheld {
			t.Errorf("%s: area %s at %+v: %s = %v is a figure the rule hides", where, code, k, ind.Key, got)
			continue
		}
		v := want.Values[i]
		if ind.Kind == data.KindCategory {
			if got != v.Text {
				t.Errorf("%s: area %s: %s = %v, the store has %q", where, code, ind.Key, got, v.Text)
			}
			continue
		}
		n, ok := number(got)
		if !ok || math.Abs(n-v.Number) > 1e-6*math.Max(1, math.Abs(v.Number)) {
			t.Errorf("%s: area %s at %+v: %s = %v, the store has %v", where, code, k, ind.Key, got, v.Number)
		}
	}
}

func (p *probe) figuresN() { p.compared++ }

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float32:
		return float64(x), true
	case string:
		n, err := strconv.ParseFloat(x, 64)
		return n, err == nil
	}
	return 0, false
}

// read finds the figures in one answer of tg's kind.
func (p *probe) read(t *testing.T, where string, analyst bool, tg target, format string, body []byte) {
	t.Helper()
	k := tg.key
	p.reading = tg.kind + "/" + format
	switch {
	case tg.kind == "stats":
		var out struct {
			Round data.Round       `json:"round"`
			Areas []map[string]any `json:"areas"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		k.round = out.Round
		for _, a := range out.Areas {
			p.figures(t, where, analyst, k, a)
		}
	case (tg.kind == "items" || tg.kind == "item") && (format == "" || format == "json"):
		var fc struct {
			Features   []struct{ Properties map[string]any } `json:"features"`
			Properties map[string]any                        `json:"properties"`
		}
		if err := json.Unmarshal(body, &fc); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if fc.Properties != nil {
			fc.Features = append(fc.Features, struct{ Properties map[string]any }{fc.Properties})
		}
		for _, f := range fc.Features {
			k.round = data.Round(f.Properties["round"].(string))
			p.figures(t, where, analyst, k, f.Properties)
		}
	case tg.kind == "items" && format == "csv":
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		for _, row := range rows[1:] {
			props := map[string]any{}
			for i, h := range rows[0] {
				props[h] = row[i]
			}
			k.round = data.Round(row[slicesIndex(rows[0], "round")])
			p.figures(t, where, analyst, k, props)
		}
	case tg.kind == "tile":
		layers, err := mvt.Unmarshal(body)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		for _, l := range layers {
			lvl := map[string]data.Level{"hexagons": data.LevelHexagon, "villages": data.LevelVillage, "districts": data.LevelDistrict, "zones": data.LevelZone}[l.Name]
			if lvl == "" {
				t.Errorf("%s: layer %q is not an area layer", where, l.Name)
				continue
			}
			for _, f := range l.Features {
				switch f.Geometry.(type) {
				case orb.Point, orb.MultiPoint:
					t.Errorf("%s: layer %s has a point feature", where, l.Name)
				}
				kk := k
				kk.level = lvl
				if lvl == data.LevelHexagon {
					r, _ := number(f.Properties["res"])
					kk.res = int(r)
				}
				p.figures(t, where, analyst, kk, f.Properties)
			}
		}
	}
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// targets fills every route template with real values. A template it
// does not know fails the walk: a new route must be added here.
func (p *probe) targets(t *testing.T, template string) []target {
	t.Helper()
	latest := p.rounds[len(p.rounds)-1]
	// Tiles and items at the baseline and the latest round; /api/stats
	// asks every round.
	ends := []data.Round{p.rounds[0], latest}
	var out []target
	tileAt := func(prefix string, kind string, q string, k statsKey) {
		for _, pt := range []orb.Point{{109.663, -6.935}, {109.55, -7.22}} {
			for _, z := range []maptile.Zoom{10, 14, 15} {
				tl := maptile.At(pt, z)
				out = append(out, target{path: fmt.Sprintf("%s/%d/%d/%d.mvt%s", prefix, tl.Z, tl.X, tl.Y, q), kind: kind, key: k})
			}
		}
	}
	someHousehold := p.ds.Households[0].ID
	switch template {
	case "/tiles/households/{z:[0-9]+}/{x:[0-9]+}/{y:[0-9]+}.{ext:(?:mvt|pbf)}":
		tileAt("/tiles/households", "", "", statsKey{})
	case "/tiles/{layers}/{z:[0-9]+}/{x:[0-9]+}/{y:[0-9]+}.{ext:(?:mvt|pbf)}":
		for _, layers := range []string{"hexagons", "villages", "districts", "zones", "hexagons,villages,districts,zones"} {
			for _, r := range ends {
				tileAt("/tiles/"+layers, "tile", "?round="+string(r), statsKey{round: r})
			}
			tileAt("/tiles/"+layers, "tile", "?zone=urban-kertijayan", statsKey{round: latest, zone: "urban-kertijayan"})
			tileAt("/tiles/"+layers, "tile", "?res=10", statsKey{round: latest})
		}
	case "/":
		out = append(out, target{path: "/", formats: true})
	case "/web/config.json", "/api", "/api.html", "/conformance", "/collections", "/healthz", "/readyz",
		"/api/indicators", "/api/rounds", "/api/zones", "/api/whoami":
		out = append(out, target{path: template, formats: true})
	case "/web/":
		out = append(out, target{path: "/web/"}, target{path: "/web/index.html"})
	case "/fonts/{fontstack}/{range}.pbf":
		out = append(out, target{path: "/fonts/Noto%20Sans%20Regular/0-255.pbf"}, target{path: "/fonts/Noto%20Sans%20Bold/256-511.pbf"})
	case "/collections/households", "/collections/households/queryables":
		out = append(out, target{path: template, formats: true})
	case "/collections/households/items":
		for _, q := range []string{"", "?limit=all", "?filter=" + url.QueryEscape("village_code = '33.26.14.2001'"), "?bbox=109.5,-7.3,109.8,-6.8"} {
			out = append(out, target{path: template + q, formats: true})
		}
	case "/collections/households/items/{feature}":
		out = append(out, target{path: "/collections/households/items/" + someHousehold, formats: true})
	case "/collections/{collection}", "/collections/{collection}/queryables", "/collections/{collection}/schema":
		for _, c := range collections() {
			out = append(out, target{path: strings.Replace(template, "{collection}", c.ID, 1), formats: true})
		}
	case "/collections/{collection}/items":
		for _, c := range collections() {
			for _, r := range ends {
				k := statsKey{level: c.Level, res: c.Res, round: r}
				q := "?round=" + string(r)
				out = append(out, target{path: "/collections/" + c.ID + "/items" + q, formats: true, kind: "items", key: k})
				if c.Level != data.LevelHexagon || c.Res <= 7 {
					out = append(out, target{path: "/collections/" + c.ID + "/items" + q + "&limit=all", formats: true, kind: "items", key: k})
				}
			}
		}
	case "/collections/{collection}/items/{feature}":
		for _, c := range collections() {
			areas := p.stats(t, false, statsKey{level: c.Level, res: c.Res, round: latest})
			var shown, hidden string
			for code, a := range areas {
				if a.Suppressed && hidden == "" {
					hidden = code
				}
				if !a.Suppressed && len(a.Values) > 0 && shown == "" {
					shown = code
				}
			}
			for _, code := range []string{shown, hidden} {
				if code != "" {
					out = append(out, target{path: "/collections/" + c.ID + "/items/" + code, formats: true, kind: "item", key: statsKey{level: c.Level, res: c.Res, round: latest}})
				}
			}
		}
	case "/reports/{zone}.pdf", "/maps/{zone}.png":
		// Rendered documents: searched for households only (the report
		// package's own tests compare their figures with /api/stats).
		ext := template[strings.LastIndex(template, "."):]
		base := template[:strings.Index(template, "{")]
		out = append(out, target{path: base + "urban-kertijayan" + ext}, target{path: base + "coastal-mulyorejo" + ext + "?lang=en"})
	case "/metrics":
		// Operators' series: no figures, and refused to the public and
		// analysts (TestMetrics reads them as an admin).
		out = append(out, target{path: "/metrics"})
	case "/packs/{zone}.zip":
		// The offline pack: searched for households only (its figures are
		// the API's public answers, compared byte for byte in TestPack).
		out = append(out, target{path: "/packs/urban-kertijayan.zip"})
	case "/api/stats":
		for _, r := range p.rounds {
			for _, lvl := range data.Levels {
				if lvl == data.LevelHexagon {
					for _, res := range geo.Resolutions {
						if res >= fineHexRes {
							// The whole region at a fine resolution is
							// answered a few indicators at a time (budget.go).
							for i := 0; i < len(data.Indicators); i += maxFineHexFields {
								var keys []string
								for _, ind := range data.Indicators[i:min(i+maxFineHexFields, len(data.Indicators))] {
									keys = append(keys, ind.Key)
								}
								out = append(out, target{path: fmt.Sprintf("/api/stats?level=hexagon&res=%d&round=%s&fields=%s", res, r, strings.Join(keys, ",")), kind: "stats", key: statsKey{level: lvl, res: res}})
							}
						} else {
							out = append(out, target{path: fmt.Sprintf("/api/stats?level=hexagon&res=%d&round=%s", res, r), kind: "stats", key: statsKey{level: lvl, res: res}})
						}
						out = append(out, target{path: fmt.Sprintf("/api/stats?level=hexagon&res=%d&round=%s&zone=urban-kertijayan", res, r), kind: "stats", key: statsKey{level: lvl, res: res, zone: "urban-kertijayan"}})
					}
					continue
				}
				out = append(out, target{path: fmt.Sprintf("/api/stats?level=%s&round=%s", lvl, r), kind: "stats", key: statsKey{level: lvl}})
				out = append(out, target{path: fmt.Sprintf("/api/stats?level=%s&round=%s&zone=coastal-mulyorejo", lvl, r), kind: "stats", key: statsKey{level: lvl, zone: "coastal-mulyorejo"}})
			}
		}
	case "/tiles/{layers}.json":
		for _, l := range []string{"hexagons", "villages", "districts", "zones", "households", "villages,zones"} {
			out = append(out, target{path: "/tiles/" + l + ".json"})
		}
	case "/styles/{indicator}.json", "/styles/{indicator}.qml", "/styles/{indicator}.sld":
		for _, ind := range []string{"poverty_rate", "chronic_ill", "chronic_ill_treated_rate", "disabled", "households"} {
			out = append(out, target{path: strings.Replace(template, "{indicator}", ind, 1)})
		}
	case "/qgis/labmap.{ext:(?:qgs|qgz)}":
		out = append(out, target{path: "/qgis/labmap.qgs"}, target{path: "/qgis/labmap.qgz"})
	default:
		t.Errorf("route %s: the privacy probe has no values for it; add them to probe.targets", template)
	}
	return out
}

// TestPrivacyProbe walks every route of the router as the public and as an
// analyst, in every format, and checks each answer for households and for
// figures the disclosure rule hides.
func TestPrivacyProbe(t *testing.T) {
	// One dataset and store for every part: building them dominates the
	// probe's time under -race.
	p := newProbe(t)
	t.Run("finds", func(t *testing.T) { probeFinds(t, p) })
	t.Run("routes", func(t *testing.T) { probeRoutes(t, p) })
	t.Run("inference", func(t *testing.T) { probeInference(t, p) })
}

// probeRoutes walks the router.
func probeRoutes(t *testing.T, p *probe) {
	s := newServer(p.store, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{}, webDist())
	var templates []string
	err := s.routes().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		templates = append(templates, tpl)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(templates) < 30 {
		t.Fatalf("the walk found %d routes", len(templates))
	}
	statuses := map[int]int{}
	for _, tpl := range templates {
		targets := p.targets(t, tpl)
		if len(targets) == 0 {
			continue
		}
		for _, tg := range targets {
			formats := []string{""}
			if tg.formats {
				formats = []string{"", "json", "html", "csv", "gpkg"}
			}
			for _, f := range formats {
				path := tg.path
				if f != "" {
					sep := "?"
					if strings.Contains(path, "?") {
						sep = "&"
					}
					path += sep + "f=" + f
				}
				for _, role := range []string{"public", "analyst"} {
					accept := ""
					if tg.path == "/" && f == "" {
						accept = "text/html"
					}
					w := p.get(role, path, accept)
					statuses[w.Code]++
					where := role + " " + path
					body := w.Body.Bytes()
					for _, leak := range p.households(body, f == "gpkg") {
						t.Errorf("%s: %s in the response", where, leak)
					}
					if w.Code == http.StatusOK {
						p.read(t, where, role == "analyst", tg, f, body)
					}
					if strings.Contains(tpl, "households") && w.Code == http.StatusOK && !strings.HasSuffix(tg.path, ".json") {
						t.Errorf("%s: %d, a household route answered a %s", where, w.Code, role)
					}
				}
			}
		}
	}
	if p.compared < 100000 {
		t.Errorf("the probe compared only %d figures", p.compared)
	}
	for _, kind := range []string{"stats/", "items/", "items/json", "items/csv", "item/", "tile/"} {
		if p.opened[kind] == 0 {
			t.Errorf("an analyst was given no figure the public is not in %s answers", kind)
		}
	}
	t.Logf("figures opened to the analyst: %v", p.opened)
	t.Logf("%d routes, %d responses %v, %d figures compared", len(templates), p.responses, statuses, p.compared)
}

// probeInference asks the items endpoints the filters and sort
// orders that would find hidden figures, and plays the differencing attacks
// on the store the probe serves (its figures are the HTTP answers', as
// TestPrivacyProbe checks).
func probeInference(t *testing.T, p *probe) {
	latest := p.rounds[len(p.rounds)-1]
	i := data.IndicatorIndex("chronic_ill")
	for _, c := range []string{"villages", "districts", "hexagons_r9", "hexagons_r10"} {
		col, _ := collectionByID(c)
		for _, role := range []string{"public", "analyst"} {
			pub := p.stats(t, role == "analyst", statsKey{level: col.Level, res: col.Res, round: latest})
			for _, tc := range []struct {
				query string
				keep  func(a data.AreaStats) bool
			}{
				{"filter=" + url.QueryEscape("households < 5"), func(a data.AreaStats) bool { return !a.Suppressed && a.Households < 5 }},
				{"filter=" + url.QueryEscape("chronic_ill = 2"), func(a data.AreaStats) bool {
					return !a.Suppressed && a.Values[i].Valid && !a.Values[i].Withheld && a.Values[i].Number == 2
				}},
				{"sortby=chronic_ill", nil},
				{"sortby=-chronic_ill", nil},
			} {
				path := "/collections/" + c + "/items?limit=all&" + tc.query
				w := p.get(role, path, "")
				if w.Code != http.StatusOK {
					t.Errorf("%s %s: %d %s", role, path, w.Code, w.Body.String())
					continue
				}
				var fc struct {
					Features []struct{ Properties map[string]any } `json:"features"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &fc); err != nil {
					t.Fatal(err)
				}
				var codes []string
				for _, f := range fc.Features {
					codes = append(codes, f.Properties["code"].(string))
				}
				if tc.keep != nil {
					for _, code := range codes {
						if !tc.keep(pub[code]) {
							t.Errorf("%s %s: matched %s, whose published figures do not satisfy the filter", role, path, code)
						}
					}
					continue
				}
				if len(codes) != len(pub) {
					t.Errorf("%s %s: %d areas, the store publishes %d", role, path, len(codes), len(pub))
				}
				// The published chronic_ill values come first, in order; every
				// hidden one after them, so the order tells nothing about them.
				desc := strings.HasPrefix(tc.query, "sortby=-")
				hiddenSeen, prev := false, math.NaN()
				for _, code := range codes {
					a := pub[code]
					if a.Suppressed || !a.Values[i].Valid || a.Values[i].Withheld {
						hiddenSeen = true
						continue
					}
					v := a.Values[i].Number
					if hiddenSeen {
						t.Errorf("%s %s: %s (chronic_ill %v) comes after a hidden one", role, path, code, v)
						break
					}
					if !math.IsNaN(prev) && ((!desc && v < prev) || (desc && v > prev)) {
						t.Errorf("%s %s: %s (chronic_ill %v) out of order after %v", role, path, code, v, prev)
						break
					}
					prev = v
				}
			}
		}
	}
	disclosuretest.Attacks(t, p.ds, p.store, p.truth, 1000)
}

// probeFinds checks that the probe's search finds a household
// id, head name and point, as text and as WKB, where they are.
func probeFinds(t *testing.T, p *probe) {
	h := p.ds.Households[len(p.ds.Households)/2]
	text := fmt.Sprintf(`{"id":"%s","head":"Ibu %s","geometry":{"coordinates":[%v,%v]}}`, h.ID, h.HeadName, h.Loc[0], h.Loc[1])
	wkb := []byte("GP\x00\x01")
	wkb = binary.LittleEndian.AppendUint64(wkb, math.Float64bits(h.Loc[0]))
	wkb = binary.LittleEndian.AppendUint64(wkb, math.Float64bits(h.Loc[1]))
	for _, tc := range []struct {
		name   string
		body   []byte
		binary bool
		want   int
	}{
		{"text", []byte(text), false, 3},
		{"wkb", wkb, true, 1},
		{"aggregates only", p.get("public", "/collections/villages/items?limit=all", "").Body.Bytes(), false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.households(tc.body, tc.binary); len(got) != tc.want {
				t.Errorf("found %v, want %d findings", got, tc.want)
			}
		})
	}
}
