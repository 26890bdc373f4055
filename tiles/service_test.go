package tiles

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"labmap/cache"
	"labmap/data"
	"labmap/internal/testsignal"
)

// gatedStore is the demo store whose Areas, for a tile, waits at a gate: it reports each
// call on entered, then returns when the test opens the gate, or reports the
// cancellation it sees on cancelled. Tests synchronise on these channels,
// never on sleeps.
type gatedStore struct {
	data.Store
	calls     atomic.Int32
	failNext  atomic.Bool
	entered   chan struct{}
	gate      chan struct{}
	cancelled chan error
}

func newGatedStore(t *testing.T) *gatedStore {
	return &gatedStore{Store: store(t), entered: make(chan struct{}, 8), gate: make(chan struct{}), cancelled: make(chan error, 8)}
}

func (g *gatedStore) Areas(ctx context.Context, q data.AreaQuery) ([]data.Area, error) {
	if isOutlineLoad(q) {
		// The outline topology, loaded once per dataset version beside
		// the renders: not a tile's query.
		return g.Store.Areas(ctx, q)
	}
	g.calls.Add(1)
	g.entered <- struct{}{}
	select {
	case <-g.gate:
	case <-ctx.Done():
		g.cancelled <- ctx.Err()
		return nil, ctx.Err()
	}
	if g.failNext.Swap(false) {
		return nil, errors.New("database fell over")
	}
	return g.Store.Areas(ctx, q)
}

type tileResult struct {
	tile *Cached
	err  error
}

func goTile(svc *Service, ctx context.Context, r Request) <-chan tileResult {
	out := make(chan tileResult, 1)
	go func() {
		t, err := svc.Tile(ctx, r)
		out <- tileResult{t, err}
	}()
	return out
}

// serviceWithJoins returns a service over g whose cache reports each caller
// that joins a render already under way.
func serviceWithJoins(g *gatedStore, cacheBytes int) (*Service, <-chan string) {
	svc := NewService(g, cacheBytes)
	joins := make(chan string, 8)
	svc.cache.SetJoinHook(func(k string) { joins <- k })
	return svc, joins
}

var gatedTile = Request{Layers: []Layer{Layers[1]}, Z: 9, X: 411, Y: 265}

