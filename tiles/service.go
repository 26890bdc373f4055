package tiles

import (
	"context"
	"fmt"
	"hash/fnv"

	"labmap/data"
)

// Service renders tiles through the cache, rendering each missing tile once
// even when many clients ask for it at the same moment; a client that hangs
// up leaves the render running for the others (see Bounded).
type Service struct {
	store    data.Store
	cache    *Cache
	outlines outlineCache
}

// NewService returns a tile service over store with a cache of cacheBytes.
func NewService(store data.Store, cacheBytes int) *Service {
	return &Service{store: store, cache: NewCache(cacheBytes)}
}

// Cache exposes the service's cache, for statistics.
func (s *Service) Cache() *Cache { return s.cache }

// Tile returns the encoded tile for r at the store's current dataset
// version. It returns ctx's error as soon as ctx ends, even while the render
// it waits for goes on for other callers.
//
// The version is read again after the tile is had: a store whose version
// moved meanwhile (an import replayed on a replica mid-render) may have
// answered from the newer one, so the tile is rendered again rather than
// served with an ETag naming a version its figures are not from.
func (s *Service) Tile(ctx context.Context, r Request) (*Cached, error) {
	for attempt := 0; ; attempt++ {
		version, err := s.store.Version(ctx)
		if err != nil {
			return nil, err
		}
		t, err := s.tileAt(ctx, r, version)
		if err != nil {
			return nil, err
		}
		// A store that cannot say its version now answered the render; after
		// three imports in one render, serve what was had: a store that
		// moves this fast has no steadier answer.
		if after, err := s.store.Version(ctx); err != nil || after == version || attempt == 3 {
			return t, nil
		}
	}
}

func (s *Service) tileAt(ctx context.Context, r Request, version int64) (*Cached, error) {
	if r.Unsuppressed {
		return s.render(ctx, r, version)
	}
	key := r.Key(version)
	if t, ok := s.cache.Get(key); ok {
		return t, nil // without building the fill closure GetOrFill needs
	}
	return s.cache.GetOrFill(ctx, key, func(ctx context.Context) (*Cached, error) {
		return s.render(ctx, r, version)
	})
}

func (s *Service) render(ctx context.Context, r Request, version int64) (*Cached, error) {
	s.outlines.reset(version)
	raw, err := render(ctx, s.store, r, &s.outlines)
	if err != nil {
		return nil, err
	}
	h := fnv.New64a()
	h.Write(raw)
	etag := fmt.Sprintf(`"%d-%x"`, version, h.Sum64())
	if r.Unsuppressed {
		// Never equal to a public tile's validator, so a conditional
		// request cannot match across the two.
		etag = fmt.Sprintf(`"u%d-%x"`, version, h.Sum64())
	}
	return &Cached{Raw: raw, ETag: etag}, nil
}
