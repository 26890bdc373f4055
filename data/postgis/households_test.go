package postgis_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"labmap/api"
	"labmap/api/auth"
	"labmap/data"
	"labmap/data/cql"
	"labmap/data/memory"
	"labmap/data/postgis"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// householdStores loads the demo files into a fresh PostGIS and into a
// memory store that serves households.
func householdStores(t *testing.T) (*memory.StaffStore, *postgis.Store, string) {
	t.Helper()
	mem, ds, pg, url := loadedStores(t)
	return memory.WithHouseholds(mem, ds, quiet), pg, url
}

// readAll collects a query's page as the stores serve it; the memory
// store's own bookkeeping (baseline, file line) is not served.
func readAll(t *testing.T, s data.HouseholdStore, q data.HouseholdQuery) ([]data.Household, int) {
	t.Helper()
	var out []data.Household
	n, err := s.Households(context.Background(), q, func(h *data.Household) error {
		c := *h
		c.BaselineStatus, c.Line = 0, 0
		c.HealthKm = data.HealthKm(c.HealthKm)
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatalf("%T: %v", s, err)
	}
	return out, n
}

func TestHouseholdsDifferential(t *testing.T) {
	mem, pg, _ := householdStores(t)
	ctx := context.Background()
	zones, err := pg.Zones(ctx)
	if err != nil || len(zones) == 0 {
		t.Fatalf("zones: %v %v", zones, err)
	}
	zone := zones[0].VillageCodes
	rounds, _ := pg.Rounds(ctx)
	parse := func(s string) cql.Expr {
		e, err := cql.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	var sample []data.Household
	sample, _ = readAll(t, mem, data.HouseholdQuery{Round: rounds[0].Round, Villages: zone, Limit: 3})
	if len(sample) < 3 {
		t.Fatalf("the zone has %d households", len(sample))
	}
	box := orb.Bound{Min: sample[0].Loc, Max: sample[0].Loc}.Extend(sample[2].Loc)
	tests := []struct {
		name string
		q    data.HouseholdQuery
	}{
		{"zone", data.HouseholdQuery{Round: rounds[0].Round, Villages: zone, Limit: 10000}},
		{"all, last round", data.HouseholdQuery{Round: rounds[len(rounds)-1].Round, AllVillages: true, Limit: 500}},
		{"no grant", data.HouseholdQuery{Round: rounds[0].Round, Limit: 100}},
		{"filter", data.HouseholdQuery{Round: rounds[1].Round, Villages: zone, Limit: 10000,
			Filter: parse("poverty_status IN ('poor','extreme') AND (programs LIKE '%pkh%' OR health_km > 2.5) AND latrine IS NOT NULL")}},
		{"nulls and flags", data.HouseholdQuery{Round: rounds[1].Round, AllVillages: true, Limit: 10000,
			Filter: parse("electricity = FALSE OR house_uninhabitable IS NULL OR welfare_decile <= 2 OR occupation = 'fisher'")}},
		{"names", data.HouseholdQuery{Round: rounds[0].Round, AllVillages: true, Limit: 10000, Filter: parse("head_name LIKE 'S%' AND causes LIKE '%debt%'")}},
		{"bbox", data.HouseholdQuery{Round: rounds[0].Round, Villages: zone, Limit: 10000, Bound: &box}},
		{"after", data.HouseholdQuery{Round: rounds[0].Round, Villages: zone, Limit: 7, After: sample[1].ID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, an := readAll(t, mem, tc.q)
			b, bn := readAll(t, pg, tc.q)
			if an != bn || !reflect.DeepEqual(a, b) {
				for i := range min(len(a), len(b)) {
					if !reflect.DeepEqual(a[i], b[i]) {
						t.Fatalf("matched %d vs %d; first difference at %d:\nmemory  %+v\npostgis %+v", an, bn, i, a[i], b[i])
					}
				}
				t.Fatalf("matched %d vs %d, pages %d vs %d", an, bn, len(a), len(b))
			}
			if tc.name != "no grant" && len(a) == 0 {
				t.Fatal("the query selects nothing; it tests nothing")
			}
		})
	}
}

func TestHouseholdAuditPostGIS(t *testing.T) {
	_, pg, url := householdStores(t)
	ctx := context.Background()
	tokens := pg.Tokens(nil)
	zones, _ := pg.Zones(ctx)
	tok, p, err := tokens.Create(ctx, auth.CreateRequest{Name: "Tim Kertijayan", Role: auth.RoleStaff,
		Zones: []string{zones[0].ID}, Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(pg, quiet, api.Options{Tokens: tokens}))
	t.Cleanup(srv.Close)
	get := func(path string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.Header.Get("Cache-Control") != "private, no-store" {
			t.Errorf("%s: Cache-Control %q", path, resp.Header.Get("Cache-Control"))
		}
		var doc map[string]any
		json.NewDecoder(resp.Body).Decode(&doc)
		return resp.StatusCode, doc
	}
	audit := func() []data.AuditRecord {
		recs, err := pg.Audit(ctx, data.AuditQuery{Since: time.Now().Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	for _, path := range []string{
		"/collections/households/items?limit=7",
		"/collections/households/items?filter=poverty_status%3D%27poor%27",
	} {
		before := len(audit())
		status, doc := get(path)
		recs := audit()
		if status != http.StatusOK || len(recs) != before+1 {
			t.Fatalf("%s: status %d, %d audit rows added", path, status, len(recs)-before)
		}
		rec := recs[len(recs)-1]
		returned := int(doc["numberReturned"].(float64))
		if !rec.OK || rec.Rows != returned || rec.TokenID != p.TokenID || rec.TokenName != "Tim Kertijayan" ||
			rec.Endpoint != "GET /collections/households/items" || "/collections/households/items?"+rec.Query != path || rec.ClientAddr != "127.0.0.1" {
			t.Errorf("%s: audit row %+v (returned %d)", path, rec, returned)
		}
		if returned == 0 {
			t.Errorf("%s: nothing returned; the count checks nothing", path)
		}
	}

	t.Run("failed read", func(t *testing.T) {
		before := len(audit())
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := pg.Households(cctx, data.HouseholdQuery{Round: "2017-12-01", AllVillages: true, Limit: 5,
			Audit: data.AuditEntry{TokenName: "Tim Gagal", Endpoint: "GET /collections/households/items"}}, func(*data.Household) error { return nil })
		if err == nil {
			t.Fatal("a read with a cancelled context succeeded")
		}
		recs := audit()
		if len(recs) != before+1 || recs[len(recs)-1].OK || recs[len(recs)-1].Error == "" || recs[len(recs)-1].TokenName != "Tim Gagal" {
			t.Fatalf("failure rows: %+v", recs[before:])
		}
	})

	t.Run("append only", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		for _, sql := range []string{`UPDATE audit SET rows = 0`, `DELETE FROM audit`, `TRUNCATE audit`} {
			if _, err := conn.Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "cannot be changed") {
				t.Errorf("%s: %v", sql, err)
			}
		}
	})
}
