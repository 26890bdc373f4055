package demo

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"

	"labmap/data"
)

// sim holds what every village's households share. Once the workers start
// it is read-only, except out, where each worker writes only the rows of its
// own villages.
type sim struct {
	gy       *geography
	opt      Options
	rounds   []data.Round
	start    []int // first household of each village; start[len] = total
	baseline []data.PovertyStatus
	labLift  []bool // lab households chosen to be lifted by the last round
	names    headNames
	causes   causeSets
	programs programSets
	out      []data.Household
}

// simulate generates opt.Households households in every round, laid out
// round by round, each round in village code order.
func simulate(gy *geography, opt Options) []data.Household {
	s := &sim{gy: gy, opt: opt, rounds: RoundDates(opt.Rounds), names: newHeadNames(),
		causes: newCauseSets(), programs: newProgramSets()}
	n := opt.Households

	pops := make([]float64, len(gy.villages))
	for i, v := range gy.villages {
		pops[i] = v.pop
	}
	counts := allocate(n, pops, nil)
	s.start = make([]int, len(counts)+1)
	for i, c := range counts {
		s.start[i+1] = s.start[i] + c
	}
	s.baselineStatus(counts)
	s.chooseLabLifts()

	s.out = make([]data.Household, n*len(s.rounds))
	var next atomic.Int64
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), len(gy.villages))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				v := int(next.Add(1) - 1)
				if v >= len(gy.villages) {
					return
				}
				s.village(v)
			}
		}()
	}
	wg.Wait()
	return s.out
}

// allocate splits total into integer parts proportional to weights (largest
// remainder, ties to the lower index), never giving part i more than cap[i].
func allocate(total int, weights []float64, caps []int) []int {
	out := make([]int, len(weights))
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	if sum <= 0 || total <= 0 {
		return out
	}
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, 0, len(weights))
	given := 0
	for i, w := range weights {
		x := float64(total) * w / sum
		k := int(math.Floor(x))
		if caps != nil {
			k = min(k, caps[i])
		}
		out[i] = k
		given += k
		rems = append(rems, rem{i, x - float64(k)})
	}
	slices.SortStableFunc(rems, func(a, b rem) int {
		switch {
		case a.r > b.r:
			return -1
		case a.r < b.r:
			return 1
		}
		return 0
	})
	for given < total {
		progressed := false
		for _, r := range rems {
			if given == total {
				break
			}
			if caps != nil && out[r.i] >= caps[r.i] {
				continue
			}
			out[r.i]++
			given++
			progressed = true
		}
		if !progressed {
			break
		}
	}
	return out
}

// baselineStatus decides who is poor in December 2017. The regency's poor
// are exactly the published 12.6% (up to rounding), spread over villages by
// their settings; within a village the poor are a random draw.
func (s *sim) baselineStatus(counts []int) {
	gy := s.gy
	s.baseline = make([]data.PovertyStatus, s.start[len(counts)])
	rates := make([]float64, len(counts))
	weights := make([]float64, len(counts))
	for v := range counts {
		rnd := newRand(s.opt.Seed, streamBaseline, uint64(v))
		rates[v] = profiles[gy.villages[v].setting].poverty * (0.7 + 0.6*rnd.Float64())
		weights[v] = rates[v] * float64(counts[v])
	}
	target := 0.0
	if rate := gy.plan.povertyRate; rate > 0 {
		target = rate * float64(s.start[len(counts)])
	} else {
		// Uncalibrated: as many poor as the settings' own rates give.
		for _, w := range weights {
			target += w
		}
	}
	poor := allocate(int(math.Round(target)), weights, counts)
	for v, n := range counts {
		rnd := newRand(s.opt.Seed, streamBaseline, uint64(v))
		rnd.Float64() // the village's rate factor, drawn above
		p := profiles[gy.villages[v].setting]
		vulnerable := p.vulnerable / (1 - p.poverty)
		order := rnd.Perm(n)
		for k, hh := range order {
			st := data.NonPoor
			switch {
			case k < poor[v] && rnd.Float64() < p.extreme:
				st = data.Extreme
			case k < poor[v]:
				st = data.Poor
			case rnd.Float64() < vulnerable:
				st = data.Vulnerable
			}
			s.baseline[s.start[v]+hh] = st
		}
	}
}

