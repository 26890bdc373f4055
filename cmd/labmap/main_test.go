package main

import (
	"context"
	"encoding/json"
	"labmap/internal/testsignal"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestHelpAndErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		code    int
		mention string
	}{
		{"help lists commands", []string{"help"}, 0, "serve"},
		{"help names demo", []string{"help"}, 0, "demo"},
		{"help for serve shows env", []string{"help", "serve"}, 0, "LABMAP_MIN_HOUSEHOLDS"},
		{"no command", nil, 2, "Usage"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"bad flag", []string{"serve", "--no-such-flag"}, 2, "no-such-flag"},
		{"demo without out", []string{"demo"}, 2, "--out is required"},
		{"bad min households", []string{"serve", "--min-households", "0"}, 1, "--min-households"},
		{"households without villages", []string{"serve", "--households", "h.csv"}, 1, "--villages"},
		{"missing file", []string{"serve", "--households", "/nonexistent/h.csv", "--villages", "/nonexistent/v.geojson"}, 1, "/nonexistent/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb testsignal.Lines
			code := run(context.Background(), tc.args, &out, &errb)
			all := out.String() + errb.String()
			if code != tc.code || !strings.Contains(all, tc.mention) {
				t.Fatalf("exit %d, want %d; output does not mention %q:\n%s", code, tc.code, tc.mention, all)
			}
		})
	}
}

func TestEnvFallback(t *testing.T) {
	t.Setenv("LABMAP_MIN_HOUSEHOLDS", "0")
	var out, errb testsignal.Lines
	if code := run(context.Background(), []string{"serve"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--min-households: 0") {
		t.Fatalf("env fallback not applied: exit %d, %s", code, errb.String())
	}
	t.Setenv("LABMAP_MIN_HOUSEHOLDS", "many")
	if code := run(context.Background(), []string{"serve"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "LABMAP_MIN_HOUSEHOLDS") {
		t.Fatalf("bad env value not reported: exit %d, %s", code, errb.String())
	}
}

// TestDemoThenServeFiles writes a small demo dataset, serves it from the
// files, checks /healthz and /api/stats, and shuts the server down the way
// SIGTERM does (by cancelling the context).
func TestDemoThenServeFiles(t *testing.T) {
	dir := t.TempDir()
	var out, errb testsignal.Lines
	if code := run(context.Background(), []string{"demo", "--households", "2000", "--seed", "7", "--out", dir}, &out, &errb); code != 0 {
		t.Fatalf("demo exit %d: %s", code, errb.String())
	}
	for _, f := range []string{"households.csv", "villages.geojson", "zones.geojson", "districts.geojson"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Fatalf("%s not written: %v", f, err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	var logs testsignal.Lines
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0",
			"--households", filepath.Join(dir, "households.csv"), "--villages", filepath.Join(dir, "villages.geojson"),
			"--zones", filepath.Join(dir, "zones.geojson"), "--districts", filepath.Join(dir, "districts.geojson")}, &out, &logs)
	}()
	addrRE := regexp.MustCompile(`addr=http://(127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == "" && time.Now().Before(deadline); {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	if base == "" {
		cancel()
		t.Fatalf("server did not log its address:\n%s", logs.String())
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health struct {
		Status     string `json:"status"`
		Store      string `json:"store"`
		Households int    `json:"households"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if health.Status != "ok" || health.Store != "memory" || health.Households != 2000 {
		t.Errorf("healthz = %+v", health)
	}
	resp, err = http.Get(base + "/api/stats?level=village")
	if err != nil {
		t.Fatal(err)
	}
	var stats struct {
		Count int `json:"count"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&stats)
	resp.Body.Close()
	if stats.Count != 285 {
		t.Errorf("stats for %d villages, want 285", stats.Count)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(logs.String(), "stopped") {
			t.Errorf("serve exit %d after shutdown:\n%s", code, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

// TestTilesSeed seeds a running server's cache and checks every tile of the
// range was fetched and that bad arguments are refused.
func TestTilesSeed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs, out testsignal.Lines
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--demo-households", "1000"}, &out, &logs)
	}()
	addrRE := regexp.MustCompile(`addr=http://(127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1]
		}
	}
	if base == "" {
		t.Fatalf("server did not start:\n%s", logs.String())
	}
	var sout, serr testsignal.Lines
	if code := run(ctx, []string{"tiles", "seed", "--server", base, "--layer", "villages,zones", "--zoom", "8-10"}, &sout, &serr); code != 0 {
		t.Fatalf("seed exit %d: %s %s", code, sout.String(), serr.String())
	}
	m := regexp.MustCompile(`seeded (\d+) tiles .* (\d+) failed`).FindStringSubmatch(sout.String())
	// The regency spans 1x1 tiles at z8, 1x2 at z9 and 2x3 at z10 or so: at least 3.
	if m == nil || m[2] != "0" || m[1] == "0" || len(m[1]) > 3 {
		t.Fatalf("seed said %q", sout.String())
	}
	for _, bad := range [][]string{
		{"tiles", "seed", "--layer", "rivers"},
		{"tiles", "seed", "--zoom", "14-8"},
		{"tiles", "seed", "--bbox", "1,2,3"},
		{"tiles", "frobnicate"},
	} {
		if code := run(ctx, bad, &sout, &serr); code == 0 {
			t.Errorf("%v: exit 0", bad)
		}
	}
	cancel()
	<-done
}
