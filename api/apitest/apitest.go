// Package apitest holds conformance checks of the HTTP layer that every
// store must pass, run by the api tests on the memory store and by the
// PostGIS tests on a real database, as authtest does for token stores.
package apitest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"labmap/api"
	"labmap/data"
	"labmap/internal/testsignal"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// gatedTileStore holds every tile query at a gate the test opens, and
// reports each Version call (one per tile request) so the test knows when
// a request has reached the tile service. Region-wide queries pass through.
type gatedTileStore struct {
	data.Store
	versions chan struct{}
	entered  chan struct{}
	gate     chan struct{}
}

func (g *gatedTileStore) Version(ctx context.Context) (int64, error) {
	g.versions <- struct{}{}
	return g.Store.Version(ctx)
}

func (g *gatedTileStore) Areas(ctx context.Context, q data.AreaQuery) ([]data.Area, error) {
	if q.Bound.Max[0]-q.Bound.Min[0] <= 90 {
		g.entered <- struct{}{}
		select {
		case <-g.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Store.Areas(ctx, q)
}

// TileClientHangsUp: of two clients waiting for one tile (path, a tile
// with features of the store's dataset), the first hangs up. The second
// still gets the tile, and the first costs neither a 500 nor an error in
// the log.
func TileClientHangsUp(t *testing.T, store data.Store, path string) {
	t.Helper()
	g := &gatedTileStore{Store: store, versions: make(chan struct{}, 16), entered: make(chan struct{}, 16), gate: make(chan struct{})}
	logs := testsignal.NewLines(64)
	srv := httptest.NewServer(api.New(g, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), api.Options{TileCacheBytes: 1 << 20}))
	defer srv.Close()
	url := srv.URL + path

	type result struct {
		status int
		body   []byte
		err    error
	}
	get := func(ctx context.Context) <-chan result {
		out := make(chan result, 1)
		go func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
			if err != nil {
				out <- result{err: err}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			out <- result{resp.StatusCode, b, err}
		}()
		return out
	}

	ctx1, cancel1 := context.WithCancel(context.Background())
	defer cancel1()
	first := get(ctx1)
	testsignal.Await(t, "the first request to reach the tile service", g.versions)
	testsignal.Await(t, "the render to start", g.entered)
	second := get(context.Background())
	testsignal.Await(t, "the second request to reach the tile service", g.versions)
	cancel1()
	if r := testsignal.Await(t, "the first client", first); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("first client: status %d, err %v; want its own cancellation", r.status, r.err)
	}
	for line := testsignal.Await(t, "the server to notice the hang-up", logs.C); !strings.Contains(line, "abandoned"); {
		line = testsignal.Await(t, "the server to notice the hang-up", logs.C)
	}
	close(g.gate)
	r := testsignal.Await(t, "the second client", second)
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("second client, still connected: status %d, err %v, body %.200s", r.status, r.err, r.body)
	}
	layers, err := mvt.Unmarshal(r.body)
	if err != nil || len(layers) == 0 || len(layers[0].Features) == 0 {
		t.Fatalf("second client's tile: %d layers, err %v", len(layers), err)
	}
	all := logs.String()
	if strings.Contains(all, "level=ERROR") || strings.Contains(all, "status=500") {
		t.Errorf("a client hanging up was logged as a failure:\n%s", all)
	}
	if !strings.Contains(all, "status=499") {
		t.Errorf("request log does not show the hang-up as 499:\n%s", all)
	}
}

// TilePath is the URL path of a vector tile of the given layers.
func TilePath(layers string, t maptile.Tile) string {
	return fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layers, t.Z, t.X, t.Y)
}
