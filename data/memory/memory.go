// Package memory is the in-memory data.Store, the embedded default: it
// aggregates every registry indicator in Go when a dataset is loaded and then
// answers queries from those aggregates.
package memory

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"labmap/cache"
	"labmap/data"
	"labmap/geo"

	"github.com/paulmach/orb"
)

var _ data.Store = (*Store)(nil)

// Options configures a memory store.
type Options struct {
	// MinHouseholds is the suppression threshold k; zero means data.DefaultMinHouseholds.
	MinHouseholds int
	// PrimaryOnly turns complementary suppression off: only areas under k
	// households and sensitive counts of 1..k-1 are hidden, so differences
	// between published figures can reveal hidden ones. For fixtures too
	// small to publish anything otherwise; never for a public server.
	PrimaryOnly bool
	// MaxHouseholds is the most household rows (all rounds together) the
	// store accepts; zero means DefaultMaxHouseholds, negative no limit.
	MaxHouseholds int
}

// DefaultMaxHouseholds bounds the memory store: the full Pekalongan demo
// (300,000 households x 3 rounds) peaks at about 520 MB RSS when loaded,
// so 2,000,000 rows stay near 1.2 GB before any request. A larger dataset
// belongs in PostGIS, whose memory does not grow with it.
const DefaultMaxHouseholds = 2_000_000

// ErrTooLarge says a dataset exceeds the memory store's MaxHouseholds.
var ErrTooLarge = errors.New("dataset too large for the in-memory store")

// Store holds one aggregated dataset and swaps it atomically on Replace, so
// queries never see a half-built dataset.
type Store struct {
	k       int
	primary bool // Options.PrimaryOnly
	max     int  // Options.MaxHouseholds, resolved
	state   atomic.Pointer[state]
	version atomic.Int64
	lists   *cache.Bounded[listKey, *featureList]
	// fillHook, when set (by tests), runs at the start of every feature
	// list build, on the build's own context.
	fillHook func(ctx context.Context)
}

// acc accumulates the measures of one area at one round.
type acc struct {
	sums   [data.NumMeasures]int64
	causes map[string]int64 // causes of poverty among the area's poor households
}

func (a *acc) add(h *data.Household, m *[data.NumMeasures]int64) {
	for i := range m {
		a.sums[i] += m[i]
	}
	if h.Status.IsPoor() && len(h.Causes) > 0 {
		if a.causes == nil {
			a.causes = make(map[string]int64, 4)
		}
		for _, c := range h.Causes {
			a.causes[c]++
		}
	}
}

// roundAggs holds every area's accumulator for one round.
type roundAggs struct {
	total     acc // the whole dataset, for the disclosure rule
	provinces []acc
	regencies []acc
	districts []acc
	villages  []acc
	zones     []acc
	hexes     [len(geo.Resolutions)]map[uint64]*acc
	// zoneHexes holds, per zone, the H3 cells of the households of the
	// zone's villages: a hexagon's figures for a zone count only those
	// households, and a cell that straddles the zone's edge is in it.
	zoneHexes [][len(geo.Resolutions)]map[uint64]*acc
}

type state struct {
	region    data.Region
	provinces []data.AdminArea
	regencies []data.AdminArea
	// villageRegency and regencyProvince are positions in regencies and
	// provinces.
	villageRegency  []int
	regencyProvince []int
	villages        []data.Village
	villageIdx      map[string]int
	districts       []data.District
	districtIdx     map[string]int
	zones           []data.Zone
	zoneIdx         map[string]int
	// villageZones lists, per village, the positions of the zones it belongs to.
	villageZones [][]int
	// cells holds the outline of every H3 cell that has households.
	cells map[uint64]*cellInfo
	// bounds of every area with an outline, for map queries.
	villageBounds, districtBounds, zoneBounds, regencyBounds, provinceBounds []orb.Bound
	extent                                                                   orb.Bound
	rounds                                                                   []data.RoundInfo
	aggs                                                                     []roundAggs // indexed like rounds
	householdIDs                                                             int
	// disclosures holds each round's outcome of the disclosure rule,
	// decided on first use (indexed like rounds).
	disclosures []disclosure
}

