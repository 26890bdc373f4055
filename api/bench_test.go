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
	ds, err := demo.Generate(demo.Options{})
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
	h := New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{})
	req := httptest.NewRequest(http.MethodGet, "/api/stats?level=village&round=2020-06-01", nil)
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Body.Len() < 285*200 {
			b.Fatalf("status %d, %d bytes", rec.Code, rec.Body.Len())
		}
	}
}
