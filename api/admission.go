package api

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"labmap/data"
	"labmap/tiles"
)

// Admission defaults. A request beyond the slots waits in a short queue for
// a short time, then is refused with 503 and Retry-After: under overload a
// quick refusal the client can retry beats an answer after the client has
// given up, which is work done for nobody (issue 15: 229 timeouts and a
// 4.6 GB peak with every request admitted).
const (
	// DefaultQueueWait is how long a request may wait for a slot. It is
	// most of the latency the server promises under overload (issue 15:
	// p99 <= 1 s for tiles and items under 256 connections); scripts/load
	// measured a p99 of 2.1-4.0 s with a 5 s wait and 1.02-1.03 s for items
	// with 1 s, so the wait leaves room for the work after it.
	DefaultQueueWait = 750 * time.Millisecond
	// queuePerSlot and minQueue size the default queue: the larger of a
	// few requests per slot and a map's first burst, which MapLibre does
	// not retry when refused.
	queuePerSlot = 8
	minQueue     = 64
	// retryAfterSeconds is the Retry-After of a refusal.
	retryAfterSeconds = "1"
)

// errBusy refuses a request that found no slot: every slot taken and the
// queue full, or no slot freed within the wait.
var errBusy = errors.New("the server is busy; try again in a second")

// DefaultMaxInFlight is the default number of expensive requests served at
// once: one per CPU for a store that computes in the process; with a
// connection pool, up to two per CPU (the database works while Go
// encodes) but never more than the pool's connections less one, which
// stays free for token lookups and light requests.
func DefaultMaxInFlight(store data.Store) int {
	n := max(2, runtime.GOMAXPROCS(0))
	if p, ok := store.(data.Pooled); ok {
		if conns := int(p.PoolStats().Max); conns > 0 {
			n = max(1, min(2*runtime.GOMAXPROCS(0), conns-1))
		}
	}
	return n
}

// admission bounds the expensive requests served at once. Its slots are a
// buffered channel; waiters block on it, so a slot goes to whoever the
// runtime wakes first (no strict order, which a short wait does not need).
type admission struct {
	slots    chan struct{}
	maxQueue int64
	wait     time.Duration
	queued   atomic.Int64
	metrics  *metrics

	// timer returns the channel that ends a wait and its stop function;
	// tests replace it to end waits on their signal instead of a clock.
	timer func(time.Duration) (<-chan time.Time, func() bool)
	// waiting, when set (tests), is told each time a request starts waiting.
	waiting func()
}

func newAdmission(slots, queue int, wait time.Duration, m *metrics) *admission {
	return &admission{slots: make(chan struct{}, slots), maxQueue: int64(queue), wait: wait, metrics: m,
		timer: func(d time.Duration) (<-chan time.Time, func() bool) {
			t := time.NewTimer(d)
			return t.C, t.Stop
		}}
}

// admit takes a slot, waiting in the queue if there is room; the caller
// runs release when its work is done. It fails with errBusy when refused
// and with ctx's error when the request ends while it waits.
func (a *admission) admit(ctx context.Context) (release func(), err error) {
	select {
	case a.slots <- struct{}{}:
		a.metrics.admitted.Inc()
		return a.release, nil
	default:
	}
	if a.queued.Add(1) > a.maxQueue {
		a.queued.Add(-1)
		a.metrics.rejected.WithLabelValues("queue_full").Inc()
		return nil, errBusy
	}
	defer a.queued.Add(-1)
	start := time.Now()
	expired, stop := a.timer(a.wait)
	defer stop()
	if a.waiting != nil {
		a.waiting()
	}
	select {
	case a.slots <- struct{}{}:
		a.metrics.queueWait.Observe(time.Since(start).Seconds())
		a.metrics.admitted.Inc()
		return a.release, nil
	case <-expired:
		a.metrics.queueWait.Observe(time.Since(start).Seconds())
		a.metrics.rejected.WithLabelValues("wait").Inc()
		return nil, errBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (a *admission) release() {
	<-a.slots
	a.metrics.admitted.Dec()
}

// cachedTile returns a public tile from the cache without admission (warm tiles
// never queue) or renders it once admitted; an unsuppressed tile is never
// cached and is always a render.
func (s *Server) cachedTile(ctx context.Context, req tiles.Request) (*tiles.Cached, error) {
	if !req.Unsuppressed {
		if v, err := s.store.Version(ctx); err == nil {
			if t, ok := s.tiles.Cached(ctx, req, v); ok {
				s.metrics.tileHits.Inc()
				return t, nil
			}
		}
	}
	s.metrics.tileMisses.Inc()
	release, err := s.admission.admit(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	s.metrics.rendering.Inc()
	defer s.metrics.rendering.Dec()
	t, err := s.tiles.Tile(ctx, req)
	if err == nil {
		s.outage.available(ctx)
	}
	return t, err
}