// disclosure is one round's data.Disclosure, built once.
type disclosure struct {
	once sync.Once
	d    *data.Disclosure
	err  error
}

// disclosure runs the disclosure rule over round ri's areas the first time
// the round is asked for: every level of the round is decided together,
// since hiding a village may hide a district's other village or a hexagon.
func (st *state) disclosure(ri, k int) (*data.Disclosure, error) {
	e := &st.disclosures[ri]
	e.once.Do(func() {
		ra := &st.aggs[ri]
		rs := &data.RoundSums{
			Total:        data.AreaSums{Sums: &ra.total.sums},
			ZoneVillages: map[string][]string{},
			ZoneHexagons: map[string]*[len(geo.Resolutions)][]data.AreaSums{},
		}
		for i, p := range st.provinces {
			rs.Provinces = append(rs.Provinces, data.AreaSums{Code: p.Code, Sums: &ra.provinces[i].sums})
		}
		for i, r := range st.regencies {
			rs.Regencies = append(rs.Regencies, data.AreaSums{Code: r.Code, Parent: data.ProvinceCodeOf(r.Code), Sums: &ra.regencies[i].sums})
		}
		for i, d := range st.districts {
			rs.Districts = append(rs.Districts, data.AreaSums{Code: d.Code, Sums: &ra.districts[i].sums})
		}
		for i, v := range st.villages {
			rs.Villages = append(rs.Villages, data.AreaSums{Code: v.Code, Parent: v.DistrictCode, Sums: &ra.villages[i].sums})
		}
		hexes := func(m map[uint64]*acc) []data.AreaSums {
			out := make([]data.AreaSums, 0, len(m))
			for c, a := range m {
				out = append(out, data.AreaSums{Code: geo.CellString(c), Sums: &a.sums})
			}
			return out
		}
		for r := range ra.hexes {
			rs.Hexagons[r] = hexes(ra.hexes[r])
		}
		for zi, z := range st.zones {
			rs.Zones = append(rs.Zones, data.AreaSums{Code: z.ID, Sums: &ra.zones[zi].sums})
			rs.ZoneVillages[z.ID] = z.VillageCodes
			var zh [len(geo.Resolutions)][]data.AreaSums
			for r := range zh {
				zh[r] = hexes(ra.zoneHexes[zi][r])
			}
			rs.ZoneHexagons[z.ID] = &zh
		}
		e.d, e.err = data.Protect(rs, k)
	})
	return e.d, e.err
}

// New aggregates a dataset that data.CheckDataset has accepted: every
// household has its village code and baseline status.
func New(ds data.Dataset, opt Options) (*Store, error) {
	s := &Store{k: opt.MinHouseholds, primary: opt.PrimaryOnly, max: opt.MaxHouseholds, lists: newFeatureLists()}
	if s.k <= 0 {
		s.k = data.DefaultMinHouseholds
	}
	if s.max == 0 {
		s.max = DefaultMaxHouseholds
	}
	if err := s.Replace(ds); err != nil {
		return nil, err
	}
	return s, nil
}

// Replace swaps in a new dataset and bumps the dataset version. Queries in
// flight finish on the old one.
func (s *Store) Replace(ds data.Dataset) error {
	if s.max > 0 && len(ds.Households) > s.max {
		return fmt.Errorf("memory store: %w: %d household rows across the rounds, the limit is %d (about 0.6 KB each); "+
			"import it into PostGIS (labmap migrate, labmap import) and serve it with --database-url", ErrTooLarge, len(ds.Households), s.max)
	}
	st, err := build(ds)
	if err != nil {
		return fmt.Errorf("memory store: %w", err)
	}
	s.state.Store(st)
	s.version.Add(1)
	return nil
}

