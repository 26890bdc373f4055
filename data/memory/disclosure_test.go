package memory

import (
	"context"
	"fmt"
	"testing"

	"labmap/data"
	"labmap/data/demo"
	"labmap/data/disclosuretest"
)

// TestDifferencingAttacks plays the attacks on the default real-boundary
// dataset; the true figures come from the same dataset served without
// suppression.
func TestDifferencingAttacks(t *testing.T) {
	ds, err := demo.Generate(demo.Options{Households: 30000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	public, err := New(ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	truth, err := New(ds, Options{MinHouseholds: 1, PrimaryOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	disclosuretest.Attacks(t, ds, public, truth, 1000)
}

// BenchmarkDisclosure measures what the rule costs the memory store: once
// per round (decide), and per request (every village of a round, and the
// res-10 hexagons) against the primary rule alone.
func BenchmarkDisclosure(b *testing.B) {
	ctx := context.Background()
	ds, err := demo.Generate(demo.Options{Households: 30000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decide one round", func(b *testing.B) {
		s, err := New(ds, Options{})
		if err != nil {
			b.Fatal(err)
		}
		st := s.state.Load()
		for b.Loop() {
			st.disclosures = make([]disclosure, len(st.rounds))
			if _, err := st.disclosure(0, s.k); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, opt := range []struct {
		name string
		opt  Options
	}{{"primary only", Options{PrimaryOnly: true}}, {"complementary", Options{}}} {
		s, err := New(ds, opt.opt)
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range []data.StatsQuery{{Level: data.LevelVillage}, {Level: data.LevelHexagon, Res: 10}} {
			b.Run(fmt.Sprintf("%s/%s%d", opt.name, q.Level, q.Res), func(b *testing.B) {
				for b.Loop() {
					if _, err := s.Stats(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
