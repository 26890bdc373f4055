package demo

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"labmap/geo"
)

// village is a generated desa or kelurahan with its cells.
type village struct {
	district  int
	code      string
	name      string
	kelurahan bool
	setting   setting
	seed      int32
	cells     []int32 // ascending
	pop       float64 // share of the regency's people
	zone      int     // position in pilots, -1 outside the labs
	adjacent  []int   // villages sharing a cell edge, ascending
}

// geography is the generated regency: cells, districts, villages and zones.
type geography struct {
	grid          *grid
	districtOf    []int32 // per cell
	villageOf     []int32 // per cell, position in villages
	districtCells [][]int32
	seedPaths     [][]int32 // per district: its centre cell, then the path to the sea if any
	villages      []village // ordered by code
	zones         [len(pilots)][]int
	pilotVillage  [len(pilots)]int
}

// buildGeography grows the 19 kecamatan and 285 villages over the regency's
// cells. It depends only on the seed, never on the household count.
func buildGeography(seed uint64) (*geography, error) {
	rnd := newRand(seed, streamGeography, 0)
	g, err := newGrid(outline)
	if err != nil {
		return nil, err
	}
	t := newTerrain(rnd)
	gw := newGrower(g, &t)
	n := len(g.cells)
	gy := &geography{grid: g, districtOf: make([]int32, n), villageOf: make([]int32, n)}

	// Districts: seeded at their centres (plus a path to the sea for the
	// coastal ones), grown to sizes proportional to their areas.
	all := make([]int32, n)
	region := make([]int32, n)
	for i := range all {
		all[i] = int32(i)
	}
	seeds := make([][]int32, len(districts))
	target := make([]float64, len(districts))
	totalArea := 0.0
	for _, d := range districts {
		totalArea += d.areaKm2
	}
	claimed := make(map[int32]int)
	for i, d := range districts {
		path := g.walk(append([]orb.Point{d.centre}, d.shore...))
		if len(path) == 0 {
			path = []int32{g.nearest(d.centre)}
		}
		for _, c := range path {
			if other, dup := claimed[c]; dup {
				return nil, fmt.Errorf("demo: seed paths of %s and %s cross", districts[other].name, d.name)
			}
			claimed[c] = i
		}
		seeds[i] = path
		target[i] = d.areaKm2 / totalArea * float64(n)
	}
	gw.growSized(all, region, 0, seeds, target, 40, gy.districtOf)
	gy.seedPaths = seeds
	gy.districtCells = make([][]int32, len(districts))
	for i, d := range gy.districtOf {
		gy.districtCells[d] = append(gy.districtCells[d], int32(i))
	}

	// Villages inside each district.
	var vs []village
	for d := range districts {
		dv, err := gy.growVillages(rnd, gw, d)
		if err != nil {
			return nil, err
		}
		vs = append(vs, dv...)
	}
	gy.villages = vs
	gy.indexVillages()
	if err := gy.placePilots(rnd); err != nil {
		return nil, err
	}
	gy.assignCodesAndNames(rnd)

	// Order villages by code; everything that refers to them is rebuilt.
	order := make([]int, len(gy.villages))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(gy.villages[a].code, gy.villages[b].code) })
	sorted := make([]village, len(order))
	for i, o := range order {
		sorted[i] = gy.villages[o]
	}
	gy.villages = sorted
	gy.indexVillages()
	for i := range gy.villages {
		v := &gy.villages[i]
		for p := range pilots {
			if v.code == pilots[p].code {
				gy.pilotVillage[p] = i
			}
		}
	}
	if err := gy.buildZones(); err != nil {
		return nil, err
	}
	gy.assignSettings()
	gy.assignPopulation(rnd)
	return gy, nil
}

