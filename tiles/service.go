package tiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"hash/fnv"
	"sync"

	"labmap/data"
)

// Service renders tiles through the cache, rendering each missing tile once
// even when many clients ask for it at the same moment.
type Service struct {
	store    data.Store
	cache    *Cache
	outlines outlineCache

	mu       sync.Mutex
	inflight map[string]*call
}

type call struct {
	done chan struct{}
	tile *Cached
	err  error
}

// NewService returns a tile service over store with a cache of cacheBytes.
func NewService(store data.Store, cacheBytes int) *Service {
	return &Service{store: store, cache: NewCache(cacheBytes), inflight: make(map[string]*call)}
}

// Cache exposes the service's cache, for statistics.
func (s *Service) Cache() *Cache { return s.cache }

// Tile returns the encoded tile for r at the store's current dataset version.
func (s *Service) Tile(ctx context.Context, r Request) (*Cached, error) {
	version, err := s.store.Version(ctx)
	if err != nil {
		return nil, err
	}
	key := r.Key(version)
	if t, ok := s.cache.Get(key); ok {
		return t, nil
	}
	s.mu.Lock()
	if c, ok := s.inflight[key]; ok {
		s.mu.Unlock()
		select {
		case <-c.done:
			return c.tile, c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c := &call{done: make(chan struct{})}
	s.inflight[key] = c
	s.mu.Unlock()

	c.tile, c.err = s.render(ctx, r, version)
	if c.err == nil {
		s.cache.Put(key, c.tile)
	}
	s.mu.Lock()
	delete(s.inflight, key)
	s.mu.Unlock()
	close(c.done)
	return c.tile, c.err
}

func (s *Service) render(ctx context.Context, r Request, version int64) (*Cached, error) {
	s.outlines.reset(version)
	raw, err := render(ctx, s.store, r, &s.outlines)
	if err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if _, err := zw.Write(raw); err != nil {
		return nil, fmt.Errorf("gzip tile: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip tile: %w", err)
	}
	h := fnv.New64a()
	h.Write(raw)
	return &Cached{Raw: raw, Gzip: gz.Bytes(), ETag: fmt.Sprintf(`"%d-%x"`, version, h.Sum64())}, nil
}