func build(ds data.Dataset) (*state, error) {
	region := data.RegionOf(ds.Region, ds.Villages)
	regencies, provinces, err := data.AdminAreas(region, ds.Districts)
	if err != nil {
		return nil, err
	}
	st := &state{
		region:      region,
		regencies:   regencies,
		provinces:   provinces,
		villages:    ds.Villages,
		villageIdx:  make(map[string]int, len(ds.Villages)),
		districts:   ds.Districts,
		districtIdx: make(map[string]int, len(ds.Districts)),
		zones:       ds.Zones,
		zoneIdx:     make(map[string]int, len(ds.Zones)),
	}
	regencyIdx := make(map[string]int, len(regencies))
	for i, r := range regencies {
		regencyIdx[r.Code] = i
		st.regencyProvince = append(st.regencyProvince, slices.IndexFunc(provinces, func(p data.AdminArea) bool {
			return p.Code == data.ProvinceCodeOf(r.Code)
		}))
	}
	st.villageRegency = make([]int, len(ds.Villages))
	for i, v := range ds.Villages {
		st.villageIdx[v.Code] = i
		ri, ok := regencyIdx[data.RegencyCodeOf(v.DistrictCode)]
		if !ok {
			return nil, fmt.Errorf("village %s: its regency has no district in the dataset", v.Code)
		}
		st.villageRegency[i] = ri
	}
	for i, d := range ds.Districts {
		st.districtIdx[d.Code] = i
	}
	st.villageZones = make([][]int, len(ds.Villages))
	for zi, z := range ds.Zones {
		st.zoneIdx[z.ID] = zi
		for _, code := range z.VillageCodes {
			if vi, ok := st.villageIdx[code]; ok {
				st.villageZones[vi] = append(st.villageZones[vi], zi)
			}
		}
	}

	roundPos := map[data.Round]int{}
	var rounds []data.Round
	for i := range ds.Households {
		r := ds.Households[i].Round
		if _, ok := roundPos[r]; !ok {
			roundPos[r] = 0
			rounds = append(rounds, r)
		}
	}
	slices.Sort(rounds)
	for i, r := range rounds {
		roundPos[r] = i
		st.rounds = append(st.rounds, data.RoundInfo{Round: r, Baseline: i == 0})
	}

	cells := householdCells(ds.Households)
	st.aggs = make([]roundAggs, len(rounds))
	for i := range st.aggs {
		st.aggs[i].provinces = make([]acc, len(provinces))
		st.aggs[i].regencies = make([]acc, len(regencies))
		st.aggs[i].districts = make([]acc, len(ds.Districts))
		st.aggs[i].villages = make([]acc, len(ds.Villages))
		st.aggs[i].zones = make([]acc, len(ds.Zones))
		for r := range st.aggs[i].hexes {
			st.aggs[i].hexes[r] = make(map[uint64]*acc)
		}
		st.aggs[i].zoneHexes = make([][len(geo.Resolutions)]map[uint64]*acc, len(ds.Zones))
		for zi := range st.aggs[i].zoneHexes {
			for r := range st.aggs[i].zoneHexes[zi] {
				st.aggs[i].zoneHexes[zi][r] = make(map[uint64]*acc)
			}
		}
	}
	ids := make(map[string]struct{}, len(ds.Households)/max(len(rounds), 1))
	var m [data.NumMeasures]int64
	for i := range ds.Households {
		h := &ds.Households[i]
		vi, ok := st.villageIdx[h.VillageCode]
		if !ok {
			return nil, fmt.Errorf("household %s round %s: village %q is not in the dataset", h.ID, h.Round, h.VillageCode)
		}
		ri := roundPos[h.Round]
		ra := &st.aggs[ri]
		st.rounds[ri].Households++
		ids[h.ID] = struct{}{}
		for mi := range data.Measures {
			m[mi] = data.Measures[mi].Value(h)
		}
		ra.total.add(h, &m)
		ra.regencies[st.villageRegency[vi]].add(h, &m)
		ra.provinces[st.regencyProvince[st.villageRegency[vi]]].add(h, &m)
		ra.villages[vi].add(h, &m)
		if di, ok := st.districtIdx[st.villages[vi].DistrictCode]; ok {
			ra.districts[di].add(h, &m)
		}
		for _, zi := range st.villageZones[vi] {
			ra.zones[zi].add(h, &m)
			for r := range geo.Resolutions {
				cellAcc(ra.zoneHexes[zi][r], cells[i][r]).add(h, &m)
			}
		}
		for r := range geo.Resolutions {
			cellAcc(ra.hexes[r], cells[i][r]).add(h, &m)
		}
	}
	st.householdIDs = len(ids)
	st.disclosures = make([]disclosure, len(rounds))
	st.cells = cellInfos(st)
	st.villageBounds = bounds(len(ds.Villages), func(i int) orb.MultiPolygon { return ds.Villages[i].Geometry })
	st.districtBounds = bounds(len(ds.Districts), func(i int) orb.MultiPolygon { return ds.Districts[i].Geometry })
	st.zoneBounds = bounds(len(ds.Zones), func(i int) orb.MultiPolygon { return ds.Zones[i].Geometry })
	st.regencyBounds = bounds(len(regencies), func(i int) orb.MultiPolygon { return regencies[i].Geometry })
	st.provinceBounds = bounds(len(provinces), func(i int) orb.MultiPolygon { return provinces[i].Geometry })
	for i, b := range st.villageBounds {
		if i == 0 {
			st.extent = b
		} else {
			st.extent = st.extent.Union(b)
		}
	}
	return st, nil
}

