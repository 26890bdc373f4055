package data

// A Measure is a per-household number that indicators add up: 1 for a
// household that has no latrine, the number of chronically ill members, and
// so on. Each measure is written twice, once in Go for the memory store and
// once in SQL over the households table for PostGIS; the differential test
// between the stores keeps the two in step.
type Measure struct {
	Key   string
	Value func(h *Household) int64
	SQL   string // expression over one households row, summed per area
}

// Measure positions in Measures; AreaStats.Sums is indexed the same way.
const (
	MHouseholds = iota
	MMembers
	MPoor
	MExtreme
	MBaselinePoor
	MLifted
	MRTLH
	MRTLHEver
	MRTLHRepaired
	MLatrineKnown
	MLatrineAccess
	MOpenDefecation
	MChronicIll
	MChronicIllTreated
	MDisabled
	MDisabledAssisted
	MSchoolAge
	MOutOfSchool
	MWaterKnown
	MWaterSafe
	MElectricityKnown
	MElectricity
	NumMeasures
)

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Measures is every per-household measure, in the order of the M* constants.
var Measures = [NumMeasures]Measure{
	{"households", func(h *Household) int64 { return 1 }, "1"},
	{"members", func(h *Household) int64 { return int64(h.Members) }, "members"},
	{"poor", func(h *Household) int64 { return b2i(h.Status.IsPoor()) }, "(poverty_status IN ('poor','extreme'))::int"},
	{"extreme", func(h *Household) int64 { return b2i(h.Status == Extreme) }, "(poverty_status = 'extreme')::int"},
	{"baseline_poor", func(h *Household) int64 { return b2i(h.BaselineStatus.IsPoor()) }, "(baseline_status IN ('poor','extreme'))::int"},
	{"lifted", func(h *Household) int64 { return b2i(h.Lifted()) },
		"(baseline_status IN ('poor','extreme') AND poverty_status IN ('vulnerable','non_poor'))::int"},
	{"rtlh", func(h *Household) int64 { return b2i(h.HouseUninhabitable == FlagYes) }, "coalesce(house_uninhabitable, false)::int"},
	{"rtlh_ever", func(h *Household) int64 { return b2i(h.HouseUninhabitable == FlagYes || h.HouseRepaired == FlagYes) },
		"(coalesce(house_uninhabitable, false) OR coalesce(house_repaired, false))::int"},
	{"rtlh_repaired", func(h *Household) int64 { return b2i(h.HouseRepaired == FlagYes) }, "coalesce(house_repaired, false)::int"},
	{"latrine_known", func(h *Household) int64 { return b2i(h.Latrine != LatrineUnknown) }, "(latrine IS NOT NULL)::int"},
	{"latrine_access", func(h *Household) int64 { return b2i(h.Latrine == LatrineOwn || h.Latrine == LatrineShared) },
		"(latrine IN ('own','shared'))::int"},
	{"open_defecation", func(h *Household) int64 { return b2i(h.Latrine == LatrineNone) }, "(latrine = 'none')::int"},
	{"chronic_ill", func(h *Household) int64 { return int64(h.ChronicIll) }, "chronic_ill"},
	{"chronic_ill_treated", func(h *Household) int64 { return int64(h.ChronicIllTreated) }, "chronic_ill_treated"},
	{"disabled", func(h *Household) int64 { return int64(h.Disabled) }, "disabled"},
	{"disabled_assisted", func(h *Household) int64 { return int64(h.DisabledAssisted) }, "disabled_assisted"},
	{"school_age", func(h *Household) int64 { return int64(h.ChildrenSchoolAge) }, "children_school_age"},
	{"out_of_school", func(h *Household) int64 { return int64(h.ChildrenOutOfSchool) }, "children_out_of_school"},
	{"water_known", func(h *Household) int64 { return b2i(h.WaterSource != "") }, "(water_source IS NOT NULL)::int"},
	{"water_safe", func(h *Household) int64 { return b2i(WaterSources[h.WaterSource]) },
		"(water_source IN ('piped','protected_well','protected_spring','bottled','rainwater'))::int"},
	{"electricity_known", func(h *Household) int64 { return b2i(h.Electricity != FlagUnknown) }, "(electricity IS NOT NULL)::int"},
	{"electricity", func(h *Household) int64 { return b2i(h.Electricity == FlagYes) }, "coalesce(electricity, false)::int"},
}

// Kind says how an indicator is computed from the measures.
type Kind string

// Indicator kinds.
const (
	KindCount    Kind = "count"    // the sum of one measure
	KindRate     Kind = "rate"     // numerator sum / denominator sum, a ratio in [0, 1]
	KindCategory Kind = "category" // the most frequent category (dominant cause)
)

// Unit is what an indicator's number counts.
type Unit string

// Units of indicators.
const (
	UnitHouseholds Unit = "households"
	UnitPersons    Unit = "persons"
	UnitRatio      Unit = "ratio"
	UnitCategory   Unit = "category"
)

