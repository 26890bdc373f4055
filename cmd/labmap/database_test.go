package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"labmap/data/postgis/pgtest"
	"labmap/internal/testsignal"
)

// runner runs labmap commands that must succeed, returning what they print.
func runner(ctx context.Context, t *testing.T) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		var out, errb testsignal.Lines
		if code := run(ctx, args, &out, &errb); code != 0 {
			t.Fatalf("labmap %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
		}
		return out.String() + errb.String()
	}
}

// TestMigrateImportCommands drives the database subcommands the way a user
// would, from the demo files to a second migrate that has nothing to do.
func TestMigrateImportCommands(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	ctx := context.Background()
	runOK := runner(ctx, t)
	runOK("demo", "--households", "1000", "--out", dir)
	files := []string{"--households", filepath.Join(dir, "households.csv"), "--villages", filepath.Join(dir, "villages.geojson"),
		"--zones", filepath.Join(dir, "zones.geojson"), "--districts", filepath.Join(dir, "districts.geojson")}

	var out, errb testsignal.Lines
	if code := run(ctx, append([]string{"import", "--database-url", url}, files...), &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "labmap migrate") {
		t.Fatalf("import before migrate: exit %d, %s", code, errb.String())
	}
	if s := runOK("migrate", "--database-url", url); !strings.Contains(s, "applied migrations [1 ") {
		t.Fatalf("migrate said %q", s)
	}
	if s := runOK("migrate", "--database-url", url); !strings.Contains(s, "up to date") {
		t.Fatalf("second migrate said %q", s)
	}
	s := runOK(append([]string{"import", "--database-url", url}, files...)...)
	if !strings.Contains(s, "imported 3000 rows") || !strings.Contains(s, "dataset version 1") {
		t.Fatalf("import said %q", s)
	}
	if strings.Contains(s, "\r") {
		t.Errorf("progress drawn although stderr is not a terminal: %q", s)
	}
	if code := run(ctx, []string{"import", "--households", "x.csv"}, &out, &errb); code != 2 {
		t.Errorf("import without --database-url: exit %d, want 2", code)
	}
}

// TestImportDir imports a directory of regencies as `labmap demo --province`
// writes it, and names the files of a regency that fails.
func TestImportDir(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	ctx := context.Background()
	runOK := runner(ctx, t)
	runOK("demo", "--households", "500", "--rounds", "2", "--out", filepath.Join(dir, "33.26"))
	runOK("migrate", "--database-url", url)
	index := filepath.Join(dir, "regencies.csv")
	if err := os.WriteFile(index, []byte("code,name\n33.26,Kabupaten Pekalongan\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := runOK("import", "--database-url", url, "--dir", dir, "--jobs", "2")
	if !strings.Contains(s, "regency 33.26: 1000 rows") || !strings.Contains(s, "imported 1 regencies, 1000 rows") {
		t.Fatalf("import --dir said %q", s)
	}
	if err := os.WriteFile(index, []byte("code,name\n33.26,Kabupaten Pekalongan\n33.99,Nowhere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb testsignal.Lines
	code := run(ctx, []string{"import", "--database-url", url, "--dir", dir, "--jobs", "2"}, &out, &errb)
	missing := filepath.Join(dir, "33.99", "households.csv")
	if code != 1 || !strings.Contains(errb.String(), "regency 33.99") || !strings.Contains(errb.String(), missing) {
		t.Fatalf("import --dir with a missing regency: exit %d\n%s%s", code, out.String(), errb.String())
	}
	// Removing the only regency leaves an empty database; removing it
	// again names what is not there.
	if s := runOK("remove", "--database-url", url, "--region", "33.26"); !strings.Contains(s, "removed region 33.26; 0 households remain") {
		t.Fatalf("remove said %q", s)
	}
	var out2, errb2 testsignal.Lines
	if code := run(ctx, []string{"remove", "--database-url", url, "--region", "33.26"}, &out2, &errb2); code != 1 ||
		!strings.Contains(errb2.String(), "remove region 33.26: the database holds no village there") {
		t.Fatalf("remove of a region not there: exit %d\n%s%s", code, out2.String(), errb2.String())
	}
}