func bounds(n int, geom func(int) orb.MultiPolygon) []orb.Bound {
	out := make([]orb.Bound, n)
	for i := range out {
		if g := geom(i); len(g) > 0 {
			out[i] = g.Bound()
		}
	}
	return out
}

// cellAcc is the accumulator of cell c in m, added when missing.
func cellAcc(m map[uint64]*acc, c uint64) *acc {
	a := m[c]
	if a == nil {
		a = &acc{}
		m[c] = a
	}
	return a
}

// cellInfo is what maps need of an H3 cell beyond its figures.
type cellInfo struct {
	outline orb.MultiPolygon
	bound   orb.Bound
}

// householdCells computes every household's H3 cells on all cores, once per
// distinct location: a household keeps its point across rounds, and this is
// the one step of loading that calls into C per row.
func householdCells(hs []data.Household) []geo.CellSet {
	pos := make(map[orb.Point]int32, len(hs)/2)
	which := make([]int32, len(hs))
	var uniq []orb.Point
	for i := range hs {
		j, ok := pos[hs[i].Loc]
		if !ok {
			j = int32(len(uniq))
			pos[hs[i].Loc] = j
			uniq = append(uniq, hs[i].Loc)
		}
		which[i] = j
	}
	cells := make([]geo.CellSet, len(uniq))
	workers := runtime.GOMAXPROCS(0)
	chunk := (len(uniq) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(uniq))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				cells[i] = geo.Cells(uniq[i])
			}
		}()
	}
	wg.Wait()
	out := make([]geo.CellSet, len(hs))
	for i, j := range which {
		out[i] = cells[j]
	}
	return out
}

// cellInfos builds the outline of every H3 cell that has households: the
// whole cell, also where a zone's households fill only part of it.
func cellInfos(st *state) map[uint64]*cellInfo {
	out := make(map[uint64]*cellInfo)
	for ri := range st.aggs {
		for r := range st.aggs[ri].hexes {
			for c := range st.aggs[ri].hexes[r] {
				if _, done := out[c]; done {
					continue
				}
				outline := orb.MultiPolygon{geo.CellPolygon(c)}
				out[c] = &cellInfo{outline: outline, bound: outline.Bound()}
			}
		}
	}
	return out
}

// Status reports the store kind, dataset version, number of households and
// the dataset's region.
func (s *Store) Status(ctx context.Context) (data.Status, error) {
	st := s.state.Load()
	return data.Status{Store: "memory", DatasetVersion: s.version.Load(), Households: st.householdIDs, Region: st.region}, nil
}

// Rounds lists the survey rounds, oldest first.
func (s *Store) Rounds(ctx context.Context) ([]data.RoundInfo, error) {
	return slices.Clone(s.state.Load().rounds), nil
}

// Zones lists the lab zones.
func (s *Store) Zones(ctx context.Context) ([]data.Zone, error) {
	return slices.Clone(s.state.Load().zones), nil
}

// Close releases nothing; the memory store holds no outside resources.
func (s *Store) Close() error { return nil }