// growVillages places the district's village seeds and grows the villages.
// Kelurahan seeds sit near the district centre, where the town is; desa
// seeds spread over the rest by best-candidate sampling. A coastal district's
// last seed-path cell, on the shore, seeds a desa so that a village there
// touches the sea (in Tirto it becomes Mulyorejo).
func (gy *geography) growVillages(rnd *rand.Rand, gw *grower, d int) ([]village, error) {
	spec := districts[d]
	g := gy.grid
	districtSeeds := gy.seedPaths[d]
	cells := gy.districtCells[d]
	if len(cells) < spec.villages {
		return nil, fmt.Errorf("demo: %s has %d cells for %d villages", spec.name, len(cells), spec.villages)
	}
	var seeds []int32
	used := make(map[int32]bool)
	add := func(c int32) {
		seeds = append(seeds, c)
		used[c] = true
	}
	bestOf := func(cands []int32, tries int) int32 {
		best, bestD := int32(-1), -1.0
		for k := 0; k < tries; k++ {
			c := cands[rnd.IntN(len(cands))]
			if used[c] {
				continue
			}
			dmin := math.Inf(1)
			for _, s := range seeds {
				dmin = min(dmin, distKm(g.centre[c], g.centre[s]))
			}
			if dmin > bestD {
				best, bestD = c, dmin
			}
		}
		if best < 0 {
			for _, c := range cands {
				if !used[c] {
					return c
				}
			}
		}
		return best
	}

	centre := districtSeeds[0]
	byCentre := slices.Clone(cells)
	slices.SortStableFunc(byCentre, func(a, b int32) int {
		return cmp.Compare(distKm(g.centre[a], g.centre[centre]), distKm(g.centre[b], g.centre[centre]))
	})
	townCells := byCentre[:min(len(byCentre), max(16, 8*spec.kelurahan))]
	for k := 0; k < spec.kelurahan; k++ {
		add(bestOf(townCells, 24))
	}
	if len(spec.shore) > 0 {
		add(districtSeeds[len(districtSeeds)-1])
	}
	for len(seeds) < spec.villages {
		add(bestOf(cells, 12))
	}

	groups := make([][]int32, len(seeds))
	target := make([]float64, len(seeds))
	wsum := 0.0
	for i, s := range seeds {
		groups[i] = []int32{s}
		w := 0.6 + 0.9*rnd.Float64()
		if len(spec.shore) > 0 && s == districtSeeds[len(districtSeeds)-1] {
			w = 1.4 // the shore desa; in Tirto the coastal lab
		}
		if i < spec.kelurahan {
			w = 0.35 + 0.2*rnd.Float64()
		}
		target[i] = w
		wsum += w
	}
	for i := range target {
		target[i] *= float64(len(cells)) / wsum
	}
	owner := make([]int32, len(g.cells))
	gw.growSized(cells, gy.districtOf, int32(d), groups, target, 25, owner)

	out := make([]village, len(seeds))
	for i, s := range seeds {
		out[i] = village{district: d, kelurahan: i < spec.kelurahan, seed: s, zone: -1}
	}
	for _, c := range cells {
		v := &out[owner[c]]
		v.cells = append(v.cells, c)
	}
	return out, nil
}

// indexVillages fills villageOf and each village's adjacent list from the
// current order of gy.villages.
func (gy *geography) indexVillages() {
	for vi := range gy.villages {
		for _, c := range gy.villages[vi].cells {
			gy.villageOf[c] = int32(vi)
		}
	}
	for vi := range gy.villages {
		v := &gy.villages[vi]
		v.adjacent = v.adjacent[:0]
		for _, c := range v.cells {
			for _, j := range gy.grid.nbr[c] {
				if j >= 0 && gy.villageOf[j] != int32(vi) {
					v.adjacent = append(v.adjacent, int(gy.villageOf[j]))
				}
			}
		}
		slices.Sort(v.adjacent)
		v.adjacent = slices.Compact(v.adjacent)
	}
}

// zoneOf is a village and its neighbours: what a lab around it covers.
func (gy *geography) zoneOf(vi int) []int {
	z := append([]int{vi}, gy.villages[vi].adjacent...)
	slices.Sort(z)
	return z
}

