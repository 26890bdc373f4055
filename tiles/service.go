package tiles

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"labmap/cache"
	"labmap/data"
)

// Service renders tiles through the cache, rendering each missing tile once
// even when many clients ask for it at the same moment; a client that hangs
// up leaves the render running for the others (see Bounded).
type Service struct {
	store    data.Store
	cache    *Cache
	outlines outlineCache

	// With a store that keeps a change log, a tile cached at an earlier
	// version that no change since has touched is served at the new one
	// (reuse): an import of one regency leaves the others' tiles warm.
	changeLog data.ChangeLog
	changes   *cache.Bounded[[2]int64, *data.Changes] // by (from, to)
	mu        sync.Mutex
	versions  []int64 // the latest versions tiles were asked at, oldest first
	reused    atomic.Int64
}

// keptVersions is how many earlier versions a tile is looked for at.
const keptVersions = 4

// NewService returns a tile service over store with a cache of cacheBytes.
func NewService(store data.Store, cacheBytes int) *Service {
	s := &Service{store: store, cache: NewCache(cacheBytes)}
	if cl, ok := store.(data.ChangeLog); ok {
		s.changeLog = cl
		s.changes = cache.NewBounded[[2]int64](64, func(*data.Changes) int { return 1 }, DefaultFillTimeout)
	}
	return s
}

// Reused counts the tiles served at a new dataset version from the cache
// of an earlier one, for metrics.
func (s *Service) Reused() int64 { return s.reused.Load() }

// Cached returns the tile for r at version from the cache, without
// rendering: the tile cached at version itself, or one cached at an
// earlier version that the changes since leave as it was. It is the warm
// path, which must not wait behind renders.
func (s *Service) Cached(ctx context.Context, r Request, version int64) (*Cached, bool) {
	if r.Unsuppressed {
		return nil, false
	}
	key := r.Key(version)
	if t, ok := s.cache.Get(key); ok {
		return t, true
	}
	t := s.reuse(ctx, r, version)
	if t == nil {
		return nil, false
	}
	// Another request may have put a tile there meanwhile: either has the
	// same bytes.
	t, err := s.cache.GetOrFill(ctx, key, func(context.Context) (*Cached, error) { return t, nil })
	return t, err == nil
}

// reuse finds the tile for r cached at the latest earlier version that has
// it, and returns it tagged for version when no change since that version
// touches the tile's area in any of its layers; nil otherwise. Earlier
// versions need not be looked at: their changes include these.
func (s *Service) reuse(ctx context.Context, r Request, version int64) *Cached {
	if s.changeLog == nil {
		return nil
	}
	s.mu.Lock()
	if n := len(s.versions); n == 0 || s.versions[n-1] < version {
		s.versions = append(s.versions, version)
		if len(s.versions) > keptVersions+1 {
			s.versions = s.versions[1:]
		}
	}
	versions := slices.Clone(s.versions)
	s.mu.Unlock()
	for i := len(versions) - 1; i >= 0; i-- {
		from := versions[i]
		if from >= version {
			continue
		}
		old, ok := s.cache.Get(r.Key(from))
		if !ok {
			continue
		}
		ch, err := s.changes.GetOrFill(ctx, [2]int64{from, version}, func(ctx context.Context) (*data.Changes, error) {
			return s.changeLog.Changes(ctx, from, version)
		})
		if err != nil {
			slog.Warn("tile cache: read the change log", "from", from, "to", version, "err", err)
			return nil
		}
		b := QueryBound(r.Z, r.X, r.Y)
		for _, l := range r.Layers {
			if ch.Touches(l.Level, r.res(), b) {
				return nil
			}
		}
		s.reused.Add(1)
		return &Cached{Raw: old.Raw, ETag: retag(old.ETag, version)}
	}
	return nil
}

// retag is a public tile's ETag ("version-hash") for another version with
// the same bytes.
func retag(etag string, version int64) string {
	_, hash, _ := strings.Cut(etag, "-")
	return fmt.Sprintf(`"%d-%s`, version, hash)
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
	if t, ok := s.Cached(ctx, r, version); ok {
		return t, nil // without building the fill closure GetOrFill needs
	}
	return s.cache.GetOrFill(ctx, r.Key(version), func(ctx context.Context) (*Cached, error) {
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