// Indicator is one published figure. Numerator and Denominator are measure
// positions; a count uses only the numerator. A sensitive indicator (illness,
// disability) is withheld when the people it counts, SensitiveBase, number
// fewer than the suppression threshold.
type Indicator struct {
	Key           string
	Better        Better // which way is good news, for colour scales
	Label         Text
	Description   Text
	Unit          Unit
	Kind          Kind
	Numerator     int
	Denominator   int
	Sensitive     bool
	SensitiveBase int
}

// Better says which direction of an indicator is good news, so that a map
// of change can colour good news the same way for every indicator.
type Better string

// Directions of indicators. Neutral is for figures where more is neither
// good nor bad news: the population surveyed, the people living with a
// disability (a condition, not a failure the labs aim to reduce; the
// assisted rate carries the direction) and the dominant cause (a category).
const (
	Neutral Better = "neutral"
	Higher  Better = "higher"
	Lower   Better = "lower"
)

// Indicators is the registry: every indicator labmap publishes, defined once
// for both stores, the API, tiles and the web map.
var Indicators = []Indicator{
	{Key: "households", Better: Neutral, Kind: KindCount, Unit: UnitHouseholds, Numerator: MHouseholds,
		Label:       Text{"Rumah tangga", "Households"},
		Description: Text{"Jumlah rumah tangga yang didata", "Households surveyed"}},
	{Key: "members", Better: Neutral, Kind: KindCount, Unit: UnitPersons, Numerator: MMembers,
		Label:       Text{"Anggota rumah tangga", "Household members"},
		Description: Text{"Jumlah jiwa dalam rumah tangga yang didata", "People in surveyed households"}},
	{Key: "poor", Better: Lower, Kind: KindCount, Unit: UnitHouseholds, Numerator: MPoor,
		Label:       Text{"Rumah tangga miskin", "Poor households"},
		Description: Text{"Rumah tangga miskin dan sangat miskin", "Poor and extremely poor households"}},
	{Key: "extreme", Better: Lower, Kind: KindCount, Unit: UnitHouseholds, Numerator: MExtreme,
		Label:       Text{"Rumah tangga sangat miskin", "Extremely poor households"},
		Description: Text{"Rumah tangga miskin ekstrem", "Households in extreme poverty"}},
	{Key: "poverty_rate", Better: Lower, Kind: KindRate, Unit: UnitRatio, Numerator: MPoor, Denominator: MHouseholds,
		Label:       Text{"Tingkat kemiskinan", "Poverty rate"},
		Description: Text{"Bagian rumah tangga yang miskin atau sangat miskin", "Share of households that are poor or extremely poor"}},
	{Key: "lifted", Better: Higher, Kind: KindCount, Unit: UnitHouseholds, Numerator: MLifted,
		Label:       Text{"Rumah tangga terentaskan", "Households lifted"},
		Description: Text{"Miskin pada putaran pertama, tidak lagi miskin pada putaran ini", "Poor at their first round, no longer poor at this round"}},
	{Key: "lifted_rate", Better: Higher, Kind: KindRate, Unit: UnitRatio, Numerator: MLifted, Denominator: MBaselinePoor,
		Label:       Text{"Tingkat pengentasan", "Lifted rate"},
		Description: Text{"Bagian rumah tangga miskin awal yang terentaskan", "Share of initially poor households lifted out of poverty"}},
	{Key: "rtlh", Better: Lower, Kind: KindCount, Unit: UnitHouseholds, Numerator: MRTLH,
		Label:       Text{"Rumah tidak layak huni", "Uninhabitable houses"},
		Description: Text{"Rumah tangga yang menempati RTLH", "Households living in an uninhabitable house (RTLH)"}},
	{Key: "rtlh_repaired_rate", Better: Higher, Kind: KindRate, Unit: UnitRatio, Numerator: MRTLHRepaired, Denominator: MRTLHEver,
		Label:       Text{"RTLH tertangani", "Uninhabitable houses repaired"},
		Description: Text{"Bagian RTLH yang sudah diperbaiki", "Share of uninhabitable houses that have been repaired"}},
	{Key: "latrine_access_rate", Better: Higher, Kind: KindRate, Unit: UnitRatio, Numerator: MLatrineAccess, Denominator: MLatrineKnown,
		Label:       Text{"Akses jamban", "Latrine access"},
		Description: Text{"Bagian rumah tangga dengan jamban sendiri atau bersama", "Share of households with their own or a shared latrine"}},
	{Key: "open_defecation", Better: Lower, Kind: KindCount, Unit: UnitHouseholds, Numerator: MOpenDefecation,
		Label:       Text{"Tanpa jamban", "No latrine"},
		Description: Text{"Rumah tangga tanpa jamban (BABS)", "Households without a latrine (open defecation)"}},
	{Key: "chronic_ill", Better: Lower, Kind: KindCount, Unit: UnitPersons, Numerator: MChronicIll, Sensitive: true, SensitiveBase: MChronicIll,
		Label:       Text{"Penderita penyakit kronis", "People with chronic illness"},
		Description: Text{"Anggota rumah tangga dengan penyakit kronis", "Household members with a chronic illness"}},
	{Key: "chronic_ill_treated_rate", Better: Higher, Kind: KindRate, Unit: UnitRatio, Numerator: MChronicIllTreated, Denominator: MChronicIll,
		Sensitive: true, SensitiveBase: MChronicIll,
		Label:       Text{"Penyakit kronis tertangani", "Chronic illness treated"},
		Description: Text{"Bagian penderita penyakit kronis yang mendapat perawatan", "Share of chronically ill people receiving care"}},
	{Key: "disabled", Better: Neutral, Kind: KindCount, Unit: UnitPersons, Numerator: MDisabled, Sensitive: true, SensitiveBase: MDisabled,
		Label:       Text{"Penyandang disabilitas", "People with disability"},
		Description: Text{"Anggota rumah tangga penyandang disabilitas", "Household members with a disability"}},
	{Key: "disabled_assisted_rate", Better: Higher, Kind: KindRate, Unit: UnitRatio, Numerator: MDisabledAssisted, Denominator: MDisabled,
		Sensitive: true, SensitiveBase: MDisabled,
		Label:       Text{"Disabilitas tertangani", "Disability assisted"},
		Description: Text{"Bagian penyandang disabilitas yang mendapat bantuan", "Share of people with disability receiving assistance"}},
	{Key: "out_of_school", Better: Lower, Kind: KindCount, Unit: UnitPersons, Numerator: MOutOfSchool,
		Label:       Text{"Anak tidak sekolah", "Children out of school"},
		Description: Text{"Anak usia sekolah yang tidak bersekolah", "School-age children not in school"}},
	{Key: "out_of_school_rate", Better: Lower, Kind: KindRate, Unit: UnitRatio, Numerator: MOutOfSchool, Denominator: MSchoolAge,
		Label:       Text{"Angka tidak sekolah", "Out-of-school rate"},
		Description: Text{"Bagian anak usia sekolah yang tidak bersekolah", "Share of school-age children not in school"}},
	{Key: "safe_water_rate", Better: Higher, Kind: KindRate, Unit: UnitRatio, Numerator: MWaterSafe, Denominator: MWaterKnown,
		Label:       Text{"Akses air layak", "Safe water access"},
		Description: Text{"Bagian rumah tangga dengan sumber air layak", "Share of households with a safe water source"}},
	{Key: "electricity_rate", Better: Higher, Kind: KindRate, Unit: UnitRatio, Numerator: MElectricity, Denominator: MElectricityKnown,
		Label:       Text{"Akses listrik", "Electricity access"},
		Description: Text{"Bagian rumah tangga dengan listrik", "Share of households with electricity"}},
	{Key: "dominant_cause", Better: Neutral, Kind: KindCategory, Unit: UnitCategory,
		Label:       Text{"Penyebab utama kemiskinan", "Main cause of poverty"},
		Description: Text{"Penyebab kemiskinan yang paling sering di antara rumah tangga miskin", "Most frequent cause of poverty among poor households"}},
}

