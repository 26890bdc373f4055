package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"labmap/data"
	"labmap/data/demo"
)

// addrWatcher is the stderr of a serve run: it closes found once the
// server has logged the address it listens on.
type addrWatcher struct {
	mu    sync.Mutex
	b     bytes.Buffer
	addr  string
	found chan struct{}
}

var listeningRE = regexp.MustCompile(`addr=http://(127\.0\.0\.1:\d+)`)

func (w *addrWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if w.addr == "" {
		if m := listeningRE.FindStringSubmatch(w.b.String()); m != nil {
			w.addr = m[1]
			close(w.found)
		}
	}
	return len(p), nil
}

func (w *addrWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestServeHouseholdsWithTokensFile runs `labmap serve` on the built-in
// demo with a tokens file and asks it for households: a staff token of
// urban-kertijayan gets exactly that zone's households of the latest round,
// in items and in a z14 tile; without the token both are 404.
func TestServeHouseholdsWithTokensFile(t *testing.T) {
	const households, seed = 2000, 5
	file := filepath.Join(t.TempDir(), "tokens.json")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"token", "create", "--role", "staff", "--name", "Tim Kertijayan",
		"--zones", "urban-kertijayan", "--tokens-file", file}, &out, &errb); code != 0 {
		t.Fatalf("token create: exit %d: %s", code, &errb)
	}
	tok := strings.TrimSpace(out.String())

	// What the token should see, from the same demo dataset serve builds.
	ds, err := demo.Generate(demo.Options{Households: households, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	var zoneVillages []string
	for _, z := range ds.Zones {
		if z.ID == "urban-kertijayan" {
			zoneVillages = z.VillageCodes
		}
	}
	if len(zoneVillages) == 0 {
		t.Fatal("the demo has no zone urban-kertijayan")
	}
	var latest data.Round
	for _, h := range ds.Households {
		if h.Round > latest {
			latest = h.Round
		}
	}
	var want []data.Household
	for _, h := range ds.Households {
		if h.Round == latest && slices.Contains(zoneVillages, h.VillageCode) {
			want = append(want, h)
		}
	}
	if len(want) == 0 {
		t.Fatal("no demo household in urban-kertijayan")
	}

	ctx, cancel := context.WithCancel(context.Background())
	logs := &addrWatcher{found: make(chan struct{})}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--demo-households", fmt.Sprint(households),
			"--seed", fmt.Sprint(seed), "--tokens-file", file}, io.Discard, logs)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exit %d:\n%s", code, logs.String())
		}
	}()
	select {
	case <-logs.found:
	case code := <-done:
		done <- code
		t.Fatalf("serve ended (exit %d) before listening:\n%s", code, logs.String())
	}
	base := "http://" + logs.addr
	if !strings.Contains(logs.String(), "DEMO household layer") {
		t.Errorf("serve did not log that it serves demo households:\n%s", logs.String())
	}

	get := func(path, token string) (int, http.Header, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, body
	}
	first := want[0].Loc
	tx, ty := lonLatTile(first[0], first[1], 14)
	tilePath := fmt.Sprintf("/tiles/households/14/%d/%d.mvt", tx, ty)
	itemsPath := fmt.Sprintf("/collections/households/items?limit=%d", data.MaxHouseholdLimit)

	for _, tc := range []struct {
		name, path, token string
		status            int
	}{
		{"items with the staff token", itemsPath, tok, http.StatusOK},
		{"items without a token", itemsPath, "", http.StatusNotFound},
		{"tile with the staff token", tilePath, tok, http.StatusOK},
		{"tile without a token", tilePath, "", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := get(tc.path, tc.token)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if status != http.StatusOK {
				if bytes.Contains(body, []byte(want[0].ID)) {
					t.Errorf("the 404 names a household: %s", body)
				}
				return
			}
			if cc := h.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("Cache-Control %q, want private no-store", cc)
			}
			if strings.HasPrefix(tc.path, "/tiles/") {
				// The tile holds at least the household it was chosen for.
				if len(body) == 0 || !bytes.Contains(body, []byte(want[0].ID)) {
					t.Errorf("tile %s (%d bytes) lacks household %s", tc.path, len(body), want[0].ID)
				}
				return
			}
			var fc struct {
				NumberMatched int `json:"numberMatched"`
				Features      []struct {
					ID         string `json:"id"`
					Properties struct {
						VillageCode string `json:"village_code"`
						Round       string `json:"round"`
					} `json:"properties"`
				} `json:"features"`
			}
			if err := json.Unmarshal(body, &fc); err != nil {
				t.Fatalf("items: %v: %.300s", err, body)
			}
			if fc.NumberMatched != len(want) || len(fc.Features) != len(want) {
				t.Errorf("%d matched, %d returned; want the zone's %d", fc.NumberMatched, len(fc.Features), len(want))
			}
			for _, f := range fc.Features {
				if !slices.Contains(zoneVillages, f.Properties.VillageCode) || f.Properties.Round != string(latest) {
					t.Errorf("household %s of village %s, round %s: outside the grant or round", f.ID, f.Properties.VillageCode, f.Properties.Round)
				}
			}
		})
	}
}

// lonLatTile is the Web Mercator tile at zoom z holding lon, lat.
func lonLatTile(lon, lat float64, z int) (int, int) {
	n := math.Exp2(float64(z))
	x := int((lon + 180) / 360 * n)
	r := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
	return x, y
}
