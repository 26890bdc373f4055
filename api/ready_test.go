package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"labmap/data"
	"labmap/data/memory"
)

// notReadyStore is the test dataset's memory store reporting err from
// Ready, as the PostGIS store does in each state its tests put it in.
type notReadyStore struct {
	*memory.Store
	err error
}

func (s notReadyStore) Ready(ctx context.Context) error { return s.err }

// TestReadyz maps each readiness to /readyz's answer: the memory store is
// ready; an unreachable database is 503 without its address; a schema
// that is behind is 503 with the store's words (the command to run); any
// other failure is 503 with nothing internal. /healthz is 200 in every case.
func TestReadyz(t *testing.T) {
	mem, err := memory.New(testDataset(), memory.Options{PrimaryOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Errorf("%w: the database schema is at version 4 but this labmap needs version 5: run `labmap migrate --database-url ...` first", data.ErrSchema)
	tests := []struct {
		name       string
		store      data.Store
		status     int
		mention    string
		mustNotSay string
	}{
		{"memory store", mem, 200, "", ""},
		{"database unreachable", notReadyStore{mem, errors.Join(data.ErrUnavailable, errors.New("dial tcp 10.0.0.5:5432: connection refused"))}, 503, "unreachable", "5432"},
		{"schema behind", notReadyStore{mem, schema}, 503, "labmap migrate", ""},
		{"other failure", notReadyStore{mem, errors.New(`ERROR: permission denied for table schema_migrations (SQLSTATE 42501)`)}, 503, "server log", "schema_migrations"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(New(tc.store, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{}))
			defer srv.Close()
			body := getJSON(t, srv.URL+"/readyz", tc.status)
			if tc.status == 200 {
				if body["ready"] != true {
					t.Fatalf("readyz = %v", body)
				}
			} else {
				msg, _ := body["error"].(string)
				if body["ready"] != false || body["status"] != float64(tc.status) || !strings.Contains(msg, tc.mention) {
					t.Fatalf("readyz = %v, want ready false, status %d and an error naming %q", body, tc.status, tc.mention)
				}
				if tc.mustNotSay != "" && strings.Contains(msg, tc.mustNotSay) {
					t.Fatalf("readyz leaks %q: %v", tc.mustNotSay, body)
				}
			}
			if h := getJSON(t, srv.URL+"/healthz", 200); h["status"] != "ok" || h["dataset_version"] == nil {
				t.Fatalf("healthz = %v", h)
			}
		})
	}
}
