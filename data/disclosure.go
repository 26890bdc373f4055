package data

import (
	"cmp"
	"fmt"
	"slices"

	"labmap/geo"
)

// The disclosure rule. Public figures must not let anyone learn the count of
// fewer than k households, or of 1 to k-1 ill or disabled people, either
// from one figure or by subtracting published figures from each other.
//
// Every area is a node holding a few protected quantities: its households
// and, for each sensitive indicator, the counts it reveals (a count reveals
// its numerator; a rate reveals numerator, denominator and their
// difference, since rate × denominator gives the numerator). A quantity is
// hidden at a node by the primary rule (households under k hide the whole
// area; a sensitive quantity of 1..k-1 hides itself) and every indicator
// that reveals a hidden quantity is withheld, which may hide more.
//
// Complementary suppression then walks every partition of a published
// parent into children (district → villages, H3 cell → descendants, …): for
// each quantity the parent publishes, the hidden part (what parent minus
// published children recovers) must be empty, or at least k and spread over
// at least two hidden children with a non-zero count (a partition's rest —
// the households of a cell outside every zone — counts as one, and a rest
// of k or more alone is a group like any area). Otherwise the smallest
// published sibling (ties by code) is hidden too, and when none is left the
// parent's figure is. Hiding changes other partitions, so the walk repeats
// to a fixpoint. All of it is deterministic: both stores feed the same
// rows and get the same published set.

// quantity is sums[add] - sums[sub] (sub < 0: none).
type quantity struct{ add, sub int }

func (q quantity) of(sums *[NumMeasures]int64) int64 {
	v := sums[q.add]
	if q.sub >= 0 {
		v -= sums[q.sub]
	}
	return v
}

// protection lists the protected quantities (quantities[0] is households)
// and, per indicator, the bit set of quantities it reveals (zero for
// indicators that are not sensitive: they only need the area published).
type protection struct {
	quantities []quantity
	reveals    []uint32
	sensitive  uint32 // every quantity but households
}

const areaBit = 1

// rules is the protection the registry defines; computed once from the
// registry and never changed, like the registry itself.
var rules = newProtection()

func newProtection() *protection {
	p := &protection{quantities: []quantity{{MHouseholds, -1}}, reveals: make([]uint32, len(Indicators))}
	bit := func(q quantity) uint32 {
		i := slices.Index(p.quantities, q)
		if i < 0 {
			i = len(p.quantities)
			p.quantities = append(p.quantities, q)
		}
		return 1 << i
	}
	for i, ind := range Indicators {
		if !ind.Sensitive {
			continue
		}
		p.reveals[i] = bit(quantity{ind.Numerator, -1})
		if ind.Kind == KindRate {
			p.reveals[i] |= bit(quantity{ind.Denominator, -1}) | bit(quantity{ind.Denominator, ind.Numerator})
		}
	}
	p.sensitive = (uint32(1)<<len(p.quantities) - 1) &^ areaBit
	return p
}