// chooseLabLifts picks exactly labLiftShare of each lab's baseline poor to
// be out of poverty by the last round, so the labs' headline figure does not
// wobble with the sample size.
func (s *sim) chooseLabLifts() {
	s.labLift = make([]bool, len(s.baseline))
	if len(s.rounds) < 2 {
		return
	}
	for p := range s.gy.plan.pilots {
		var poor []int
		for _, v := range s.gy.zones[p] {
			for h := s.start[v]; h < s.start[v+1]; h++ {
				if s.baseline[h].IsPoor() {
					poor = append(poor, h)
				}
			}
		}
		rnd := newRand(s.opt.Seed, streamLabs, uint64(p))
		rnd.Shuffle(len(poor), func(i, j int) { poor[i], poor[j] = poor[j], poor[i] })
		for _, h := range poor[:int(math.Round(labLiftShare*float64(len(poor))))] {
			s.labLift[h] = true
		}
	}
}

// household is one household's state as it moves through the rounds.
type household struct {
	status, saved data.PovertyStatus
	members       int
	school, out   int
	ill, treated  int
	disab, helped int
	rtlh          bool
	repaired      bool
	latrine       data.Latrine
	water         string
	power         bool
	sticky        uint16 // programmes that stay once given: rtlh, jamban, kudu_sekolah
	female        bool
	causes        [3]uint8 // ordered, most telling first
	nCauses       int
	// Fixed draws that keep a household's decile and programme enrolment
	// stable while its circumstances do not change.
	uDecile, uPKH, uBPNT, uPBI, uKIP, uBLT, uCause float64
}

// village generates every round of one village's households into s.out.
func (s *sim) village(vi int) {
	gy := s.gy
	v := &gy.villages[vi]
	prof := &profiles[v.setting]
	lab := v.zone >= 0
	rnd := newRand(s.opt.Seed, streamHouseholds, uint64(vi))
	nRounds := len(s.rounds)
	total := len(s.baseline)

	prefix := digits(v.Code) + "-"
	idBuf := make([]byte, 0, len(prefix)+8)
	for h := s.start[vi]; h < s.start[vi+1]; h++ {
		seq := h - s.start[vi] + 1
		idBuf = append(idBuf[:0], prefix...)
		idBuf = appendPadded(idBuf, seq, 6)
		id := string(idBuf)

		// Where the house stands: near one of the village's settlement
		// centres, never where another village's polygon overlaps.
		loc := gy.house(rnd, vi, &gy.settlements[vi])

		base := s.baseline[h]
		st := s.newHousehold(rnd, prof, base)
		head := s.names.draw(rnd, st.female)
		occ := prof.occupation.draw(rnd)
		if base.IsPoor() {
			occ = prof.occupationPoor.draw(rnd)
		}
		healthKm := math.Round((prof.healthKm[0]+(prof.healthKm[1]-prof.healthKm[0])*rnd.Float64())*10) / 10

		// The household's path out of (or into) poverty.
		liftAt, tempExit := -1, -1
		var liftTo data.PovertyStatus
		if base.IsPoor() && nRounds > 1 {
			lifted := s.labLift[h]
			if !lab {
				p := prof.lift
				if base == data.Extreme {
					p *= 0.7
				}
				lifted = rnd.Float64() < p
			}
			if lifted {
				liftAt = 1 + rnd.IntN(nRounds-1)
				liftTo = data.Vulnerable
				if rnd.Float64() < 0.4 {
					liftTo = data.NonPoor
				}
			} else if nRounds > 2 && rnd.Float64() < 0.06 {
				tempExit = 1 + rnd.IntN(nRounds-2)
			}
		}

		for r := 0; r < nRounds; r++ {
			if r > 0 {
				s.advance(rnd, &st, prof, lab, base, r, liftAt, liftTo, tempExit)
			}
			s.emit(&s.out[r*total+h], &st, id, r, loc, v.Code, head, occ, healthKm)
		}
	}
}

