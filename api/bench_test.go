package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"labmap/data"
	"labmap/data/demo"
	"labmap/data/memory"
)

// BenchmarkStatsAllVillages measures /api/stats for all 285 villages on the
// default embedded dataset, through the whole handler; target < 20 ms.
func BenchmarkStatsAllVillages(b *testing.B) {
	h := benchServer(b, demo.DefaultHouseholds, Options{})
	req := httptest.NewRequest(http.MethodGet, "/api/stats?level=village&round=2020-06-01", nil)
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Body.Len() < 285*200 {
			b.Fatalf("status %d, %d bytes", rec.Code, rec.Body.Len())
		}
	}
}

// BenchmarkWarmTile measures a cached village tile through the whole
// handler (routing, parameters, cache lookup, headers): the server's part of
// a warm tile, without the network.
func BenchmarkWarmTile(b *testing.B) {
	h := benchServer(b, 3000, Options{TileCacheBytes: 64 << 20})
	req := httptest.NewRequest(http.MethodGet, "/tiles/villages/12/3295/2126.mvt", nil)
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Body.Len() == 0 {
			b.Fatalf("status %d, %d bytes", rec.Code, rec.Body.Len())
		}
	}
}

// benchServer is the API over the default demo dataset with the given
// households per round.
func benchServer(b *testing.B, households int, opt Options) http.Handler {
	b.Helper()
	ds, err := demo.Generate(demo.Options{Households: households})
	if err != nil {
		b.Fatal(err)
	}
	if err := data.CheckDataset(&ds, "demo"); err != nil {
		b.Fatal(err)
	}
	store, err := memory.New(ds, memory.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), opt)
}