// ProtectedMeasures lists the measures the disclosure rule reads: a store
// that loads a round's rows to decide what to publish needs only these.
func ProtectedMeasures() []int {
	var out []int
	for _, q := range rules.quantities {
		for _, m := range []int{q.add, q.sub} {
			if m >= 0 && !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	slices.Sort(out)
	return out
}

// RevealedCounts lists the counts a sensitive indicator reveals, each as a
// measure and a measure subtracted from it (-1 for none): a store that
// evaluates the primary rule in SQL writes one condition per count.
func RevealedCounts(indicator int) [][2]int {
	var out [][2]int
	for qi, q := range rules.quantities {
		if rules.reveals[indicator]&(1<<qi) != 0 {
			out = append(out, [2]int{q.add, q.sub})
		}
	}
	return out
}

// all is the mask of an area hidden whole.
func (p *protection) all() uint32 { return uint32(1)<<len(p.quantities) - 1 }

// primary is the mask the primary rule gives an area with these sums.
func (p *protection) primary(sums *[NumMeasures]int64, k int64) uint32 {
	if sums[MHouseholds] < k {
		return p.all()
	}
	return p.close(p.small(sums, k))
}

// small is the set of sensitive quantities of 1..k-1.
func (p *protection) small(sums *[NumMeasures]int64, k int64) uint32 {
	var m uint32
	for qi := 1; qi < len(p.quantities); qi++ {
		if v := p.quantities[qi].of(sums); v > 0 && v < k {
			m |= 1 << qi
		}
	}
	return m
}

// close withholds every indicator that reveals a hidden quantity and then
// hides every quantity no published indicator reveals any more, until
// nothing changes.
func (p *protection) close(m uint32) uint32 {
	if m&areaBit != 0 {
		return p.all()
	}
	for {
		var revealed uint32
		for _, r := range p.reveals {
			if r != 0 && r&m == 0 {
				revealed |= r
			}
		}
		next := m | p.sensitive&^revealed
		if next == m {
			return m
		}
		m = next
	}
}

// withheld reports whether indicator i is hidden under mask m.
func (p *protection) withheld(i int, m uint32) bool {
	return m&areaBit != 0 || p.reveals[i]&m != 0
}

// AreaSums is one area's measure sums at a round, an input of Protect.
// Parent is a village's district code and a regency's province code; other
// levels leave it empty.
type AreaSums struct {
	Code   string
	Parent string
	Sums   *[NumMeasures]int64
}

// RoundSums is every area of one round, as a store aggregates it: the input
// of the disclosure rule. Hexagons and ZoneHexagons are indexed by
// resolution minus geo.MinRes; ZoneHexagons holds each zone's own hexagons
// (its villages' households only), ZoneVillages each zone's village codes.
type RoundSums struct {
	// Total is the whole dataset: published as the province when the data
	// lie in one, and the sum of the provinces otherwise, so it is a parent
	// the public can always compute.
	Total        AreaSums
	Provinces    []AreaSums
	Regencies    []AreaSums
	Districts    []AreaSums
	Villages     []AreaSums
	Zones        []AreaSums
	ZoneVillages map[string][]string
	Hexagons     [len(geo.Resolutions)][]AreaSums
	ZoneHexagons map[string]*[len(geo.Resolutions)][]AreaSums
}

// AreaKey names one published row: a level, and for hexagons the resolution
// and the zone filter ("" for all households), since a zone's hexagons have
// figures of their own.
type AreaKey struct {
	Level Level
	Res   int
	Zone  string
	Code  string
}

// Disclosure is the outcome of the rule for one round: what complementary
// suppression hides beyond what NewAreaStats already hides. Publish applies
// it; both stores call it on every row they serve to the public.
type Disclosure struct {
	p *protection
	// extra holds the final mask of every row whose mask is more than the
	// primary rule gives.
	extra map[AreaKey]uint32
}

// Protect runs the disclosure rule over one round's areas with threshold k.
func Protect(rs *RoundSums, k int) (*Disclosure, error) {
	p := rules
	g := &graph{p: p, k: int64(k), index: map[AreaKey]int32{}}
	if err := g.build(rs); err != nil {
		return nil, err
	}
	g.run()
	d := &Disclosure{p: p, extra: map[AreaKey]uint32{}}
	for i := range g.nodes {
		n := &g.nodes[i]
		if n.mask != n.first {
			d.extra[n.key] = n.mask
		}
	}
	return d, nil
}

// Publish applies the rule to a row built by NewAreaStats (with the same k)
// for the query's resolution and zone; a nil Disclosure leaves the row as
// the primary rule made it. It returns false when the row must
// not be listed at all: a suppressed hexagon, whose cell alone would mark
// where fewer than k households live. For the analyst role the stores
// build rows with k = 0 and publish them through a nil Disclosure.
func (d *Disclosure) Publish(a *AreaStats, res int, zone string) bool {
	// A nil Disclosure is the primary rule alone (the stores' PrimaryOnly
	// option) or the analyst's view, where nothing is suppressed.
	if d != nil {
		d.apply(a, d.extra[keyOf(a.Level, res, zone, a.Code)])
	}
	return !a.Suppressed || ListsSuppressed(a.Level)
}

// apply hides what mask m hides of a row (nothing for a zero mask: the
// primary rule already made the row).
func (d *Disclosure) apply(a *AreaStats, m uint32) {
	switch {
	case m&areaBit != 0:
		a.Suppressed, a.Households, a.Values = true, 0, nil
	case m != 0:
		for i := range a.Values {
			if d.p.withheld(i, m) {
				a.Values[i] = Value{Withheld: true}
			}
		}
	}
}

// ListsSuppressed reports whether suppressed areas of level are listed
// (with no figures) or left out. Villages, districts and zones are listed:
// their outlines are public and the public knows them to exist. A
// suppressed hexagon is left out, since its cell alone would mark where
// fewer than k households live; so a store that pages in SQL must leave
// the same rows out there. It is the same for every audience and round.
func ListsSuppressed(level Level) bool {
	return level != LevelHexagon
}

// Hidden lists (nothing for a nil Disclosure), for one level (resolution and zone for hexagons), the codes
// of the areas complementary suppression hides although they have k
// households or more, and per indicator the codes where it withholds a
// figure the primary rule would publish: what a store that filters and
// sorts in SQL must treat as null.
func (d *Disclosure) Hidden(level Level, res int, zone string) (areas []string, indicators [][]string) {
	indicators = make([][]string, len(Indicators))
	if d == nil {
		return nil, indicators
	}
	want := keyOf(level, res, zone, "")
	for key, m := range d.extra {
		if key.Level != want.Level || key.Res != want.Res || key.Zone != want.Zone {
			continue
		}
		if m&areaBit != 0 {
			areas = append(areas, key.Code)
			continue
		}
		for i := range Indicators {
			if d.p.withheld(i, m) {
				indicators[i] = append(indicators[i], key.Code)
			}
		}
	}
	slices.Sort(areas)
	for i := range indicators {
		slices.Sort(indicators[i])
	}
	return areas, indicators
}

// levelTotal keys the whole dataset in the rule's graph; no row has it.
const levelTotal Level = ""

// keyOf is the key of a row: only hexagons differ by resolution and zone.
func keyOf(level Level, res int, zone, code string) AreaKey {
	if level != LevelHexagon {
		res, zone = 0, ""
	}
	return AreaKey{Level: level, Res: res, Zone: zone, Code: code}
}

// node is one area in the rule's graph.
type node struct {
	key   AreaKey
	vals  []int64 // protected quantities
	first uint32  // mask by the primary rule
	mask  uint32
}

// partition is a published parent split into children. rest, when not nil,
// is the part of the parent no child holds (the households of a cell outside
// every zone), always hidden. A partition by H3 ancestry has no rest: its
// children do not tile the parent exactly, and what is left is edge noise,
// not a group anyone can read.
type partition struct {
	parent   int32
	children []int32
	rest     []int64
}

type graph struct {
	p      *protection
	k      int64
	nodes  []node
	index  map[AreaKey]int32
	parts  []partition
	touch  [][]int32 // per node, the partitions it is in
	queued []bool
	queue  []int32
}

func (g *graph) add(key AreaKey, a AreaSums) int32 {
	n := node{key: key, vals: make([]int64, len(g.p.quantities))}
	for qi, q := range g.p.quantities {
		n.vals[qi] = q.of(a.Sums)
	}
	n.first = g.p.primary(a.Sums, g.k)
	n.mask = n.first
	g.nodes = append(g.nodes, n)
	id := int32(len(g.nodes) - 1)
	g.index[key] = id
	return id
}

// addAll adds areas in code order, so the graph does not depend on the
// order a store read them in.
func (g *graph) addAll(level Level, res int, zone string, areas []AreaSums) []int32 {
	areas = slices.Clone(areas)
	slices.SortFunc(areas, func(a, b AreaSums) int { return cmp.Compare(a.Code, b.Code) })
	ids := make([]int32, len(areas))
	for i, a := range areas {
		ids[i] = g.add(keyOf(level, res, zone, a.Code), a)
	}
	return ids
}

// partitionOf adds a partition; withRest computes its rest.
func (g *graph) partitionOf(parent int32, children []int32, withRest bool) {
	if len(children) == 0 && !withRest {
		return
	}
	pt := partition{parent: parent, children: children}
	if withRest {
		rest := slices.Clone(g.nodes[parent].vals)
		for _, c := range children {
			for qi := range rest {
				rest[qi] -= g.nodes[c].vals[qi]
			}
		}
		if slices.ContainsFunc(rest, func(v int64) bool { return v > 0 }) {
			pt.rest = rest
		}
	}
	if len(children) == 0 && pt.rest == nil {
		return
	}
	g.parts = append(g.parts, pt)
}

func (g *graph) build(rs *RoundSums) error {
	total := g.add(AreaKey{Level: levelTotal}, rs.Total)
	provinces := g.addAll(LevelProvince, 0, "", rs.Provinces)
	regencies := g.addAll(LevelRegency, 0, "", rs.Regencies)
	districts := g.addAll(LevelDistrict, 0, "", rs.Districts)
	villages := g.addAll(LevelVillage, 0, "", rs.Villages)
	zones := g.addAll(LevelZone, 0, "", rs.Zones)
	var hexes [len(geo.Resolutions)][]int32
	for r := range hexes {
		hexes[r] = g.addAll(LevelHexagon, geo.Resolutions[r], "", rs.Hexagons[r])
	}
	zoneIDs := make([]string, 0, len(rs.ZoneHexagons))
	for z := range rs.ZoneHexagons {
		zoneIDs = append(zoneIDs, z)
	}
	slices.Sort(zoneIDs)
	zoneHexes := make([][len(geo.Resolutions)][]int32, len(zoneIDs))
	for zi, z := range zoneIDs {
		for r := range zoneHexes[zi] {
			zoneHexes[zi][r] = g.addAll(LevelHexagon, geo.Resolutions[r], z, rs.ZoneHexagons[z][r])
		}
	}

	// The whole split into provinces and into hexagons, a province into its
	// regencies, a regency into its districts and into its villages.
	g.partitionOf(total, provinces, true)
	for r := range hexes {
		g.partitionOf(total, hexes[r], true)
	}
	byParent := func(children []int32, parentOf func(code string) string) map[string][]int32 {
		m := map[string][]int32{}
		for _, id := range children {
			p := parentOf(g.nodes[id].key.Code)
			m[p] = append(m[p], id)
		}
		return m
	}
	regenciesOf := byParent(regencies, ProvinceCodeOf)
	for _, p := range provinces {
		g.partitionOf(p, regenciesOf[g.nodes[p].key.Code], true)
	}
	districtsOf := byParent(districts, RegencyCodeOf)
	villagesOf := byParent(villages, RegencyCodeOf)
	for _, r := range regencies {
		g.partitionOf(r, districtsOf[g.nodes[r].key.Code], true)
		g.partitionOf(r, villagesOf[g.nodes[r].key.Code], true)
	}
	// A district into its villages.
	districtOf := make(map[string]string, len(rs.Villages))
	for _, v := range rs.Villages {
		districtOf[v.Code] = v.Parent
	}
	byDistrict := map[string][]int32{}
	for _, id := range villages {
		d := districtOf[g.nodes[id].key.Code]
		byDistrict[d] = append(byDistrict[d], id)
	}
	for _, d := range districts {
		g.partitionOf(d, byDistrict[g.nodes[d].key.Code], true)
	}
	// A zone into its villages and into its own hexagons.
	for _, z := range zones {
		code := g.nodes[z].key.Code
		var vs []int32
		codes := slices.Sorted(slices.Values(rs.ZoneVillages[code]))
		for _, vc := range slices.Compact(codes) {
			if id, ok := g.index[keyOf(LevelVillage, 0, "", vc)]; ok {
				vs = append(vs, id)
			}
		}
		g.partitionOf(z, vs, true)
		if zi, ok := slices.BinarySearch(zoneIDs, code); ok {
			for r := range zoneHexes[zi] {
				g.partitionOf(z, zoneHexes[zi][r], true)
			}
		}
	}
	// A cell into its descendants at every finer resolution, for all
	// households and for each zone's.
	if err := g.hexDescendants(hexes); err != nil {
		return err
	}
	for zi := range zoneHexes {
		if err := g.hexDescendants(zoneHexes[zi]); err != nil {
			return err
		}
	}
	// A cell into each zone's part of it and the households of no zone.
	for r := range hexes {
		for _, h := range hexes[r] {
			var parts []int32
			for _, z := range zoneIDs {
				if id, ok := g.index[keyOf(LevelHexagon, geo.Resolutions[r], z, g.nodes[h].key.Code)]; ok {
					parts = append(parts, id)
				}
			}
			if len(parts) > 0 {
				g.partitionOf(h, parts, true)
			}
		}
	}
	g.touch = make([][]int32, len(g.nodes))
	for pi, pt := range g.parts {
		g.touch[pt.parent] = append(g.touch[pt.parent], int32(pi))
		for _, c := range pt.children {
			g.touch[c] = append(g.touch[c], int32(pi))
		}
	}
	return nil
}

// hexDescendants adds, for every cell at resolution r, the partition into
// its H3 descendants at each finer resolution r'.
func (g *graph) hexDescendants(levels [len(geo.Resolutions)][]int32) error {
	cells := make([][]uint64, len(levels))
	for r, ids := range levels {
		cells[r] = make([]uint64, len(ids))
		for i, id := range ids {
			c, err := geo.ParseCell(g.nodes[id].key.Code)
			if err != nil {
				return fmt.Errorf("disclosure: hexagon at res %d: %w", geo.Resolutions[r], err)
			}
			cells[r][i] = c
		}
	}
	for r := range levels {
		pos := make(map[uint64]int32, len(cells[r]))
		for i, c := range cells[r] {
			pos[c] = levels[r][i]
		}
		for fine := r + 1; fine < len(levels); fine++ {
			children := map[int32][]int32{}
			for i, c := range cells[fine] {
				if p, ok := pos[geo.CellParent(c, geo.Resolutions[r])]; ok {
					children[p] = append(children[p], levels[fine][i])
				}
			}
			for _, p := range levels[r] {
				g.partitionOf(p, children[p], false)
			}
		}
	}
	return nil
}

func (g *graph) hidden(n int32, qi int) bool { return g.nodes[n].mask&(1<<qi) != 0 }

// hide hides quantity qi at node n (the whole area for households) and
// queues every partition the change may break.
func (g *graph) hide(n int32, qi int) {
	nd := &g.nodes[n]
	m := g.p.close(nd.mask | 1<<qi)
	if m == nd.mask {
		return
	}
	nd.mask = m
	for _, pi := range g.touch[n] {
		g.push(pi)
	}
}

func (g *graph) push(pi int32) {
	if !g.queued[pi] {
		g.queued[pi] = true
		g.queue = append(g.queue, pi)
	}
}

// run checks every partition, in a fixed order, until none needs more
// hiding.
func (g *graph) run() {
	g.queued = make([]bool, len(g.parts))
	for pi := range g.parts {
		g.push(int32(pi))
	}
	for len(g.queue) > 0 {
		pi := g.queue[0]
		g.queue = g.queue[1:]
		g.queued[pi] = false
		for qi := range g.p.quantities {
			g.check(&g.parts[pi], qi)
		}
	}
}

// check enforces the rule for quantity qi on one partition.
func (g *graph) check(pt *partition, qi int) {
	if g.hidden(pt.parent, qi) {
		return
	}
	count, sum := 0, int64(0)
	if pt.rest != nil && pt.rest[qi] > 0 {
		count, sum = 1, pt.rest[qi]
	}
	cells := 0 // hidden children, without the rest
	for _, c := range pt.children {
		if v := g.nodes[c].vals[qi]; v > 0 && g.hidden(c, qi) {
			count++
			cells++
			sum += v
		}
	}
	// A rest of k or more alone is a group like any published area, not a
	// hidden cell, so it needs no company.
	for count > 0 && (sum < g.k || (count < 2 && cells > 0)) {
		best := int32(-1)
		for _, c := range pt.children {
			v := g.nodes[c].vals[qi]
			if v <= 0 || g.hidden(c, qi) {
				continue
			}
			if best < 0 || v < g.nodes[best].vals[qi] || (v == g.nodes[best].vals[qi] && g.nodes[c].key.Code < g.nodes[best].key.Code) {
				best = c
			}
		}
		if best < 0 {
			g.hide(pt.parent, qi)
			return
		}
		g.hide(best, qi)
		count++
		cells++
		sum += g.nodes[best].vals[qi]
		if g.hidden(pt.parent, qi) {
			return
		}
	}
}

// AreaMask is one row's outcome of the rule beyond the primary rule: what
// a store keeps so that the rule need not run again (see Masks).
type AreaMask struct {
	Key  AreaKey
	Mask uint32
}

// Masks lists the outcome in key order; DisclosureOf turns it back into
// the same Disclosure. Nil for a nil Disclosure.
func (d *Disclosure) Masks() []AreaMask {
	if d == nil {
		return nil
	}
	out := make([]AreaMask, 0, len(d.extra))
	for k, m := range d.extra {
		out = append(out, AreaMask{k, m})
	}
	slices.SortFunc(out, func(a, b AreaMask) int {
		return cmp.Or(cmp.Compare(a.Key.Level, b.Key.Level), cmp.Compare(a.Key.Res, b.Key.Res),
			cmp.Compare(a.Key.Zone, b.Key.Zone), cmp.Compare(a.Key.Code, b.Key.Code))
	})
	return out
}

// DisclosureOf rebuilds the Disclosure whose Masks are ms, under this
// build's rule: ms must come from Masks of the same indicator registry.
func DisclosureOf(ms []AreaMask) *Disclosure {
	d := &Disclosure{p: rules, extra: make(map[AreaKey]uint32, len(ms))}
	for _, m := range ms {
		d.extra[keyOf(m.Key.Level, m.Key.Res, m.Key.Zone, m.Key.Code)] = m.Mask
	}
	return d
}

// MovedMasks lists the rows whose outcome differs between two outcomes of
// the rule for the same round: what an import changed beyond its own rows.
func MovedMasks(a, b *Disclosure) []AreaKey {
	var out []AreaKey
	for k, m := range a.extra {
		if b.extra[k] != m {
			out = append(out, k)
		}
	}
	for k := range b.extra {
		if _, ok := a.extra[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}
