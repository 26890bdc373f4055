package memory

import (
	"context"
	"errors"
	"testing"

	"labmap/data"
)

// TestFeatureListSingleFlight holds the build of a feature list at a gate
// and sends concurrent requests for it: they share one build, a caller that
// hangs up does not fail the others, and a build nobody waits for any more
// has its context cancelled.
func TestFeatureListSingleFlight(t *testing.T) {
	s := demoMemoryStore(t, 2000)
	q := data.FeatureQuery{StatsQuery: data.StatsQuery{Level: data.LevelVillage}, Limit: 10}
	for _, tc := range []struct {
		name    string
		callers int
		leave   int // callers that hang up while the build is held
	}{
		{"sixteen cold requests share one build", 16, 0},
		{"the first callers hang up, the rest are answered", 6, 2},
		{"every caller hangs up: the build stops", 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.lists = newFeatureLists() // cold
			started, ended := make(chan struct{}, 4), make(chan error, 4)
			release := make(chan struct{})
			s.fillHook = func(ctx context.Context) {
				started <- struct{}{}
				select {
				case <-release:
					ended <- nil
				case <-ctx.Done():
					ended <- ctx.Err()
				}
			}
			joins := make(chan listKey, tc.callers)
			s.lists.SetJoinHook(func(k listKey) { joins <- k })

			type answer struct {
				matched, page int
				err           error
			}
			answers := make(chan answer, tc.callers)
			cancels := make([]context.CancelFunc, tc.callers)
			for i := range tc.callers {
				ctx, cancel := context.WithCancel(context.Background())
				cancels[i] = cancel
				go func() {
					page := 0
					n, err := s.Features(ctx, q, func(*data.Area) error { page++; return nil })
					answers <- answer{n, page, err}
				}()
				if i == 0 {
					<-started
				} else {
					<-joins
				}
			}
			for i := range tc.leave {
				cancels[i]()
				if a := <-answers; !errors.Is(a.err, context.Canceled) {
					t.Fatalf("a caller that hung up got %+v", a)
				}
			}
			if tc.leave == tc.callers {
				if err := <-ended; !errors.Is(err, context.Canceled) {
					t.Fatalf("the abandoned build ended with %v, want its context cancelled", err)
				}
				close(release)
				return
			}
			close(release)
			if err := <-ended; err != nil {
				t.Fatalf("the build ended with %v; a caller still waited for it", err)
			}
			want := -1
			for range tc.callers - tc.leave {
				a := <-answers
				if a.err != nil || a.page != 10 || a.matched <= 10 || want >= 0 && a.matched != want {
					t.Errorf("a waiting caller got %+v", a)
				}
				want = a.matched
			}
			if len(started) != 0 {
				t.Errorf("%d more builds started for one list", len(started))
			}
			for _, cancel := range cancels {
				cancel()
			}
		})
	}
}
