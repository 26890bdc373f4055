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

// TestUnsuppressedIsTheTruth checks the analyst's view against a store
// configured without the rule (threshold 1, no complementary suppression):
// every area with a household carries the same figures, and an empty area,
// which that store suppresses for having fewer than one household, is shown
// with none instead of being hidden.
func TestUnsuppressedIsTheTruth(t *testing.T) {
	ctx := context.Background()
	ds, err := demo.Generate(demo.Options{Households: 4000, Seed: 3})
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
	rounds, err := public.Rounds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	queries := []data.StatsQuery{{Level: data.LevelRegency}, {Level: data.LevelDistrict}, {Level: data.LevelVillage}, {Level: data.LevelZone},
		{Level: data.LevelVillage, Zone: "urban-kertijayan"}, {Level: data.LevelHexagon, Res: 9}, {Level: data.LevelHexagon, Res: 10, Zone: "coastal-mulyorejo"}}
	empty, hiddenFromPublic := 0, 0
	for _, r := range rounds {
		for _, q := range queries {
			q.Round = r.Round
			want, err := truth.Stats(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := public.Stats(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			q.Unsuppressed = true
			got, err := public.Stats(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%+v: %d areas unsuppressed, %d in the truth", q, len(got), len(want))
			}
			public := map[string]string{}
			for _, a := range pub {
				public[a.Code] = fmt.Sprint(a)
			}
			for i := range got {
				if want[i].Suppressed {
					if got[i].Suppressed || got[i].Households != 0 {
						t.Errorf("%+v: empty area %s: %+v", q, got[i].Code, got[i])
					}
					empty++
					continue
				}
				if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
					t.Errorf("%+v: area %s:\n unsuppressed %+v\n truth        %+v", q, got[i].Code, got[i], want[i])
				}
				if fmt.Sprint(got[i]) != public[got[i].Code] {
					hiddenFromPublic++
				}
			}
		}
	}
	if hiddenFromPublic == 0 {
		t.Error("no area differs from its public row: the comparison proves nothing")
	}
	t.Logf("%d areas differ from the public view, %d empty", hiddenFromPublic, empty)
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
