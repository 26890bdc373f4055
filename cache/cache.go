// Package cache is the bounded, single-flight cache that expensive fills
// share: a value is computed once however many requests ask for it at the
// same moment, on a context of its own that ends when the last of them
// leaves, and kept within a cost bound.
package cache

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"
)

// Bounded is an LRU cache bounded by the cost of its values (bytes, or 1 a
// value to bound their number), whose misses are filled once however many
// callers ask at the same moment, as martin's get_or_insert does. A fill runs on a context of its own, detached
// from any one caller's cancellation: it is cancelled only when every caller
// waiting for it has gone, or when it outlives the fill timeout, so one
// client hanging up never fails the others, and abandoned work still stops.
// Callers that need a version (a dataset version) put it in the key.
type Bounded[K comparable, V any] struct {
	max     int
	cost    func(V) int
	timeout time.Duration

	mu       sync.Mutex
	used     int
	order    *list.List // front = most recently used
	items    map[K]*list.Element
	inflight map[K]*fill[V]

	// joined, when set (SetJoinHook, for tests), is called once a caller
	// waits on a fill another caller started.
	joined func(K)
}

type entry[K comparable, V any] struct {
	key  K
	val  V
	cost int
}

// fill is one computation of a missing value and the callers waiting on it.
type fill[V any] struct {
	done    chan struct{} // closed when val and err are set
	cancel  context.CancelFunc
	waiters int // guarded by the cache's mu
	val     V
	err     error
}

// NewBounded returns a cache holding values of total cost at most maxBytes
// (0 or less: nothing is kept, fills are still shared); timeout bounds each
// fill (0: no bound).
func NewBounded[K comparable, V any](maxBytes int, cost func(V) int, timeout time.Duration) *Bounded[K, V] {
	return &Bounded[K, V]{max: maxBytes, cost: cost, timeout: timeout,
		order: list.New(), items: make(map[K]*list.Element), inflight: make(map[K]*fill[V])}
}

// Get returns the value under key, if cached.
func (c *Bounded[K, V]) Get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.getLocked(key)
}

func (c *Bounded[K, V]) getLocked(key K) (V, bool) {
	el, ok := c.items[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*entry[K, V]).val, true
}

// Put stores a value, evicting the least recently used ones to stay in
// bounds; a value costlier than the whole cache is not kept.
func (c *Bounded[K, V]) Put(key K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(key, v)
}

func (c *Bounded[K, V]) putLocked(key K, v V) {
	cost := c.cost(v)
	if c.max <= 0 || cost > c.max {
		return
	}
	if el, ok := c.items[key]; ok {
		e := el.Value.(*entry[K, V])
		c.used += cost - e.cost
		e.val, e.cost = v, cost
		c.order.MoveToFront(el)
	} else {
		c.items[key] = c.order.PushFront(&entry[K, V]{key, v, cost})
		c.used += cost
	}
	for c.used > c.max {
		el := c.order.Back()
		e := el.Value.(*entry[K, V])
		c.order.Remove(el)
		delete(c.items, e.key)
		c.used -= e.cost
	}
}

// Stats reports the number of values and their total cost in bytes.
func (c *Bounded[K, V]) Stats() (n, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items), c.used
}

// GetOrFill returns the value under key, computing it with fn on a miss.
// Concurrent callers for one key share one call of fn. Each caller returns
// when the value is ready or when its own ctx ends, whichever comes first;
// fn's context keeps ctx's values but not its cancellation, and is
// cancelled when the last waiting caller leaves or the fill timeout passes.
// A failed fill is not cached: the next caller tries again.
func (c *Bounded[K, V]) GetOrFill(ctx context.Context, key K, fn func(context.Context) (V, error)) (V, error) {
	c.mu.Lock()
	if v, ok := c.getLocked(key); ok {
		c.mu.Unlock()
		return v, nil
	}
	f, joined := c.inflight[key]
	if !joined {
		f = c.start(ctx, key, fn)
	}
	f.waiters++
	hook := c.joined
	c.mu.Unlock()
	if joined && hook != nil {
		hook(key)
	}

	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		c.leave(key, f)
		var zero V
		return zero, ctx.Err()
	}
}

// start launches the fill of key; c.mu is held.
func (c *Bounded[K, V]) start(ctx context.Context, key K, fn func(context.Context) (V, error)) *fill[V] {
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if c.timeout > 0 {
		var cancelTimeout context.CancelFunc
		fctx, cancelTimeout = context.WithTimeout(fctx, c.timeout)
		inner := cancel
		cancel = func() { cancelTimeout(); inner() }
	}
	f := &fill[V]{done: make(chan struct{}), cancel: cancel}
	c.inflight[key] = f
	go func() {
		defer cancel()
		val, err := safeFill(fctx, fn)
		c.mu.Lock()
		if err == nil {
			c.putLocked(key, val)
		}
		// An abandoned fill has already been replaced, or will be.
		if c.inflight[key] == f {
			delete(c.inflight, key)
		}
		f.val, f.err = val, err
		c.mu.Unlock()
		close(f.done)
	}()
	return f
}

// safeFill turns a panic in fn into an error: fn runs on its own goroutine,
// where a panic would take the whole server down instead of one request.
func safeFill[V any](ctx context.Context, fn func(context.Context) (V, error)) (v V, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cache fill panicked: %v", p)
		}
	}()
	return fn(ctx)
}

// leave drops a caller that stopped waiting; the last one out cancels the
// fill and forgets it, so that a later caller starts afresh instead of
// joining work that is being torn down.
func (c *Bounded[K, V]) leave(key K, f *fill[V]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f.waiters--
	if f.waiters > 0 {
		return
	}
	select {
	case <-f.done:
		return // finished meanwhile; nothing to stop
	default:
	}
	f.cancel()
	if c.inflight[key] == f {
		delete(c.inflight, key)
	}
}

// SetJoinHook makes the cache call hook each time a caller starts waiting
// on a fill that another caller started; tests use it to know, without
// timing, that callers share a fill.
func (c *Bounded[K, V]) SetJoinHook(hook func(K)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.joined = hook
}

// SetMaxBytes changes the bound on the cost held; it takes effect with the
// next value put, which evicts the least recently used until it fits.
func (c *Bounded[K, V]) SetMaxBytes(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.max = n
}
