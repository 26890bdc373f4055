package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// gatedFill is a fill that waits for release (or for its context to end),
// counting its calls and saying when it started and how it ended.
type gatedFill struct {
	calls   atomic.Int32
	started chan struct{}
	release chan struct{}
	ended   chan error // the fill's context error when it stopped, nil when released
}

func newGatedFill() *gatedFill {
	return &gatedFill{started: make(chan struct{}, 16), release: make(chan struct{}), ended: make(chan error, 16)}
}

func (g *gatedFill) fn(ctx context.Context) (int, error) {
	n := g.calls.Add(1)
	g.started <- struct{}{}
	select {
	case <-g.release:
		g.ended <- nil
		return int(n) * 10, nil
	case <-ctx.Done():
		g.ended <- ctx.Err()
		return 0, ctx.Err()
	}
}

func TestGetOrFillShares(t *testing.T) {
	for _, tc := range []struct {
		name    string
		callers int
		leave   int // callers that hang up before the fill is released
	}{
		{"one caller", 1, 0},
		{"eight callers share one fill", 8, 0},
		{"the first callers hang up, the others still get the value", 8, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewBounded[string](10, func(int) int { return 1 }, 0)
			joins := make(chan string, tc.callers)
			c.SetJoinHook(func(k string) { joins <- k })
			g := newGatedFill()
			type result struct {
				v   int
				err error
			}
			results := make(chan result, tc.callers)
			cancels := make([]context.CancelFunc, tc.callers)
			for i := range tc.callers {
				ctx, cancel := context.WithCancel(context.Background())
				cancels[i] = cancel
				go func() {
					v, err := c.GetOrFill(ctx, "k", g.fn)
					results <- result{v, err}
				}()
				if i == 0 {
					<-g.started // the first caller started the fill
				} else {
					<-joins // the others joined it
				}
			}
			for i := range tc.leave {
				cancels[i]()
			}
			for range tc.leave {
				if r := <-results; !errors.Is(r.err, context.Canceled) {
					t.Fatalf("a caller that hung up got %v, %v", r.v, r.err)
				}
			}
			close(g.release)
			for range tc.callers - tc.leave {
				if r := <-results; r.err != nil || r.v != 10 {
					t.Errorf("a waiting caller got %v, %v; want 10", r.v, r.err)
				}
			}
			if err := <-g.ended; err != nil {
				t.Errorf("the fill ended with %v; it should have run to the end", err)
			}
			if n := g.calls.Load(); n != 1 {
				t.Errorf("%d fills for one key", n)
			}
			if v, ok := c.Get("k"); !ok || v != 10 {
				t.Errorf("cached %v, %v", v, ok)
			}
			for _, cancel := range cancels {
				cancel()
			}
		})
	}
}

// TestGetOrFillStopsWhenAllLeave: the fill's context ends when the last
// waiting caller hangs up, and the next caller starts afresh.
func TestGetOrFillStopsWhenAllLeave(t *testing.T) {
	c := NewBounded[string](10, func(int) int { return 1 }, 0)
	joins := make(chan string, 2)
	c.SetJoinHook(func(k string) { joins <- k })
	g := newGatedFill()
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.GetOrFill(ctx, "k", g.fn); !errors.Is(err, context.Canceled) {
				t.Errorf("caller got %v, want context.Canceled", err)
			}
		}()
		if i == 0 {
			<-g.started
		} else {
			<-joins
		}
	}
	cancel()
	wg.Wait()
	if err := <-g.ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("the abandoned fill ended with %v, want its context cancelled", err)
	}
	if _, ok := c.Get("k"); ok {
		t.Error("an abandoned fill was cached")
	}
	close(g.release)
	v, err := c.GetOrFill(context.Background(), "k", g.fn)
	if err != nil || v != 20 || g.calls.Load() != 2 {
		t.Errorf("after an abandoned fill: %v, %v after %d fills; want a fresh fill giving 20", v, err, g.calls.Load())
	}
}

func TestGetOrFillErrors(t *testing.T) {
	c := NewBounded[string](10, func(int) int { return 1 }, 0)
	boom := errors.New("boom")
	// One key through the steps: nothing failed is kept, so each step fills.
	for _, tc := range []struct {
		name    string
		fn      func(context.Context) (int, error)
		wantErr bool
		want    int
	}{
		{"a failed fill is an error", func(context.Context) (int, error) { return 0, boom }, true, 0},
		{"a panicking fill is an error, not a crash", func(context.Context) (int, error) { panic("bad") }, true, 0},
		{"neither was cached: the next caller fills", func(context.Context) (int, error) { return 7, nil }, false, 7},
		{"and its value is kept", func(context.Context) (int, error) { return 8, nil }, false, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := c.GetOrFill(context.Background(), "k", tc.fn)
			if (err != nil) != tc.wantErr || v != tc.want {
				t.Errorf("got %v, %v; want %v (error: %v)", v, err, tc.want, tc.wantErr)
			}
		})
	}
}

// TestBoundedByCount: with a cost of 1 a value, the bound is a count and
// the least recently used value goes first.
func TestBoundedByCount(t *testing.T) {
	c := NewBounded[string](2, func(int) int { return 1 }, 0)
	c.Put("a", 1)
	c.Put("b", 2)
	c.Get("a") // a is now the most recently used
	c.Put("c", 3)
	if n, cost := c.Stats(); n != 2 || cost != 2 {
		t.Errorf("%d values costing %d, want 2 and 2", n, cost)
	}
	if _, ok := c.Get("b"); ok {
		t.Error("b, the least recently used, was kept")
	}
	for _, k := range []string{"a", "c"} {
		if _, ok := c.Get(k); !ok {
			t.Errorf("%s was evicted", k)
		}
	}
}
