package demo

import "math/rand/v2"

// weighted is a categorical distribution over strings. The strings are the
// literals below, so every household row shares them.
type weighted struct {
	items []string
	cum   []float64
}

func dist(pairs ...any) weighted {
	var w weighted
	sum := 0.0
	for i := 0; i+1 < len(pairs); i += 2 {
		sum += float64(pairs[i+1].(int))
		w.items = append(w.items, pairs[i].(string))
		w.cum = append(w.cum, sum)
	}
	for i := range w.cum {
		w.cum[i] /= sum
	}
	return w
}

func (w *weighted) draw(rnd *rand.Rand) string {
	u := rnd.Float64()
	for i, c := range w.cum {
		if u < c {
			return w.items[i]
		}
	}
	return w.items[len(w.items)-1]
}

// profile is how life looks in one setting: baseline rates and what people
// do, drink and suffer from. Rates are illustrative, chosen so that the
// regency as a whole matches its published poverty rate.
type profile struct {
	poverty    float64 // share of households poor at baseline, before calibration
	extreme    float64 // share of the poor in extreme poverty
	vulnerable float64 // share of households just above the line
	lift       float64 // share of the baseline poor lifted by the last round, outside the labs

	occupation, occupationPoor weighted
	causes                     weighted
	water                      weighted
	betterWater                string // what a water programme connects

	noLatrinePoor float64
	rtlhPoor      float64
	noPowerPoor   float64
	outOfSchool   float64 // per school-age child of a poor household
	healthKm      [2]float64
	// clustered settlements: upland hamlets are a few tight clusters of houses.
	clustered bool
}

