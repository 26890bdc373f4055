package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"labmap/api/auth"
	"labmap/data"
	"labmap/data/memory"
	"labmap/internal/tooltest"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// householdFixture serves the test dataset (households named) from a memory
// store that serves households, with tokens from a demo tokens file.
type householdFixture struct {
	h     http.Handler
	store *memory.StaffStore
	tok   map[string]string // by role name; "" is public
}

func newHouseholdFixture(t *testing.T) *householdFixture {
	t.Helper()
	tokens, err := auth.OpenFileStore(filepath.Join(t.TempDir(), "tokens.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &householdFixture{tok: map[string]string{"public": ""}}
	expires := time.Now().Add(24 * time.Hour)
	for name, req := range map[string]auth.CreateRequest{
		"analyst":   {Role: auth.RoleAnalyst},
		"staff":     {Role: auth.RoleStaff, Zones: []string{"urban-kertijayan"}},
		"staff-bua": {Role: auth.RoleStaff, Villages: []string{"33.26.14.2001"}},
		"admin":     {Role: auth.RoleAdmin},
	} {
		req.Name, req.Expires = "Tim "+name, expires
		tok, _, err := tokens.Create(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		f.tok[name] = tok
	}
	ds := testDataset()
	for i := range ds.Households {
		ds.Households[i].HeadName = "Bapak " + ds.Households[i].ID
	}
	mem, err := memory.New(ds, memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.store = memory.WithHouseholds(mem, ds, quiet)
	f.h = New(f.store, quiet, Options{Tokens: tokens})
	return f
}

func (f *householdFixture) get(t *testing.T, role, path string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if tok := f.tok[role]; tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	r.RemoteAddr = "192.0.2.7:5000"
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

// householdTilePath is the z14 tile holding Kertijayan's households.
func householdTilePath() string {
	t := maptile.At(orb.Point{109.663, -6.935}, 14)
	return "/tiles/households/" + tiles14(t) + ".mvt"
}

func tiles14(t maptile.Tile) string {
	return strings.Join([]string{itoa(int(t.Z)), itoa(int(t.X)), itoa(int(t.Y))}, "/")
}

type householdPage struct {
	Features []struct {
		ID         string         `json:"id"`
		Properties map[string]any `json:"properties"`
		Geometry   struct {
			Type        string    `json:"type"`
			Coordinates []float64 `json:"coordinates"`
		} `json:"geometry"`
	} `json:"features"`
	NumberMatched  int `json:"numberMatched"`
	NumberReturned int `json:"numberReturned"`
	Links          []link
}

func (p householdPage) ids() []string {
	var out []string
	for _, f := range p.Features {
		out = append(out, f.ID)
	}
	return out
}

func TestHouseholdsHiddenFromOthers(t *testing.T) {
	f := newHouseholdFixture(t)
	unknown := f.get(t, "public", "/collections/no-such").Body.String()
	paths := []string{
		"/collections/households", "/collections/households/items", "/collections/households/items?f=csv",
		"/collections/households/items/k1", "/collections/households/queryables", householdTilePath(),
	}
	for _, role := range []string{"public", "analyst"} {
		for _, p := range paths {
			t.Run(role+p, func(t *testing.T) {
				w := f.get(t, role, p)
				if w.Code != http.StatusNotFound {
					t.Fatalf("status %d, want 404: %s", w.Code, w.Body)
				}
				body := w.Body.String()
				if strings.Contains(body, "Bapak") || strings.Contains(body, "k1\"") && !strings.Contains(p, "k1") {
					t.Errorf("404 leaks a household: %s", body)
				}
				if strings.HasPrefix(p, "/collections/") && body != strings.ReplaceAll(unknown, "no-such", "households") {
					t.Errorf("404 differs from an unknown collection's:\n%s\n%s", body, unknown)
				}
			})
		}
		t.Run(role+"/collections", func(t *testing.T) {
			if body := f.get(t, role, "/collections").Body.String(); strings.Contains(body, `"households"`) {
				t.Errorf("/collections lists households for %s", role)
			}
		})
	}
	if audit, _ := f.store.Audit(context.Background(), data.AuditQuery{}); len(audit) != 0 {
		t.Errorf("refused requests were audited as reads: %v", audit)
	}
}

func TestHouseholdsForStaff(t *testing.T) {
	f := newHouseholdFixture(t)
	kertijayan := []string{"k1", "k2", "k3", "k4", "k5", "k6"}
	tests := []struct {
		name, role, query string
		want              []string
		matched           int
	}{
		{"zone grant", "staff", "", kertijayan, 6},
		{"village grant", "staff-bua", "", []string{"b1", "b2"}, 2},
		{"admin sees all", "admin", "", append([]string{"b1", "b2"}, kertijayan...), 8},
		{"filter", "staff", "?round=2017-12-01&filter=" + urlq("poverty_status IN ('poor','extreme')"), []string{"k1", "k2", "k3"}, 3},
		{"property filter", "staff", "?poverty_status=non_poor&round=2019-06-01", []string{"k1", "k2", "k4", "k5"}, 4},
		{"filter cannot widen the grant", "staff", "?filter=" + urlq("village_code = '33.26.14.2001' OR members > 0"), kertijayan, 6},
		{"bbox", "staff", "?bbox=109.6605,-6.94,109.6625,-6.93", []string{"k1", "k2"}, 2},
		{"page", "staff", "?limit=4", []string{"k1", "k2", "k3", "k4"}, 6},
		{"head name filter", "admin", "?filter=" + urlq("head_name LIKE 'Bapak b%'"), []string{"b1", "b2"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.get(t, tc.role, "/collections/households/items"+tc.query)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			checkPrivate(t, w)
			var page householdPage
			if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
				t.Fatal(err)
			}
			got := page.ids()
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) || page.NumberMatched != tc.matched {
				t.Fatalf("got %v (matched %d), want %v (matched %d)", got, page.NumberMatched, want, tc.matched)
			}
			for _, ft := range page.Features {
				if ft.Properties["head_name"] != "Bapak "+ft.ID || ft.Geometry.Type != "Point" || ft.Properties["round"] == nil {
					t.Errorf("feature %s lacks its contract fields: %v", ft.ID, ft.Properties)
				}
			}
		})
	}
	t.Run("next page", func(t *testing.T) {
		var page householdPage
		json.Unmarshal(f.get(t, "staff", "/collections/households/items?limit=4").Body.Bytes(), &page)
		var next string
		for _, l := range page.Links {
			if l.Rel == "next" {
				next = strings.TrimPrefix(l.Href, "http://example.com")
			}
		}
		if next == "" {
			t.Fatal("no next link")
		}
		var p2 householdPage
		json.Unmarshal(f.get(t, "staff", next).Body.Bytes(), &p2)
		if got := p2.ids(); !slices.Equal(got, []string{"k5", "k6"}) {
			t.Errorf("second page %v, want [k5 k6]", got)
		}
	})
	t.Run("one household", func(t *testing.T) {
		w := f.get(t, "staff", "/collections/households/items/k3")
		checkPrivate(t, w)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Bapak k3") {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if w := f.get(t, "staff", "/collections/households/items/b1"); w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "Bapak") {
			t.Errorf("household outside the grant: %d %s", w.Code, w.Body)
		}
	})
	t.Run("listed", func(t *testing.T) {
		if body := f.get(t, "staff", "/collections").Body.String(); !strings.Contains(body, `"id":"households"`) {
			t.Errorf("/collections does not list households for staff")
		}
	})
	t.Run("csv", func(t *testing.T) {
		w := f.get(t, "staff", "/collections/households/items?f=csv")
		checkPrivate(t, w)
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 7 || !slices.Contains(recs[0], "head_name") || !slices.Contains(recs[0], "lon") {
			t.Fatalf("csv: %v", recs)
		}
	})
	t.Run("geopackage", func(t *testing.T) {
		// GDAL reads the file as a point layer holding the staff's page:
		// every household of the grant with its name and typed fields.
		ogrinfo := tooltest.Require(t, "ogrinfo", "gdal-bin")
		w := f.get(t, "staff", "/collections/households/items?f=gpkg")
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != mediaGeoPackage {
			t.Fatalf("status %d, %s: %.200s", w.Code, w.Header().Get("Content-Type"), w.Body)
		}
		checkPrivate(t, w)
		path := filepath.Join(t.TempDir(), "households.gpkg")
		if err := os.WriteFile(path, w.Body.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		var page householdPage
		if err := json.Unmarshal(f.get(t, "staff", "/collections/households/items").Body.Bytes(), &page); err != nil {
			t.Fatal(err)
		}
		info := runGDAL(t, ogrinfo, "-al", path)
		for _, want := range []string{"Geometry: Point", fmt.Sprintf("Feature Count: %d\n", len(page.Features)),
			"head_name: String", "members: Integer", "health_km: Real", "house_uninhabitable: Integer(Boolean)", "round: Date"} {
			if !strings.Contains(info, want) {
				t.Errorf("ogrinfo does not say %q:\n%s", want, info)
			}
		}
		for _, id := range page.ids() {
			if !strings.Contains(info, "household_id (String) = "+id+"\n") {
				t.Errorf("household %s is not in the GeoPackage", id)
			}
		}
	})
	t.Run("tile", func(t *testing.T) {
		for role, village := range map[string]string{"staff": "33.26.14.2009", "staff-bua": "33.26.14.2001"} {
			want := inTile(village)
			if want == 0 && role == "staff" {
				t.Fatalf("fixture: no household of %s in the tile", village)
			}
			w := f.get(t, role, householdTilePath())
			if w.Code != http.StatusOK {
				t.Fatalf("%s: status %d: %s", role, w.Code, w.Body)
			}
			checkPrivate(t, w)
			layers, err := mvt.Unmarshal(w.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, l := range layers {
				if l.Name != "households" {
					t.Errorf("%s: layer %q in a household tile", role, l.Name)
				}
				n += len(l.Features)
			}
			if n != want {
				t.Fatalf("%s: tile layers %v, want households with %d features", role, layers, want)
			}
		}
		low := maptile.At(orb.Point{109.663, -6.935}, 13)
		if w := f.get(t, "staff", "/tiles/households/"+tiles14(low)+".mvt"); w.Code != http.StatusBadRequest {
			t.Errorf("z13: status %d, want 400", w.Code)
		}
	})
}

// inTile counts the latest round's households of village in householdTilePath's tile.
func inTile(village string) int {
	tile := maptile.At(orb.Point{109.663, -6.935}, 14)
	n := 0
	for _, h := range testDataset().Households {
		if h.Round == "2019-06-01" && h.VillageCode == village && maptile.At(h.Loc, 14) == tile {
			n++
		}
	}
	return n
}

func urlq(s string) string {
	r := strings.NewReplacer(" ", "%20", "'", "%27", "%", "%25", ",", "%2C", "(", "%28", ")", "%29")
	return r.Replace(s)
}

func checkPrivate(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	h := w.Header()
	if h.Get("Cache-Control") != "private, no-store" || !strings.Contains(strings.Join(h.Values("Vary"), ","), "Authorization") || h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("headers not private: Cache-Control %q, Vary %q, CORS %q", h.Get("Cache-Control"), h.Values("Vary"), h.Get("Access-Control-Allow-Origin"))
	}
}

func TestHouseholdReadsAudited(t *testing.T) {
	f := newHouseholdFixture(t)
	tests := []struct {
		path string
		rows int
		ok   bool
	}{
		{"/collections/households/items", 6, true},
		{"/collections/households/items?limit=2", 2, true},
		{"/collections/households/items/k2", 1, true},
		{"/collections/households/items/b2", 0, true},
		{householdTilePath(), inTile("33.26.14.2009"), true},
	}
	ctx := context.Background()
	for _, tc := range tests {
		before, _ := f.store.Audit(ctx, data.AuditQuery{})
		f.get(t, "staff", tc.path)
		after, _ := f.store.Audit(ctx, data.AuditQuery{})
		if len(after) != len(before)+1 {
			t.Fatalf("%s: %d audit records added, want 1", tc.path, len(after)-len(before))
		}
		rec := after[len(after)-1]
		path, query, _ := strings.Cut(tc.path, "?")
		if rec.Rows != tc.rows || rec.OK != tc.ok || rec.TokenName != "Tim staff" || rec.Endpoint != "GET "+path ||
			rec.Query != query || rec.ClientAddr != "192.0.2.7" || rec.TokenID == 0 {
			t.Errorf("%s: audit %+v", tc.path, rec)
		}
	}
	t.Run("failed read", func(t *testing.T) {
		before, _ := f.store.Audit(ctx, data.AuditQuery{})
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		r := httptest.NewRequest(http.MethodGet, "/collections/households/items", nil).WithContext(cctx)
		r.Header.Set("Authorization", "Bearer "+f.tok["staff"])
		f.h.ServeHTTP(httptest.NewRecorder(), r)
		after, _ := f.store.Audit(ctx, data.AuditQuery{})
		if len(after) != len(before)+1 || after[len(after)-1].OK || after[len(after)-1].Error == "" {
			t.Fatalf("a failed read left %v", after[len(before):])
		}
	})
	if recs, _ := f.store.Audit(ctx, data.AuditQuery{TokenName: "Tim admin"}); len(recs) != 0 {
		t.Errorf("token filter: %v", recs)
	}
}
