package demo

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"labmap/data"
)

// village is one real desa or kelurahan with what the generator derives
// from it.
type village struct {
	data.Village
	district int // position in the plan's districts
	shape    shape
	// rivals are the villages whose bounds meet this one's: the only ones
	// whose raw polygons can overlap it.
	rivals  []int
	areaKm2 float64
	setting setting
	pop     float64 // share of the regency's people
	zone    int     // position in the plan's pilots, -1 outside the labs
}

// geography is the real regency: its villages in code order, the lab zones
// and the shoreline, all read from the boundary file.
type geography struct {
	plan *regencyPlan
	// file names the boundary file in messages.
	file      string
	source    string
	villages  []village
	zones     [][]int        // per pilot, positions in villages, ascending
	shoreline orb.LineString // empty unless the plan has coastal kecamatan
	// settlements are where each village's people live; drawn from the
	// seed, the same for any number of households.
	settlements []settlement
	rasters     []*raster // per village, to answer exclusive quickly
}

// Shoreline and setting rules.
const (
	// edgeStepDeg is the longitude step (about 220 m) at which the
	// regency's northern edge is sampled.
	edgeStepDeg = 0.002
	// shoreBreakKm ends the shoreline where the northern edge turns south by
	// more than this within one step: there the edge runs north-south and is
	// a land border (Kota Pekalongan to the east, Pemalang to the west), not
	// the coast, which runs east-west.
	shoreBreakKm = 1.0
	// shoreKm is how near the shoreline a village of a coastal kecamatan
	// must come to be a coastal village.
	shoreKm = 2.0
)

// buildGeography reads the boundary file and derives the districts'
// villages, the labs, the shoreline and every village's setting and
// population. It depends only on the seed, never on the household count.
func buildGeography(seed uint64) (*geography, error) {
	b, err := readBoundaries()
	if err != nil {
		return nil, err
	}
	return buildGeographyFrom(pekalonganPlan(), BoundariesFile, b, seed)
}

// buildGeographyFrom derives the geography of the plan's regency from its
// villages in b, read from file; b.villages is sorted in place.
func buildGeographyFrom(plan *regencyPlan, file string, b boundaries, seed uint64) (*geography, error) {
	var err error
	gy := &geography{plan: plan, file: file, source: b.source}
	slices.SortStableFunc(b.villages, func(x, y data.Village) int { return cmp.Compare(x.Code, y.Code) })
	districtOf := make(map[string]int, len(plan.districts))
	for d, spec := range plan.districts {
		districtOf[spec.code] = d
	}
	gy.villages = make([]village, len(b.villages))
	for i, v := range b.villages {
		d, ok := districtOf[v.DistrictCode]
		if !ok {
			return nil, fmt.Errorf("demo: %s: village %s (%s) is in no kecamatan of %s", file, v.Code, v.Name, plan.region.Code)
		}
		sh := newShape(v.Geometry)
		gy.villages[i] = village{Village: v, district: d, shape: sh, areaKm2: sh.areaKm2(), zone: -1}
	}
	if err := gy.checkCounts(); err != nil {
		return nil, err
	}
	for i := range gy.villages {
		v := &gy.villages[i]
		for j := range gy.villages {
			if j != i && v.shape.bound.Intersects(gy.villages[j].shape.bound) {
				v.rivals = append(v.rivals, j)
			}
		}
	}
	if err := gy.buildZones(); err != nil {
		return nil, err
	}
	if plan.coastal() {
		if err := gy.findShoreline(); err != nil {
			return nil, err
		}
	}
	gy.assignSettings()
	gy.assignPopulation(newRand(seed, streamGeography, 0))
	gy.rasters = make([]*raster, len(gy.villages))
	for i := range gy.villages {
		gy.rasters[i] = gy.newRaster(i)
	}
	gy.settlements = make([]settlement, len(gy.villages))
	for i := range gy.villages {
		if gy.settlements[i], err = gy.settle(newRand(seed, streamSettlements, uint64(i)), i); err != nil {
			return nil, err
		}
	}
	return gy, nil
}