// Stats answers one level's aggregates at one round, optionally only for the
// areas of one lab zone.
func (s *Store) Stats(ctx context.Context, q data.StatsQuery) ([]data.AreaStats, error) {
	areas, err := s.collect(ctx, q, nil)
	if err != nil {
		return nil, err
	}
	return data.StatsOf(areas), nil
}

// Areas answers like Stats, with outlines, for the areas whose bounding box
// meets q.Bound.
func (s *Store) Areas(ctx context.Context, q data.AreaQuery) ([]data.Area, error) {
	return s.collect(ctx, q.StatsQuery, &q.Bound)
}

// Extent is the bounding box of all villages.
func (s *Store) Extent(ctx context.Context) (orb.Bound, error) {
	return s.state.Load().extent, nil
}

// Version is the dataset version; Replace bumps it.
func (s *Store) Version(ctx context.Context) (int64, error) {
	return s.version.Load(), nil
}

// collect evaluates the areas of one level and round. With a bound it keeps
// only the areas with an outline whose box meets it, and returns the outlines.
func (s *Store) collect(ctx context.Context, q data.StatsQuery, bound *orb.Bound) ([]data.Area, error) {
	areas, _, err := s.collectZones(ctx, q, bound)
	return areas, err
}

// collectZones is collect that also returns, per area, the id of its first
// lab zone ("" for none): the "zone" queryable of OGC API filters.
func (s *Store) collectZones(ctx context.Context, q data.StatsQuery, bound *orb.Bound) ([]data.Area, []string, error) {
	st := s.state.Load()
	ri, err := st.roundIndex(q.Round)
	if err != nil {
		return nil, nil, err
	}
	round := st.rounds[ri].Round
	var disc *data.Disclosure
	k := s.k
	if q.Unsuppressed {
		k = 0
	} else if !s.primary {
		if disc, err = st.disclosure(ri, s.k); err != nil {
			return nil, nil, err
		}
	}
	zi := -1
	if q.Zone != "" {
		var ok bool
		if zi, ok = st.zoneIdx[q.Zone]; !ok {
			return nil, nil, fmt.Errorf("%w: zone %q is not in the dataset", data.ErrInvalidQuery, q.Zone)
		}
	}
	ra := &st.aggs[ri]
	var out []data.Area
	var zones []string
	firstZone := func(zs []int) string {
		if len(zs) == 0 {
			return ""
		}
		return st.zones[slices.Min(zs)].ID
	}
	zone := ""
	var memberOf []string // the area's zone ids, in zone order
	zoneIDs := func(zs []int) []string {
		if len(zs) == 0 {
			return nil
		}
		zs = slices.Compact(slices.Sorted(slices.Values(zs)))
		ids := make([]string, len(zs))
		for i, z := range zs {
			ids[i] = st.zones[z].ID
		}
		return ids
	}
	emit := func(level data.Level, code, name, parent string, a *acc, outline orb.MultiPolygon, b orb.Bound) {
		if bound != nil {
			if len(outline) == 0 || !bound.Intersects(b) {
				return
			}
		} else {
			outline = nil
		}
		stats := data.NewAreaStats(level, code, name, parent, round, &a.sums, data.DominantCause(a.causes), k)
		if !disc.Publish(&stats, q.Res, q.Zone) {
			return
		}
		out = append(out, data.Area{
			AreaStats: stats,
			Geometry:  outline,
			Zones:     memberOf,
		})
		zones = append(zones, zone)
	}
	switch q.Level {
	case data.LevelProvince, data.LevelRegency:
		areas, accs, bounds, parentOf := st.provinces, ra.provinces, st.provinceBounds, func(string) string { return "" }
		if q.Level == data.LevelRegency {
			areas, accs, bounds, parentOf = st.regencies, ra.regencies, st.regencyBounds, data.ProvinceCodeOf
		}
		areaZones := st.zonesBy(func(v *data.Village) string {
			if q.Level == data.LevelRegency {
				return data.RegencyCodeOf(v.Code)
			}
			return data.ProvinceCodeOf(v.Code)
		})
		for i, a := range areas {
			if zi < 0 || slices.Contains(areaZones[a.Code], zi) {
				zone, memberOf = firstZone(areaZones[a.Code]), zoneIDs(areaZones[a.Code])
				emit(q.Level, a.Code, a.Name.ID, parentOf(a.Code), &accs[i], a.Geometry, bounds[i])
			}
		}
	case data.LevelDistrict:
		districtZones := st.zonesBy(func(v *data.Village) string { return v.DistrictCode })
		for di, d := range st.districts {
			if zi < 0 || slices.Contains(districtZones[d.Code], zi) {
				zone, memberOf = firstZone(districtZones[d.Code]), zoneIDs(districtZones[d.Code])
				emit(data.LevelDistrict, d.Code, d.Name, data.RegencyCodeOf(d.Code), &ra.districts[di], d.Geometry, st.districtBounds[di])
			}
		}
	case data.LevelVillage:
		for vi, v := range st.villages {
			if zi < 0 || slices.Contains(st.villageZones[vi], zi) {
				zone, memberOf = firstZone(st.villageZones[vi]), zoneIDs(st.villageZones[vi])
				emit(data.LevelVillage, v.Code, v.Name, v.DistrictCode, &ra.villages[vi], v.Geometry, st.villageBounds[vi])
			}
		}
	case data.LevelZone:
		for i, z := range st.zones {
			if zi < 0 || i == zi {
				zone, memberOf = z.ID, []string{z.ID}
				emit(data.LevelZone, z.ID, z.Name, string(z.Kind), &ra.zones[i], z.Geometry, st.zoneBounds[i])
			}
		}
	case data.LevelHexagon:
		if q.Res < geo.MinRes || q.Res > geo.MaxRes {
			return nil, nil, fmt.Errorf("%w: H3 resolution %d is not aggregated (use %d to %d)", data.ErrInvalidQuery, q.Res, geo.MinRes, geo.MaxRes)
		}
		r := q.Res - geo.MinRes
		hexes := ra.hexes[r]
		if zi >= 0 {
			hexes = ra.zoneHexes[zi][r]
		}
		n := 0
		for c, a := range hexes {
			// Hexagons are the many areas: a build nobody waits for stops.
			if n++; n%1024 == 0 && ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			info := st.cells[c]
			if bound != nil && !bound.Intersects(info.bound) {
				continue
			}
			code := geo.CellString(c)
			// The hexagon's lab zone is the first zone, by zone order,
			// with households in the cell at this round.
			zone, memberOf = "", nil
			for zj := range ra.zoneHexes {
				if ra.zoneHexes[zj][r][c] != nil {
					memberOf = append(memberOf, st.zones[zj].ID)
				}
			}
			if len(memberOf) > 0 {
				zone = memberOf[0]
			}
			emit(data.LevelHexagon, code, code, "", a, info.outline, info.bound)
		}
	default:
		return nil, nil, fmt.Errorf("%w: level %q is not one of %v", data.ErrInvalidQuery, q.Level, data.Levels)
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return out[idx[i]].Code < out[idx[j]].Code })
	sorted, sortedZones := make([]data.Area, len(out)), make([]string, len(out))
	for i, j := range idx {
		sorted[i], sortedZones[i] = out[j], zones[j]
	}
	return sorted, sortedZones, nil
}

// zonesBy gathers the zone positions of the villages under each key of an
// area above them (their district, regency or province).
func (st *state) zonesBy(key func(v *data.Village) string) map[string][]int {
	out := map[string][]int{}
	for vi, zs := range st.villageZones {
		k := key(&st.villages[vi])
		out[k] = append(out[k], zs...)
	}
	return out
}

func (st *state) roundIndex(r data.Round) (int, error) {
	if len(st.rounds) == 0 {
		return 0, fmt.Errorf("%w: the dataset has no rounds", data.ErrInvalidQuery)
	}
	if r == "" {
		return len(st.rounds) - 1, nil
	}
	for i, ri := range st.rounds {
		if ri.Round == r {
			return i, nil
		}
	}
	avail := make([]string, len(st.rounds))
	for i, ri := range st.rounds {
		avail[i] = string(ri.Round)
	}
	return 0, fmt.Errorf("%w: round %s is not in the dataset (rounds: %v)", data.ErrInvalidQuery, r, avail)
}