func appendPadded(b []byte, n, width int) []byte {
	var tmp [20]byte
	d := strconv.AppendInt(tmp[:0], int64(n), 10)
	for i := len(d); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

// round6 rounds to the six decimals the households file keeps, so the
// dataset in memory and the file read back are the same.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// newHousehold draws a household's baseline circumstances, correlated with
// its status and setting.
func (s *sim) newHousehold(rnd *rand.Rand, prof *profile, base data.PovertyStatus) household {
	poor := base.IsPoor()
	st := household{status: base, power: true, latrine: data.LatrineOwn}
	st.uDecile, st.uPKH, st.uBPNT = rnd.Float64(), rnd.Float64(), rnd.Float64()
	st.uPBI, st.uKIP, st.uBLT, st.uCause = rnd.Float64(), rnd.Float64(), rnd.Float64(), rnd.Float64()

	st.members = drawMembers(rnd)
	if poor && st.members < 8 && rnd.Float64() < 0.2 {
		st.members++
	}
	femaleP := 0.12
	if poor {
		femaleP = 0.22
	}
	st.female = rnd.Float64() < femaleP
	if st.members >= 2 {
		for i := 0; i < st.members-2 && i < 4; i++ {
			if rnd.Float64() < 0.4 {
				st.school++
			}
		}
		if st.school < st.members-1 && rnd.Float64() < 0.2 {
			st.school++
		}
	}
	outP := 0.0055
	switch {
	case poor:
		outP = prof.outOfSchool
	case base == data.Vulnerable:
		outP = 0.02
	}
	for i := 0; i < st.school; i++ {
		if rnd.Float64() < outP {
			st.out++
		}
	}

	illP, treatP, disP := 0.12, 0.6, 0.03
	switch {
	case poor:
		illP, treatP, disP = 0.22, 0.3, 0.08
	case base == data.Vulnerable:
		illP, treatP, disP = 0.15, 0.45, 0.05
	}
	if rnd.Float64() < illP {
		st.ill = 1
		if st.members > 1 && rnd.Float64() < 0.2 {
			st.ill = 2
		}
		for i := 0; i < st.ill; i++ {
			if rnd.Float64() < treatP {
				st.treated++
			}
		}
	}
	if rnd.Float64() < disP {
		st.disab = 1
		if rnd.Float64() < 0.2 {
			st.helped = 1
		}
	}

	scale := 0.06 // non-poor
	switch {
	case poor:
		scale = 1
	case base == data.Vulnerable:
		scale = 0.3
	}
	st.rtlh = rnd.Float64() < prof.rtlhPoor*scale
	u := rnd.Float64()
	switch {
	case u < prof.noLatrinePoor*max(scale, 0.15):
		st.latrine = data.LatrineNone
	case u < prof.noLatrinePoor*max(scale, 0.15)+0.06+0.2*scale:
		st.latrine = data.LatrineShared
	}
	st.water = prof.water.draw(rnd)
	if poor && data.WaterSources[st.water] {
		// The poor more often drink from an unprotected source: a second
		// draw replaces a safe one when it is unsafe.
		if w := prof.water.draw(rnd); !data.WaterSources[w] {
			st.water = w
		}
	}
	noPower := 0.003
	if poor {
		noPower = prof.noPowerPoor
	}
	st.power = rnd.Float64() >= noPower
	if base != data.NonPoor {
		s.drawCauses(rnd, &st, prof)
	}
	return st
}

// drawCauses lists why a household is poor: what is true of the household
// itself first (illness, disability, living alone...), then the place's
// usual causes, one to three in all.
func (s *sim) drawCauses(rnd *rand.Rand, st *household, prof *profile) {
	want := 1
	if u := rnd.Float64(); u < 0.18 {
		want = 3
	} else if u < 0.5 {
		want = 2
	}
	st.nCauses = 0
	add := func(key string) {
		i := s.causes.index(key)
		if st.nCauses < want && !slices.Contains(st.causes[:st.nCauses], i) {
			st.causes[st.nCauses] = i
			st.nCauses++
		}
	}
	if st.ill > 0 && rnd.Float64() < 0.8 {
		add("illness")
	}
	if st.disab > 0 && rnd.Float64() < 0.8 {
		add("disability")
	}
	if st.members == 1 && rnd.Float64() < 0.7 {
		add("elderly_alone")
	}
	if st.members >= 6 && rnd.Float64() < 0.6 {
		add("large_family")
	}
	if st.female && rnd.Float64() < 0.6 {
		add("female_headed")
	}
	if st.rtlh && rnd.Float64() < 0.4 {
		add("poor_housing")
	}
	for tries := 0; st.nCauses < want && tries < 20; tries++ {
		add(prof.causes.draw(rnd))
	}
}

// advance moves a household from round r-1 to round r.
func (s *sim) advance(rnd *rand.Rand, st *household, prof *profile, lab bool, base data.PovertyStatus,
	r, liftAt int, liftTo data.PovertyStatus, tempExit int) {
	// Poverty status.
	switch {
	case liftAt > 0 && r == liftAt:
		st.status = liftTo
	case liftAt > 0 && r > liftAt:
		if st.status == data.Vulnerable && rnd.Float64() < 0.15 {
			st.status = data.NonPoor
		}
	case base.IsPoor():
		if st.status == data.Extreme && rnd.Float64() < extremeEased.in(lab) {
			st.status = data.Poor
		}
		if r == tempExit {
			st.saved, st.status = st.status, data.Vulnerable
		} else if tempExit > 0 && r == tempExit+1 {
			st.status = st.saved
		}
	default:
		// Churn among the households that were not poor at baseline: a few
		// fall into poverty (a lost job, a bad harvest, a flooded house).
		u := rnd.Float64()
		switch st.status {
		case data.Vulnerable:
			if u < vulnerableFalls.in(lab) {
				st.status = data.Poor
				if rnd.Float64() < 0.15 {
					st.status = data.Extreme
				}
			} else if u < 0.08 {
				st.status = data.NonPoor
			}
		case data.NonPoor:
			if u < 0.002 {
				st.status = data.Poor
			} else if u < 0.025 {
				st.status = data.Vulnerable
			}
		default:
			if u < 0.25 {
				st.status = data.Vulnerable
			}
		}
		if st.status.IsPoor() && st.nCauses == 0 {
			s.drawCauses(rnd, st, prof)
		}
	}

	// Household size: births, deaths, children moving out.
	if rnd.Float64() < 0.07 {
		if rnd.Float64() < 0.6 {
			st.members++
			if rnd.Float64() < 0.3 && st.school < st.members-1 {
				st.school++
			}
		} else if st.members > 1 {
			st.members--
		}
	}
	st.school = min(st.school, st.members-1)
	st.out = min(st.out, st.school)
	st.ill = min(st.ill, st.members)
	st.treated = min(st.treated, st.ill)
	st.disab = min(st.disab, st.members)
	st.helped = min(st.helped, st.disab)

	// Programmes. Kudu Sekolah began in May 2019, RTLH and jamban run every
	// year; the labs bring all of them to the same families.
	if st.rtlh && rnd.Float64() < rtlhRepair.in(lab) {
		st.rtlh, st.repaired = false, true
		st.sticky |= s.programs.bit(progRTLH)
	}
	switch st.latrine {
	case data.LatrineNone:
		if rnd.Float64() < jambanBuilt.in(lab) {
			st.latrine = data.LatrineOwn
			st.sticky |= s.programs.bit(progJamban)
		}
	case data.LatrineShared:
		if rnd.Float64() < jambanShared.in(lab) {
			st.latrine = data.LatrineOwn
			st.sticky |= s.programs.bit(progJamban)
		}
	}
	for i := st.treated; i < st.ill; i++ {
		if rnd.Float64() < illTreated.in(lab) {
			st.treated++
		}
	}
	if st.ill < st.members && rnd.Float64() < 0.015 {
		st.ill++
	}
	if st.helped < st.disab && rnd.Float64() < disabledHelped.in(lab) {
		st.helped++
	}
	returned := 0
	for i := 0; i < st.out; i++ {
		if rnd.Float64() < backToSchool.in(lab) {
			returned++
		}
	}
	if returned > 0 {
		st.out -= returned
		st.sticky |= s.programs.bit(progKuduSekolah)
	}
	// A few children leave school, though not in a household the programme
	// has just reached.
	dropP := 0.001
	if st.status.IsPoor() && !lab {
		dropP = 0.004
	}
	for i := st.out; i < st.school && returned == 0; i++ {
		if rnd.Float64() < dropP {
			st.out++
		}
	}
	if !st.power && rnd.Float64() < powerConnected.in(lab) {
		st.power = true
	}
	if !data.WaterSources[st.water] && rnd.Float64() < waterImproved.in(lab) {
		st.water = prof.betterWater
	}
}

// decile places the household in the national welfare ranking, in the band
// its status allows.
func decile(status data.PovertyStatus, u float64) int {
	switch status {
	case data.Extreme:
		return 1
	case data.Poor:
		if u < 0.5 {
			return 1
		}
		if u < 0.9 {
			return 2
		}
		return 3
	case data.Vulnerable:
		return 3 + min(int(u*2.4), 2)
	}
	if u < 0.08 {
		return 4
	}
	return 5 + min(int((u-0.08)/0.92*6), 5)
}

// emit writes one row of the households file.
func (s *sim) emit(h *data.Household, st *household, id string, r int, loc orb.Point, code, head, occ string, healthKm float64) {
	dec := decile(st.status, st.uDecile)
	progs := st.sticky
	needy := st.school > 0 || st.ill > 0 || st.disab > 0
	pkh := needy && (dec <= 2 && st.uPKH < 0.8 || dec <= 4 && st.uPKH < 0.25)
	if pkh {
		progs |= s.programs.bit(progPKH)
	}
	if dec <= 2 && st.uBPNT < 0.85 || dec <= 4 && st.uBPNT < 0.4 {
		progs |= s.programs.bit(progBPNT)
	}
	if dec <= 2 && st.uPBI < 0.9 || dec <= 4 && st.uPBI < 0.6 || dec <= 5 && st.uPBI < 0.25 || st.uPBI < 0.04 {
		progs |= s.programs.bit(progPBI)
	}
	if st.school > 0 && dec <= 4 && st.uKIP < 0.6 {
		progs |= s.programs.bit(progKIP)
	}
	if s.rounds[r] >= "2020" && dec <= 5 && !pkh && st.uBLT < 0.45 {
		progs |= s.programs.bit(progBLT)
	}

	var causes []string
	switch {
	case st.status.IsPoor():
		causes = s.causes.slice(st.causes[:st.nCauses])
	case st.status == data.Vulnerable && st.uCause < 0.3 && st.nCauses > 0:
		causes = s.causes.slice(st.causes[:1])
	}

	*h = data.Household{
		ID: id, Round: s.rounds[r], Loc: loc, Members: st.members, Status: st.status,
		VillageCode: code, HeadName: head, Occupation: occ, WelfareDecile: dec, Causes: causes,
		HouseUninhabitable: flag(st.rtlh), HouseRepaired: flag(st.repaired), Latrine: st.latrine,
		WaterSource: st.water, Electricity: flag(st.power),
		ChronicIll: st.ill, ChronicIllTreated: st.treated, Disabled: st.disab, DisabledAssisted: st.helped,
		ChildrenSchoolAge: st.school, ChildrenOutOfSchool: st.out, HealthKm: healthKm,
		Programs: s.programs.slice(progs),
	}
}

func flag(b bool) data.Flag {
	if b {
		return data.FlagYes
	}
	return data.FlagNo
}

// causeSets shares one []string per combination of causes, so a million
// rows hold a few hundred slices. Causes inside a slice follow the registry's
// alphabetical order, whatever order they were drawn in.
type causeSets struct {
	keys []string
	sets map[uint32][]string
}

func newCauseSets() causeSets {
	keys := make([]string, 0, len(data.Causes))
	for k := range data.Causes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	cs := causeSets{keys: keys, sets: make(map[uint32][]string)}
	// Precompute every set of one to three causes: the workers only read.
	n := len(keys)
	for a := 0; a < n; a++ {
		cs.put(1 << a)
		for b := a + 1; b < n; b++ {
			cs.put(1<<a | 1<<b)
			for c := b + 1; c < n; c++ {
				cs.put(1<<a | 1<<b | 1<<c)
			}
		}
	}
	return cs
}

func (cs *causeSets) put(mask uint32) {
	out := make([]string, 0, bits.OnesCount32(mask))
	for i, k := range cs.keys {
		if mask&(1<<i) != 0 {
			out = append(out, k)
		}
	}
	cs.sets[mask] = out[:len(out):len(out)]
}

func (cs *causeSets) index(key string) uint8 {
	i, _ := slices.BinarySearch(cs.keys, key)
	return uint8(i)
}

func (cs *causeSets) slice(idx []uint8) []string {
	var mask uint32
	for _, i := range idx {
		mask |= 1 << i
	}
	if mask == 0 {
		return nil
	}
	return cs.sets[mask]
}

// Programme codes the generator hands out.
const (
	progPKH         = "pkh"
	progBPNT        = "bpnt"
	progPBI         = "pbi_jk"
	progKIP         = "kip"
	progRTLH        = "rtlh"
	progJamban      = "jamban"
	progKuduSekolah = "kudu_sekolah"
	progBLT         = "blt"
)

// programSets shares one []string per combination of programmes. Bits are
// given to the codes above in the registry's order, so every slice lists its
// programmes as data.Programs does.
type programSets struct {
	bits map[string]uint16
	sets [][]string
}

func newProgramSets() programSets {
	ours := []string{progPKH, progBPNT, progPBI, progKIP, progRTLH, progJamban, progKuduSekolah, progBLT}
	var codes []string
	for _, p := range data.Programs {
		if slices.Contains(ours, p) {
			codes = append(codes, p)
		}
	}
	ps := programSets{bits: make(map[string]uint16), sets: make([][]string, 1<<len(codes))}
	for i, c := range codes {
		ps.bits[c] = 1 << i
	}
	for mask := 1; mask < len(ps.sets); mask++ {
		var out []string
		for i, c := range codes {
			if mask&(1<<i) != 0 {
				out = append(out, c)
			}
		}
		ps.sets[mask] = out[:len(out):len(out)]
	}
	return ps
}

// bit is 0 for a code the registry does not know, so it is never written.
func (ps *programSets) bit(code string) uint16 { return ps.bits[code] }

func (ps *programSets) slice(mask uint16) []string { return ps.sets[mask] }
