package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"labmap/api"
	"labmap/data"
	"labmap/internal/testsignal"
)

// exportRows reads a GeoPackage's villages-like table and its default style.
func exportRows(t *testing.T, path, table string) (rows [][]any, defaultStyle string, styles int) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.Query(`SELECT * FROM "` + table + `" ORDER BY fid`)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cols, _ := r.Columns()
	for r.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, vals)
	}
	if err := db.QueryRow("SELECT styleName FROM layer_styles WHERE useAsDefault").Scan(&defaultStyle); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM layer_styles").Scan(&styles); err != nil {
		t.Fatal(err)
	}
	return rows, defaultStyle, styles
}

// TestExportCommand runs `labmap export` on the built-in demo dataset and
// checks the file against the server's f=gpkg download of the same query
// from the same store: the same rows, values and default style.
func TestExportCommand(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const households = 3000
	store, err := loadMemory(ctx, log, &inputFiles{}, households, 7, data.DefaultMinHouseholds)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rounds, err := store.Rounds(ctx)
	if err != nil || len(rounds) < 2 {
		t.Fatalf("rounds %v, %v", rounds, err)
	}
	baseline := string(rounds[0].Round)
	villages, err := store.Stats(ctx, data.StatsQuery{Level: data.LevelVillage, Round: rounds[0].Round})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(store, log, api.Options{}))
	defer srv.Close()

	dir := t.TempDir()
	for _, tc := range []struct {
		name, collection, indicator, round, query string
		want                                      int // features; -1: compare with the server only
	}{
		{"villages at the baseline", "villages", "lifted_rate", baseline, "round=" + baseline + "&indicator=lifted_rate", len(villages)},
		{"districts, latest round, default style", "districts", "", "", "", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.collection+".gpkg")
			args := []string{"export", "--format", "gpkg", "--out", out, "--collection", tc.collection,
				"--demo-households", fmt.Sprint(households), "--seed", "7"}
			if tc.round != "" {
				args = append(args, "--round", tc.round)
			}
			if tc.indicator != "" {
				args = append(args, "--indicator", tc.indicator)
			}
			var stdout, stderr testsignal.Lines
			if code := run(ctx, args, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s%s", code, stdout.String(), stderr.String())
			}
			got, style, styles := exportRows(t, out, tc.collection)
			if !strings.Contains(stdout.String(), fmt.Sprintf("wrote %d features of %s", len(got), tc.collection)) {
				t.Errorf("export said %q for %d rows", stdout.String(), len(got))
			}
			if tc.want >= 0 && len(got) != tc.want {
				t.Errorf("%d features, want %d", len(got), tc.want)
			}
			wantStyle := tc.indicator
			if wantStyle == "" {
				wantStyle = "poverty_rate"
			}
			if style != wantStyle || styles != len(data.Indicators) {
				t.Errorf("default style %q of %d, want %q of %d", style, styles, wantStyle, len(data.Indicators))
			}

			resp, err := http.Get(srv.URL + "/collections/" + tc.collection + "/items?f=gpkg&" + tc.query)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("f=gpkg: status %d: %s", resp.StatusCode, body)
			}
			served := filepath.Join(t.TempDir(), "served.gpkg")
			if err := os.WriteFile(served, body, 0o644); err != nil {
				t.Fatal(err)
			}
			want, wantDefault, _ := exportRows(t, served, tc.collection)
			if len(want) == 0 || !reflect.DeepEqual(got, want) || style != wantDefault {
				t.Errorf("the export (%d rows, style %s) differs from the server's f=gpkg (%d rows, style %s)", len(got), style, len(want), wantDefault)
			}
		})
	}
}

func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.gpkg")
	if err := os.WriteFile(existing, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "new.gpkg")
	small := []string{"--demo-households", "500"}
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		mention string
	}{
		{"no out", []string{"export"}, 2, "--out is required"},
		{"other format", []string{"export", "--format", "shp", "--out", out}, 1, `--format: "shp"`},
		{"existing out", []string{"export", "--out", existing}, 1, "exists"},
		{"unknown collection", append([]string{"export", "--out", out, "--collection", "desa"}, small...), 1, `collection "desa" does not exist`},
		{"bad round", append([]string{"export", "--out", out, "--round", "June"}, small...), 1, "parameter round"},
		{"unknown indicator", append([]string{"export", "--out", out, "--indicator", "wealth"}, small...), 1, "parameter indicator"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr testsignal.Lines
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if all := stdout.String() + stderr.String(); code != tc.code || !strings.Contains(all, tc.mention) {
				t.Fatalf("exit %d, want %d; output does not mention %q:\n%s", code, tc.code, tc.mention, all)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("a failed export left files behind: %v", entries)
			}
			if b, _ := os.ReadFile(existing); string(b) != "keep me" {
				t.Errorf("the existing file was changed")
			}
		})
	}
}