// checkCounts holds the file to the kecamatan table: the same villages and
// kelurahan per kecamatan, and both villages called Mulyorejo.
func (gy *geography) checkCounts() error {
	n := make([]int, len(gy.plan.districts))
	kel := make([]int, len(gy.plan.districts))
	for _, v := range gy.villages {
		n[v.district]++
		if v.Kelurahan {
			kel[v.district]++
		}
	}
	var bad []string
	for d, spec := range gy.plan.districts {
		if n[d] != spec.villages || kel[d] != spec.kelurahan {
			bad = append(bad, fmt.Sprintf("%s %s has %d villages (%d kelurahan), want %d (%d)",
				spec.code, spec.name, n[d], kel[d], spec.villages, spec.kelurahan))
		}
	}
	for _, ns := range gy.plan.namesakes {
		if i := gy.index(ns.code); i < 0 || gy.villages[i].Name != ns.name {
			bad = append(bad, fmt.Sprintf("no village %s with code %s", ns.name, ns.code))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("demo: %s does not match the kecamatan table: %s", gy.file, strings.Join(bad, "; "))
	}
	return nil
}

// index returns the position of the village with the code, or -1.
func (gy *geography) index(code string) int {
	i, ok := slices.BinarySearchFunc(gy.villages, code, func(v village, c string) int { return cmp.Compare(v.Code, c) })
	if !ok {
		return -1
	}
	return i
}

// buildZones makes each lab its pilot village and the villages whose
// polygons touch it or come within zoneReachKm. Labs must not share
// villages, or a household would count for two of them.
func (gy *geography) buildZones() error {
	owner := make(map[int]int)
	gy.zones = make([][]int, len(gy.plan.pilots))
	for p, pl := range gy.plan.pilots {
		pi := gy.index(pl.code)
		if pi < 0 || gy.villages[pi].Name != pl.name {
			return fmt.Errorf("demo: %s has no village %s with code %s for the %s lab", gy.file, pl.name, pl.code, pl.zoneID)
		}
		z := []int{pi}
		for _, j := range gy.villages[pi].rivals {
			if gy.villages[pi].shape.nearKm(&gy.villages[j].shape, zoneReachKm) {
				z = append(z, j)
			}
		}
		slices.Sort(z)
		for _, vi := range z {
			if q, dup := owner[vi]; dup {
				return fmt.Errorf("demo: village %s is in both the %s and %s labs",
					gy.villages[vi].Code, gy.plan.pilots[q].zoneID, pl.zoneID)
			}
			owner[vi] = p
			gy.villages[vi].zone = p
		}
		gy.zones[p] = z
	}
	return nil
}

// findShoreline takes the Java Sea shore from the data: the regency's
// northern edge, sampled every edgeStepDeg of longitude, from its
// northernmost point east and west until the edge turns sharply south
// (shoreBreakKm).
func (gy *geography) findShoreline() error {
	shapes := make([]shape, len(gy.villages))
	for i, v := range gy.villages {
		shapes[i] = v.shape
	}
	lons, lats := northernEdge(shapes, edgeStepDeg)
	top := -1
	for i, lat := range lats {
		if !math.IsNaN(lat) && (top < 0 || lat > lats[top]) {
			top = i
		}
	}
	if top < 0 {
		return fmt.Errorf("demo: %s: the villages have no northern edge", gy.file)
	}
	along := func(i, j int) bool {
		return !math.IsNaN(lats[j]) && (lats[i]-lats[j])*kmPerDegLat <= shoreBreakKm
	}
	first, last := top, top
	for first > 0 && along(first, first-1) {
		first--
	}
	for last+1 < len(lats) && along(last, last+1) {
		last++
	}
	for i := first; i <= last; i++ {
		gy.shoreline = append(gy.shoreline, orb.Point{lons[i], lats[i]})
	}
	if len(gy.shoreline) < 2 {
		return fmt.Errorf("demo: %s: no stretch of coast on the regency's northern edge", gy.file)
	}
	return nil
}

// shoreKmOf is how near the village comes to the shoreline.
func (gy *geography) shoreKmOf(v *village) float64 {
	best := math.Inf(1)
	for _, p := range v.Geometry {
		for _, q := range p[0] {
			best = min(best, lineKm(q, gy.shoreline))
		}
	}
	return best
}

// assignSettings decides each village's setting from its kecamatan, its
// status and its place: kelurahan are town; a desa bordering a kelurahan of
// a rural kecamatan is town too (the kecamatan's capital spills over); in a
// coastal kecamatan the villages near the shore are coast, the others take
// the kecamatan's inland setting; a desa larger than the kecamatan's
// sparseKm2 (when set) is hills.
func (gy *geography) assignSettings() {
	for i := range gy.villages {
		v := &gy.villages[i]
		spec := gy.plan.districts[v.district]
		switch {
		case v.Kelurahan || spec.setting == town:
			v.setting = town
		case spec.setting == coast:
			v.setting = spec.inland
			if gy.shoreKmOf(v) <= shoreKm {
				v.setting = coast
			}
		case gy.bordersKelurahan(i):
			v.setting = town
		case spec.sparseKm2 > 0 && v.areaKm2 > spec.sparseKm2:
			v.setting = hills
		default:
			v.setting = spec.setting
		}
	}
}

// bordersKelurahan reports whether village i touches a kelurahan of its own
// kecamatan.
func (gy *geography) bordersKelurahan(i int) bool {
	v := &gy.villages[i]
	for _, j := range v.rivals {
		o := &gy.villages[j]
		if o.Kelurahan && o.district == v.district && v.shape.nearKm(&o.shape, zoneReachKm) {
			return true
		}
	}
	return false
}

// assignPopulation splits each kecamatan's people between its villages in
// proportion to the square root of their areas (a village twice as large
// holds more people, though not twice as many: large desa are mostly
// forest or fields), times a random factor; kelurahan count double, so
// they are dense.
func (gy *geography) assignPopulation(rnd *rand.Rand) {
	total := 0.0
	for _, d := range gy.plan.districts {
		total += d.population
	}
	sum := make([]float64, len(gy.plan.districts))
	for i := range gy.villages {
		v := &gy.villages[i]
		w := 0.6 + 0.8*rnd.Float64()
		if v.Kelurahan {
			w = 2 * (1 + 0.4*rnd.Float64())
		}
		v.pop = w * math.Sqrt(v.areaKm2)
		sum[v.district] += v.pop
	}
	for i := range gy.villages {
		v := &gy.villages[i]
		v.pop *= gy.plan.districts[v.district].population / total / sum[v.district]
	}
}

// exclusive reports whether p lies inside village i's raw polygon, in
// exactly one of its parts, and inside no other village's raw polygon: a
// point no reading of the file can give to another village, whatever the
// import does about overlaps and nested shells. The village's raster
// answers for most points; exclusiveSlow for those near a boundary.
func (gy *geography) exclusive(i int, p orb.Point) bool {
	if r := gy.rasters[i]; r != nil {
		switch r.state(p) {
		case cellExclusive:
			return true
		case cellElsewhere:
			return false
		}
	}
	return gy.exclusiveSlow(i, p)
}

// exclusiveSlow is exclusive by point-in-polygon tests.
func (gy *geography) exclusiveSlow(i int, p orb.Point) bool {
	v := &gy.villages[i]
	if v.shape.parts(p) != 1 {
		return false
	}
	for _, j := range v.rivals {
		if gy.villages[j].shape.contains(p) {
			return false
		}
	}
	return true
}

// digits is a village code without its dots, the prefix of household ids.
func digits(code string) string { return strings.ReplaceAll(code, ".", "") }