var profiles = [numSettings]profile{
	upland: {
		poverty: 0.21, extreme: 0.32, vulnerable: 0.26, lift: 0.17,
		occupation: dist("farmer", 40, "farm_labourer", 14, "forest_worker", 10, "trader", 9, "construction", 6,
			"civil_servant", 4, "private_employee", 3, "informal", 8, "other", 3, "unemployed", 2),
		occupationPoor: dist("farmer", 28, "farm_labourer", 32, "forest_worker", 22, "construction", 6,
			"informal", 6, "unemployed", 4, "other", 2),
		causes: dist("remote_location", 6, "low_income", 4, "poor_housing", 2, "seasonal_work", 2,
			"low_education", 3, "disaster", 1, "no_land", 1),
		water: dist("protected_spring", 40, "unprotected_spring", 25, "river", 8, "piped", 15,
			"protected_well", 7, "rainwater", 5),
		betterWater:   "protected_spring",
		noLatrinePoor: 0.35, rtlhPoor: 0.5, noPowerPoor: 0.08, outOfSchool: 0.085,
		healthKm: [2]float64{3, 14}, clustered: true,
	},
	hills: {
		poverty: 0.15, extreme: 0.25, vulnerable: 0.23, lift: 0.23,
		occupation: dist("farmer", 36, "farm_labourer", 12, "trader", 11, "construction", 8, "factory_worker", 8,
			"informal", 8, "civil_servant", 5, "private_employee", 6, "forest_worker", 3, "batik_worker", 3),
		occupationPoor: dist("farm_labourer", 34, "farmer", 24, "construction", 10, "informal", 10,
			"forest_worker", 8, "unemployed", 6, "factory_worker", 4, "other", 4),
		causes: dist("low_income", 4, "seasonal_work", 3, "low_education", 3, "no_land", 2, "poor_housing", 2,
			"remote_location", 1, "debt", 1),
		water: dist("protected_well", 35, "protected_spring", 20, "unprotected_well", 12, "unprotected_spring", 8,
			"piped", 20, "river", 5),
		betterWater:   "piped",
		noLatrinePoor: 0.28, rtlhPoor: 0.4, noPowerPoor: 0.03, outOfSchool: 0.065,
		healthKm: [2]float64{1.5, 7},
	},
	lowland: {
		poverty: 0.12, extreme: 0.22, vulnerable: 0.21, lift: 0.26,
		occupation: dist("farmer", 28, "farm_labourer", 10, "factory_worker", 14, "trader", 12, "batik_worker", 8,
			"construction", 7, "informal", 7, "civil_servant", 5, "private_employee", 8, "other", 1),
		occupationPoor: dist("farm_labourer", 38, "farmer", 14, "construction", 12, "informal", 12,
			"factory_worker", 8, "batik_worker", 6, "unemployed", 6, "other", 4),
		causes: dist("no_land", 4, "low_income", 4, "seasonal_work", 3, "low_education", 2, "debt", 2,
			"poor_housing", 1),
		water: dist("protected_well", 40, "piped", 25, "unprotected_well", 15, "bottled", 10, "river", 5,
			"other", 5),
		betterWater:   "piped",
		noLatrinePoor: 0.2, rtlhPoor: 0.35, noPowerPoor: 0.02, outOfSchool: 0.055,
		healthKm: [2]float64{0.8, 4},
	},
	town: {
		poverty: 0.08, extreme: 0.18, vulnerable: 0.17, lift: 0.30,
		occupation: dist("factory_worker", 20, "batik_worker", 16, "trader", 18, "private_employee", 14,
			"informal", 10, "civil_servant", 8, "construction", 6, "farmer", 2, "other", 3, "farm_labourer", 2,
			"unemployed", 1),
		occupationPoor: dist("informal", 26, "batik_worker", 18, "factory_worker", 14, "construction", 14,
			"unemployed", 12, "trader", 8, "farm_labourer", 4, "other", 4),
		causes: dist("low_income", 4, "unemployment", 4, "debt", 3, "no_land", 2, "no_social_support", 2,
			"low_education", 1),
		water:         dist("piped", 45, "bottled", 25, "protected_well", 25, "unprotected_well", 5),
		betterWater:   "piped",
		noLatrinePoor: 0.1, rtlhPoor: 0.3, noPowerPoor: 0.01, outOfSchool: 0.05,
		healthKm: [2]float64{0.3, 2.5},
	},
	coast: {
		poverty: 0.17, extreme: 0.28, vulnerable: 0.25, lift: 0.20,
		occupation: dist("fisher", 24, "fish_processing", 14, "trader", 16, "factory_worker", 10, "batik_worker", 6,
			"informal", 8, "construction", 6, "private_employee", 6, "civil_servant", 4, "farmer", 4, "other", 2),
		occupationPoor: dist("fisher", 34, "fish_processing", 22, "informal", 12, "construction", 10,
			"farm_labourer", 8, "unemployed", 8, "other", 6),
		causes: dist("disaster", 6, "low_income", 4, "seasonal_work", 3, "debt", 2, "poor_housing", 2,
			"low_education", 1),
		water:         dist("bottled", 30, "piped", 25, "protected_well", 20, "unprotected_well", 20, "other", 5),
		betterWater:   "piped",
		noLatrinePoor: 0.32, rtlhPoor: 0.45, noPowerPoor: 0.02, outOfSchool: 0.075,
		healthKm: [2]float64{0.8, 4.5},
	},
}

// householdSize is the distribution of members, mean about 3.6.
var householdSize = [...]float64{0, 0.08, 0.16, 0.25, 0.25, 0.14, 0.07, 0.03, 0.02}

func drawMembers(rnd *rand.Rand) int {
	u := rnd.Float64()
	for n, p := range householdSize {
		if u < p {
			return n
		}
		u -= p
	}
	return len(householdSize) - 1
}

// Targets of the lab programmes and the regency's published poverty rate.
const (
	baselinePovertyRate = 0.126 // 2017, BPS
	labLiftShare        = 0.70  // the labs' share of baseline poor lifted by the last round
)

// Yearly chances of a programme reaching a household, outside the labs and
// inside them: the labs concentrate every programme on the same families.
type rates struct{ outside, lab float64 }

func (r rates) in(lab bool) float64 {
	if lab {
		return r.lab
	}
	return r.outside
}

var (
	rtlhRepair      = rates{0.10, 0.45}
	jambanBuilt     = rates{0.10, 0.50}
	jambanShared    = rates{0.03, 0.15}
	illTreated      = rates{0.12, 0.50}
	disabledHelped  = rates{0.08, 0.45}
	backToSchool    = rates{0.25, 0.60}
	powerConnected  = rates{0.30, 0.70}
	waterImproved   = rates{0.04, 0.20}
	extremeEased    = rates{0.20, 0.50}
	vulnerableFalls = rates{0.016, 0.008}
)