// IndicatorIndex returns the position of the indicator with key, or -1.
func IndicatorIndex(key string) int {
	for i, ind := range Indicators {
		if ind.Key == key {
			return i
		}
	}
	return -1
}

// Value is one indicator's figure for an area. Valid is false when the figure
// is withheld (a sensitive count under the threshold) or undefined (a rate
// over nobody).
type Value struct {
	Number   float64
	Text     string
	Valid    bool
	Withheld bool
}

// Evaluate turns an area's measure sums into indicator values, applying the
// primary rule for sensitive figures: an illness or disability figure is
// withheld when any count it reveals (a count's numerator; a rate's
// numerator, denominator and their difference) is between 1 and k-1.
// Complementary suppression (Disclosure) may withhold more.
func Evaluate(sums *[NumMeasures]int64, dominantCause string, k int) []Value {
	vals := make([]Value, len(Indicators))
	small := rules.close(rules.small(sums, int64(k)))
	for i, ind := range Indicators {
		if ind.Sensitive && rules.withheld(i, small) {
			vals[i].Withheld = true
			continue
		}
		switch ind.Kind {
		case KindCount:
			vals[i] = Value{Number: float64(sums[ind.Numerator]), Valid: true}
		case KindRate:
			if den := sums[ind.Denominator]; den > 0 {
				vals[i] = Value{Number: Rate(sums[ind.Numerator], den), Valid: true}
			}
		case KindCategory:
			if dominantCause != "" {
				vals[i] = Value{Text: dominantCause, Valid: true}
			}
		}
	}
	return vals
}

// Rate is num/den rounded half up to six decimals: enough for any map. It
// rounds the exact fraction in integers, as SQL's round(num::numeric/den, 6)
// does, so the Go and SQL engines publish bit-identical figures where a
// float division would sometimes round the other way.
func Rate(num, den int64) float64 {
	return float64((num*2_000_000+den)/(2*den)) / 1e6
}

// DominantCause picks the most frequent cause; ties go to the
// alphabetically first key so both stores agree.
func DominantCause(counts map[string]int64) string {
	best, bestN := "", int64(0)
	for c, n := range counts {
		if n > bestN || (n == bestN && c < best) {
			best, bestN = c, n
		}
	}
	return best
}