func TestServiceCoalescing(t *testing.T) {
	t.Run("first caller hangs up, second gets the tile from the one render", func(t *testing.T) {
		g := newGatedStore(t)
		svc, joins := serviceWithJoins(g, 1<<20)
		ctx1, cancel1 := context.WithCancel(context.Background())
		defer cancel1()
		first := goTile(svc, ctx1, gatedTile)
		testsignal.Await(t, "the render to start", g.entered)
		second := goTile(svc, context.Background(), gatedTile)
		testsignal.Await(t, "the second caller to join", joins)
		cancel1()
		if r := testsignal.Await(t, "the first caller", first); !errors.Is(r.err, context.Canceled) {
			t.Fatalf("first caller: %v, want context.Canceled", r.err)
		}
		close(g.gate)
		r := testsignal.Await(t, "the second caller", second)
		if r.err != nil {
			t.Fatalf("second caller, still connected, failed: %v", r.err)
		}
		if decode(t, r.tile.Raw)["villages"] == nil {
			t.Fatal("tile has no villages layer")
		}
		if n := g.calls.Load(); n != 1 {
			t.Errorf("store queried %d times, want one render", n)
		}
		if n, _ := svc.Cache().Stats(); n != 1 {
			t.Errorf("cache holds %d tiles after the render, want 1", n)
		}
		select {
		case err := <-g.cancelled:
			t.Errorf("render saw a cancellation (%v) while a caller still waited", err)
		default:
		}
	})

	t.Run("every caller hangs up: the render is cancelled, the next request renders afresh", func(t *testing.T) {
		g := newGatedStore(t)
		svc, joins := serviceWithJoins(g, 1<<20)
		ctx1, cancel1 := context.WithCancel(context.Background())
		ctx2, cancel2 := context.WithCancel(context.Background())
		first := goTile(svc, ctx1, gatedTile)
		testsignal.Await(t, "the render to start", g.entered)
		second := goTile(svc, ctx2, gatedTile)
		testsignal.Await(t, "the second caller to join", joins)
		cancel1()
		testsignal.Await(t, "the first caller", first)
		select {
		case err := <-g.cancelled:
			t.Fatalf("render cancelled (%v) while the second caller still waited", err)
		default:
		}
		cancel2()
		if r := testsignal.Await(t, "the second caller", second); !errors.Is(r.err, context.Canceled) {
			t.Fatalf("second caller: %v, want context.Canceled", r.err)
		}
		if err := testsignal.Await(t, "the store to see the render cancelled", g.cancelled); !errors.Is(err, context.Canceled) {
			t.Fatalf("store saw %v, want context.Canceled", err)
		}
		// A new request must not join the abandoned render.
		third := goTile(svc, context.Background(), gatedTile)
		testsignal.Await(t, "a fresh render", g.entered)
		close(g.gate)
		if r := testsignal.Await(t, "the third caller", third); r.err != nil {
			t.Fatalf("third caller: %v", r.err)
		}
		if n := g.calls.Load(); n != 2 {
			t.Errorf("store queried %d times, want 2 (the abandoned render and a fresh one)", n)
		}
	})

	t.Run("a failed render is not cached and the next request retries", func(t *testing.T) {
		g := newGatedStore(t)
		svc, _ := serviceWithJoins(g, 1<<20)
		close(g.gate)
		g.failNext.Store(true)
		if _, err := svc.Tile(context.Background(), gatedTile); err == nil || err.Error() == "" {
			t.Fatal("a failing store gave no error")
		}
		if n, _ := svc.Cache().Stats(); n != 0 {
			t.Fatalf("failed render cached: %d tiles", n)
		}
		tile, err := svc.Tile(context.Background(), gatedTile)
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		again, err := svc.Tile(context.Background(), gatedTile)
		if err != nil || again != tile {
			t.Fatalf("third request not served from the cache: %v", err)
		}
		if n := g.calls.Load(); n != 2 {
			t.Errorf("store queried %d times, want 2 (failure, retry)", n)
		}
	})

	t.Run("cache off: concurrent callers still share one render", func(t *testing.T) {
		g := newGatedStore(t)
		svc, joins := serviceWithJoins(g, 0)
		first := goTile(svc, context.Background(), gatedTile)
		testsignal.Await(t, "the render to start", g.entered)
		second := goTile(svc, context.Background(), gatedTile)
		testsignal.Await(t, "the second caller to join", joins)
		close(g.gate)
		a, b := testsignal.Await(t, "the first caller", first), testsignal.Await(t, "the second caller", second)
		if a.err != nil || b.err != nil || a.tile != b.tile {
			t.Fatalf("callers got %v/%v, errors %v/%v", a.tile, b.tile, a.err, b.err)
		}
		if n := g.calls.Load(); n != 1 {
			t.Errorf("store queried %d times, want 1", n)
		}
	})

	t.Run("a stuck render ends at the fill timeout", func(t *testing.T) {
		g := newGatedStore(t)
		svc := NewService(g, 1<<20)
		svc.cache = cache.NewBounded[string](1<<20, (*Cached).size, time.Millisecond)
		_, err := svc.Tile(context.Background(), gatedTile)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("stuck render: %v, want context.DeadlineExceeded", err)
		}
		// The deadline may strike before the tile's own query (while the
		// renderer loads outlines); if the query began, it saw the deadline.
		select {
		case <-g.entered:
			if err := testsignal.Await(t, "the store to see the deadline", g.cancelled); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("store saw %v", err)
			}
		default:
		}
	})
}