// placePilots decides which generated villages are the real pilot villages
// and the second Mulyorejo, by setting their names; codes follow.
func (gy *geography) placePilots(rnd *rand.Rand) error {
	inDistrict := func(d int) []int {
		var out []int
		for i, v := range gy.villages {
			if v.district == d && !v.kelurahan {
				out = append(out, i)
			}
		}
		return out
	}
	g := gy.grid

	// Mulyorejo (Tirto) is the desa seeded on Tirto's stretch of shore.
	mul := -1
	shore := gy.seedPaths[dTirto][len(gy.seedPaths[dTirto])-1]
	for _, i := range inDistrict(dTirto) {
		if gy.villages[i].seed == shore {
			mul = i
		}
	}
	if mul < 0 {
		return fmt.Errorf("demo: no shore village in Tirto for Mulyorejo")
	}
	gy.villages[mul].name = pilots[pilotMulyorejo].name

	// Botosari: the Paninggaran desa nearest the district centre, so that
	// its lab lies in the forest rather than straddling a district border.
	centre := districts[dPaninggaran].centre
	cands := inDistrict(dPaninggaran)
	bot := slices.MinFunc(cands, func(a, b int) int {
		return cmp.Compare(distKm(g.centre[gy.villages[a].seed], centre), distKm(g.centre[gy.villages[b].seed], centre))
	})
	gy.villages[bot].name = pilots[pilotBotosari].name

	// Kertijayan: a Buaran desa against Kota Pekalongan whose lab does not
	// share a village with Mulyorejo's.
	mulZone := gy.zoneOf(mul)
	kotaKm := func(vi int) float64 {
		best := math.Inf(1)
		for _, c := range gy.villages[vi].cells {
			best = min(best, distToLineKm(g.centre[c], kotaPekalongan))
		}
		return best
	}
	ker, kerScore := -1, math.Inf(1)
	for _, i := range inDistrict(dBuaran) {
		if overlaps(gy.zoneOf(i), mulZone) {
			continue
		}
		score := kotaKm(i)
		if score < kerScore {
			ker, kerScore = i, score
		}
	}
	if ker < 0 {
		return fmt.Errorf("demo: no Buaran desa for Kertijayan whose lab stays clear of Mulyorejo's")
	}
	gy.villages[ker].name = pilots[pilotKertijayan].name

	kesesi := inDistrict(dKesesi)
	gy.villages[kesesi[rnd.IntN(len(kesesi))]].name = namesake
	return nil
}

func overlaps(a, b []int) bool {
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); ok {
			return true
		}
	}
	return false
}

// assignCodesAndNames numbers kelurahan 1001.. and desa 2001.. from north to
// south, then swaps the pilot villages onto their real codes, and names the
// rest: the first kelurahan after its kecamatan, the others composed.
func (gy *geography) assignCodesAndNames(rnd *rand.Rand) {
	g := gy.grid
	for d, spec := range districts {
		var kel, desa []int
		for i, v := range gy.villages {
			if v.district != d {
				continue
			}
			if v.kelurahan {
				kel = append(kel, i)
			} else {
				desa = append(desa, i)
			}
		}
		northFirst := func(a, b int) int {
			pa, pb := g.centre[gy.villages[a].seed], g.centre[gy.villages[b].seed]
			if c := cmp.Compare(pb[1], pa[1]); c != 0 {
				return c
			}
			return cmp.Compare(pa[0], pb[0])
		}
		slices.SortFunc(kel, northFirst)
		slices.SortFunc(desa, northFirst)
		for k, i := range kel {
			gy.villages[i].code = spec.code + "." + strconv.Itoa(1001+k)
		}
		codes := desaCodes(d, len(desa))
		for k, i := range desa {
			gy.villages[i].code = spec.code + "." + strconv.Itoa(codes[k])
		}
		for _, p := range pilots {
			if p.district != d {
				continue
			}
			var pv, holder int = -1, -1
			for _, i := range desa {
				if gy.villages[i].name == p.name {
					pv = i
				}
				if gy.villages[i].code == p.code {
					holder = i
				}
			}
			gy.villages[pv].code, gy.villages[holder].code = gy.villages[holder].code, gy.villages[pv].code
		}

		used := map[string]bool{}
		for _, p := range pilots {
			used[p.name] = true
		}
		used[namesake] = true
		used[spec.name] = true
		for k, i := range kel {
			if k == 0 {
				gy.villages[i].name = spec.name
				continue
			}
			gy.villages[i].name = villageName(rnd, used)
		}
		// Name desa in code order so that names do not depend on map order
		// or seed placement details beyond the codes.
		slices.SortFunc(desa, func(a, b int) int { return cmp.Compare(gy.villages[a].code, gy.villages[b].code) })
		for _, i := range desa {
			if gy.villages[i].name == "" {
				gy.villages[i].name = villageName(rnd, used)
			}
		}
	}
}

