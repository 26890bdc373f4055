package main

import (
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"labmap/api"
	"labmap/data/demo"
	"labmap/data/memory"
)

func TestQGISProjectCommand(t *testing.T) {
	ds, err := demo.Generate(demo.Options{Households: 1000, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	store, err := memory.New(ds, memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), api.Options{}))
	defer srv.Close()
	dir := t.TempDir()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		args []string
		ok   bool
		want string // in the file, or in stderr on failure
	}{
		{"qgs", []string{"--server", srv.URL, "--out", filepath.Join(dir, "a.qgs"), "--indicator", "lifted_rate", "--round", "2019-06-01"}, true, "url='" + srv.URL + "/?round=2019-06-01'"},
		{"qgz", []string{"--server", srv.URL + "/", "--out", filepath.Join(dir, "b.qgz")}, true, "PK"},
		{"bad extension", []string{"--server", srv.URL, "--out", filepath.Join(dir, "c.xml")}, false, ".qgs or .qgz"},
		{"bad server", []string{"--server", "ftp://x", "--out", filepath.Join(dir, "d.qgs")}, false, "--server"},
		{"unknown indicator", []string{"--server", srv.URL, "--out", filepath.Join(dir, "e.qgs"), "--indicator", "wealth"}, false, "parameter indicator"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(ctx, append([]string{"qgis-project"}, tc.args...), &out, &errOut)
			if (code == 0) != tc.ok {
				t.Fatalf("exit %d: %s %s", code, out.String(), errOut.String())
			}
			if !tc.ok {
				if !strings.Contains(errOut.String(), tc.want) {
					t.Errorf("stderr %q does not say %q", errOut.String(), tc.want)
				}
				return
			}
			path := tc.args[3]
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(path, ".qgz") {
				if !strings.HasPrefix(string(b), tc.want) {
					t.Errorf("%s is not a zip", path)
				}
				return
			}
			var doc struct {
				Sources []string `xml:"projectlayers>maplayer>datasource"`
			}
			if err := xml.Unmarshal(b, &doc); err != nil || len(doc.Sources) < 14 {
				t.Fatalf("project: %v, layers %v", err, doc.Sources)
			}
			if !strings.Contains(doc.Sources[0], tc.want) {
				t.Errorf("%s: layer reads from %q, want %q", path, doc.Sources[0], tc.want)
			}
		})
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".labmap-project-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
