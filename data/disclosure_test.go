package data

import (
	"slices"
	"testing"
)

// village is a hand-made village's sums: households and ill people
// (treated ones in treated).
type village struct {
	code              string
	households, ill   int64
	treated, disabled int64
}

func sumsOf(hh, ill, treated, disabled int64) *[NumMeasures]int64 {
	var s [NumMeasures]int64
	s[MHouseholds], s[MChronicIll], s[MChronicIllTreated], s[MDisabled] = hh, ill, treated, disabled
	return &s
}

// oneDistrict builds a round of one district holding the villages, which
// is also the regency.
func oneDistrict(vs []village) *RoundSums {
	var hh, ill, tr, dis int64
	rs := &RoundSums{}
	for _, v := range vs {
		rs.Villages = append(rs.Villages, AreaSums{Code: v.code, Parent: "33.26.01", Sums: sumsOf(v.households, v.ill, v.treated, v.disabled)})
		hh, ill, tr, dis = hh+v.households, ill+v.ill, tr+v.treated, dis+v.disabled
	}
	rs.Total = AreaSums{Code: "33", Sums: sumsOf(hh, ill, tr, dis)}
	rs.Provinces = []AreaSums{{Code: "33", Sums: sumsOf(hh, ill, tr, dis)}}
	rs.Regencies = []AreaSums{{Code: "33.26", Parent: "33", Sums: sumsOf(hh, ill, tr, dis)}}
	rs.Districts = []AreaSums{{Code: "33.26.01", Sums: sumsOf(hh, ill, tr, dis)}}
	return rs
}

func TestEvaluatePrimaryRule(t *testing.T) {
	ill := IndicatorIndex("chronic_ill")
	rate := IndicatorIndex("chronic_ill_treated_rate")
	for _, tc := range []struct {
		name                string
		k                   int
		ill, treated        int64
		illShown, rateShown bool
	}{
		{"the issue's village: 9 ill, 3 treated", 5, 9, 3, true, false},
		{"1 untreated is revealed by the rate", 5, 9, 8, true, false},
		{"every count 0 or at least k", 5, 10, 5, true, true},
		{"all treated: untreated 0", 5, 6, 6, true, true},
		{"nobody treated", 5, 6, 0, true, true},
		{"few ill hide both", 5, 4, 4, false, false},
		{"nobody ill", 5, 0, 0, true, false}, // the rate is undefined, not withheld
		{"k 0 withholds nothing", 0, 9, 3, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vals := Evaluate(sumsOf(20, tc.ill, tc.treated, 0), "", tc.k)
			if vals[ill].Valid != tc.illShown || vals[ill].Withheld == tc.illShown {
				t.Errorf("chronic_ill %+v, shown want %v", vals[ill], tc.illShown)
			}
			if vals[rate].Valid != tc.rateShown {
				t.Errorf("chronic_ill_treated_rate %+v, shown want %v", vals[rate], tc.rateShown)
			}
			if tc.ill > 0 && vals[rate].Withheld == tc.rateShown {
				t.Errorf("chronic_ill_treated_rate %+v: withheld should be %v", vals[rate], !tc.rateShown)
			}
		})
	}
}

// publish runs the rule and returns the codes of the villages suppressed
// and of those whose chronic_ill is withheld.
func publish(t *testing.T, rs *RoundSums, k int) (suppressed, withheld []string) {
	t.Helper()
	d, err := Protect(rs, k)
	if err != nil {
		t.Fatal(err)
	}
	ill := IndicatorIndex("chronic_ill")
	for _, v := range rs.Villages {
		a := NewAreaStats(LevelVillage, v.Code, v.Code, v.Parent, "2020-06-01", v.Sums, "", k)
		d.Publish(&a, 0, "")
		if a.Suppressed {
			suppressed = append(suppressed, v.Code)
		} else if a.Values[ill].Withheld {
			withheld = append(withheld, v.Code)
		}
	}
	return suppressed, withheld
}

func TestProtectComplementary(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		villages             []village
		suppressed, withheld []string
	}{
		{"one small village takes the smallest sibling, ties by code",
			[]village{{"a", 20, 0, 0, 0}, {"b", 3, 0, 0, 0}, {"c", 7, 0, 0, 0}, {"d", 7, 0, 0, 0}},
			[]string{"b", "c"}, nil},
		{"two small villages of k together need nothing more",
			[]village{{"a", 20, 0, 0, 0}, {"b", 3, 0, 0, 0}, {"c", 4, 0, 0, 0}},
			[]string{"b", "c"}, nil},
		{"two small villages under k together take a third",
			[]village{{"a", 20, 0, 0, 0}, {"b", 1, 0, 0, 0}, {"c", 2, 0, 0, 0}, {"d", 6, 0, 0, 0}},
			[]string{"b", "c", "d"}, nil},
		{"nothing hidden, nothing to do",
			[]village{{"a", 20, 6, 0, 0}, {"b", 5, 0, 0, 0}},
			nil, nil},
		{"a withheld ill count takes the smallest published one",
			[]village{{"a", 20, 10, 0, 0}, {"b", 10, 2, 0, 0}, {"c", 10, 6, 0, 0}, {"d", 10, 0, 0, 0}},
			nil, []string{"b", "c"}},
		{"a village with nobody ill hides nothing of the count",
			[]village{{"a", 20, 10, 0, 0}, {"b", 10, 2, 0, 0}, {"c", 10, 0, 0, 0}},
			nil, []string{"a", "b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sup, wh := publish(t, oneDistrict(tc.villages), DefaultMinHouseholds)
			if !slices.Equal(sup, tc.suppressed) || !slices.Equal(wh, tc.withheld) {
				t.Errorf("suppressed %v withheld %v, want %v and %v", sup, wh, tc.suppressed, tc.withheld)
			}
		})
	}
}

// TestProtectDeterministic feeds the same areas in another order.
func TestProtectDeterministic(t *testing.T) {
	vs := []village{{"a", 20, 0, 0, 0}, {"b", 3, 0, 0, 0}, {"c", 7, 0, 0, 0}, {"d", 7, 0, 0, 0}, {"e", 2, 1, 1, 0}}
	sup1, wh1 := publish(t, oneDistrict(vs), 5)
	rs := oneDistrict(vs)
	slices.Reverse(rs.Villages)
	sup2, wh2 := publish(t, rs, 5)
	slices.Sort(sup2)
	slices.Sort(wh2)
	if !slices.Equal(sup1, sup2) || !slices.Equal(wh1, wh2) {
		t.Errorf("order changed the outcome: %v %v vs %v %v", sup1, wh1, sup2, wh2)
	}
}
