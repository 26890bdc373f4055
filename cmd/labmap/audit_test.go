package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"labmap/data"
	"labmap/data/postgis"
	"labmap/data/postgis/pgtest"
)

func TestAuditCommand(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	if _, err := postgis.Migrate(ctx, url, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	store, err := postgis.Open(ctx, url, postgis.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, who := range []string{"Tim Kertijayan", "Tim Botosari", "Tim Kertijayan"} {
		if _, err := store.Households(ctx, data.HouseholdQuery{Round: "2020-06-01", AllVillages: true, Limit: 10,
			Audit: data.AuditEntry{TokenName: who, Endpoint: "GET /collections/households/items", Query: "filter=members%3E2", ClientAddr: "192.0.2.9"}},
			func(*data.Household) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		args  []string
		code  int
		lines int // audit rows printed
		want  string
	}{
		{"all", []string{"--since", "7d"}, 0, 3, "Tim Botosari"},
		{"one token", []string{"--since", "1h", "--token", "Tim Kertijayan"}, 0, 2, "filter=members%3E2"},
		{"from a date", []string{"--since", time.Now().UTC().Format(time.DateOnly)}, 0, 3, "192.0.2.9"},
		{"nobody", []string{"--token", "Tim Lain"}, 0, 0, "ENDPOINT"},
		{"bad since", []string{"--since", "yesterday"}, 2, 0, "--since"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(ctx, append([]string{"audit", "--database-url", url}, tc.args...), &out, &errb)
			if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.want) {
				t.Fatalf("exit %d, want %d; output lacks %q:\n%s%s", code, tc.code, tc.want, out.String(), errb.String())
			}
			if code != 0 {
				return
			}
			if n := strings.Count(out.String(), "GET /collections/households/items"); n != tc.lines {
				t.Errorf("%d audit rows printed, want %d:\n%s", n, tc.lines, out.String())
			}
		})
	}
}
