package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"
)

// settlement is where a village's people live: a few centres (kampung,
// dukuh) of different weights, and how far houses spread around them.
type settlement struct {
	centres  []orb.Point
	cum      []float64 // cumulative weights of centres
	spreadKm float64   // standard deviation of a house's distance from its centre, per axis
}

// Settlement rules.
const (
	// centreTries bounds the search for a settlement centre in a village;
	// even a thin village fills a few percent of its bound, so thousands of
	// uniform draws always find one.
	centreTries = 100_000
	// houseTries bounds the draws for one house before it goes to its
	// centre, which is always a good place.
	houseTries = 64
)

// settle places a village's settlement centres: two plus two per square
// root of km² (3 to 24), each at a point that belongs to this village alone.
// Upland hamlets are few heavy clusters with houses close together; elsewhere
// weights are even and houses spread out.
func (gy *geography) settle(rnd *rand.Rand, vi int) (settlement, error) {
	v := &gy.villages[vi]
	k := min(24, max(3, int(math.Round(2+2*math.Sqrt(v.areaKm2)))))
	clustered := profiles[v.setting].clustered
	st := settlement{spreadKm: 0.35 * math.Sqrt(v.areaKm2/float64(k))}
	if clustered {
		st.spreadKm = 0.12 * math.Sqrt(v.areaKm2/float64(k))
	}
	b := v.shape.bound
	acc := 0.0
	for len(st.centres) < k {
		p, ok := orb.Point{}, false
		for t := 0; t < centreTries && !ok; t++ {
			p = roundPoint(orb.Point{b.Min[0] + rnd.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rnd.Float64()*(b.Max[1]-b.Min[1])})
			ok = gy.exclusive(vi, p)
		}
		if !ok {
			return settlement{}, fmt.Errorf("demo: %s: village %s (%s): no point found inside it and outside its neighbours",
				gy.file, v.Code, v.Name)
		}
		w := 0.4 + rnd.ExpFloat64()
		if clustered {
			e := rnd.ExpFloat64()
			w = 0.05 + e*e
		}
		acc += w
		st.centres = append(st.centres, p)
		st.cum = append(st.cum, acc)
	}
	return st, nil
}

// house draws where one household of village vi lives: a centre by weight,
// then a normal scatter around it, redrawn until the point belongs to the
// village alone.
func (gy *geography) house(rnd *rand.Rand, vi int, st *settlement) orb.Point {
	k, _ := slices.BinarySearch(st.cum, rnd.Float64()*st.cum[len(st.cum)-1])
	c := st.centres[min(k, len(st.centres)-1)]
	for t := 0; t < houseTries; t++ {
		p := roundPoint(orb.Point{c[0] + rnd.NormFloat64()*st.spreadKm/kmPerDegLon, c[1] + rnd.NormFloat64()*st.spreadKm/kmPerDegLat})
		if gy.exclusive(vi, p) {
			return p
		}
	}
	return c
}

// roundPoint rounds to the six decimals the households file keeps, so a
// point checked here is the point read back from the file.
func roundPoint(p orb.Point) orb.Point { return orb.Point{round6(p[0]), round6(p[1])} }