// buildZones makes each lab the pilot village and its neighbours; labs must
// not share villages, or a household would count for two of them.
func (gy *geography) buildZones() error {
	seen := make(map[int]int)
	for p := range pilots {
		z := gy.zoneOf(gy.pilotVillage[p])
		for _, vi := range z {
			if q, dup := seen[vi]; dup {
				return fmt.Errorf("demo: village %s is in both the %s and %s labs",
					gy.villages[vi].code, pilots[q].zoneID, pilots[p].zoneID)
			}
			seen[vi] = p
			gy.villages[vi].zone = p
		}
		gy.zones[p] = z
	}
	return nil
}

// assignSettings decides each village's setting from its district, its
// status and, on the coast, its distance from the shore.
func (gy *geography) assignSettings() {
	g := gy.grid
	for i := range gy.villages {
		v := &gy.villages[i]
		spec := districts[v.district]
		switch {
		case v.kelurahan || spec.setting == town:
			v.setting = town
		case spec.setting == coast:
			v.setting = spec.inland
			for _, c := range v.cells {
				if distToLineKm(g.centre[c], shoreline) < 2.0 {
					v.setting = coast
					break
				}
			}
		case spec.townKm > 0 && distKm(g.centre[v.seed], spec.centre) < spec.townKm:
			v.setting = town
		default:
			v.setting = spec.setting
		}
	}
}

// assignPopulation splits each district's people between its villages:
// kelurahan are dense, desa vary.
func (gy *geography) assignPopulation(rnd *rand.Rand) {
	total := 0.0
	for _, d := range districts {
		total += d.population
	}
	for d, spec := range districts {
		var idx []int
		sum := 0.0
		for i := range gy.villages {
			v := &gy.villages[i]
			if v.district != d {
				continue
			}
			w := 0.6 + 0.8*rnd.Float64()
			if v.kelurahan {
				w = 1.5 + 0.6*rnd.Float64()
			}
			v.pop = w
			sum += w
			idx = append(idx, i)
		}
		for _, i := range idx {
			gy.villages[i].pop *= spec.population / total / sum
		}
	}
}

// villageCells returns the H3 cells of a set of villages.
func (gy *geography) villageCells(vis ...int) []uint64 {
	var out []uint64
	for _, vi := range vis {
		for _, c := range gy.villages[vi].cells {
			out = append(out, gy.grid.cells[c])
		}
	}
	slices.Sort(out)
	return out
}

// digits is a village code without its dots, the prefix of household ids.
func digits(code string) string { return strings.ReplaceAll(code, ".", "") }

// polygons unions the cells of every village, district and zone.
func (gy *geography) polygons() (villages, districtPolys, zones []orb.MultiPolygon) {
	villages = make([]orb.MultiPolygon, len(gy.villages))
	for i := range gy.villages {
		villages[i] = geo.UnionCells(gy.villageCells(i))
	}
	districtPolys = make([]orb.MultiPolygon, len(districts))
	for d := range districts {
		cells := make([]uint64, len(gy.districtCells[d]))
		for k, c := range gy.districtCells[d] {
			cells[k] = gy.grid.cells[c]
		}
		districtPolys[d] = geo.UnionCells(cells)
	}
	zones = make([]orb.MultiPolygon, len(pilots))
	for p := range pilots {
		zones[p] = geo.UnionCells(gy.villageCells(gy.zones[p]...))
	}
	return villages, districtPolys, zones
}
