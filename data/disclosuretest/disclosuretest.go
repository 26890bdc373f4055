// Package disclosuretest holds the differencing attacks both stores' tests
// play against what they publish (issue 13), so the memory store and the
// PostGIS store are attacked by the same code.
package disclosuretest

import (
	"context"
	"fmt"
	"testing"

	"labmap/data"
	"labmap/geo"
)

// Attacks plays the attacks of issue 13 on public, a store serving ds
// with the default k, with truth the same dataset served without
// suppression (k 1, primary rule only): for every published parent and every way it is
// split into published children, parent minus published children must
// recover either nothing or a group of at least k, made of at least two
// hidden children, for households and for every sensitive count; and no
// published sensitive rate rests on a count of 1..k-1. The true figures
// come from truth. minAttacks guards against a dataset too small to
// attack anything.
func Attacks(t *testing.T, ds data.Dataset, public, truth data.Store, minAttacks int) {
	t.Helper()
	ctx := context.Background()
	k := data.DefaultMinHouseholds
	checks := []struct {
		name      string
		indicator int // the published figure; its true value is the count attacked
	}{
		{"households", data.IndicatorIndex("households")},
		{"chronic_ill", data.IndicatorIndex("chronic_ill")},
		{"disabled", data.IndicatorIndex("disabled")},
	}
	rounds, _ := public.Rounds(ctx)
	for _, ri := range rounds {
		type level struct {
			pub, all map[string]data.AreaStats
		}
		get := func(q data.StatsQuery) level {
			q.Round = ri.Round
			l := level{pub: map[string]data.AreaStats{}, all: map[string]data.AreaStats{}}
			p, err := public.Stats(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			a, err := truth.Stats(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range p {
				l.pub[x.Code] = x
			}
			for _, x := range a {
				l.all[x.Code] = x
			}
			return l
		}
		// attack checks one parent split into children (codes in child),
		// with rest the true households of no child (a zone split's rest).
		attacks := 0
		attack := func(what string, parent data.AreaStats, child level, codes []string, exact bool) {
			attacks++
			for _, c := range checks {
				if parent.Suppressed || !parent.Values[c.indicator].Valid {
					continue
				}
				count, sum := 0, 0.0
				published := 0.0
				for _, code := range codes {
					// A child left out of the list (a suppressed hexagon) is
					// hidden like one listed as suppressed.
					p, listed := child.pub[code]
					v := child.all[code].Values[c.indicator].Number
					if listed && !p.Suppressed && p.Values[c.indicator].Valid {
						published += p.Values[c.indicator].Number
					} else if v > 0 {
						count++
						sum += v
					}
				}
				if count > 0 && (sum < float64(k) || count < 2) {
					t.Errorf("%s %s: %s %s minus published children hides %v in %d children", ri.Round, what, parent.Code, c.name, sum, count)
				}
				if exact {
					if diff := parent.Values[c.indicator].Number - published; diff > 0 && diff < float64(k) {
						t.Errorf("%s %s: %s %s minus published children = %v", ri.Round, what, parent.Code, c.name, diff)
					}
				}
			}
		}
		regency := get(data.StatsQuery{Level: data.LevelRegency})
		districts := get(data.StatsQuery{Level: data.LevelDistrict})
		villages := get(data.StatsQuery{Level: data.LevelVillage})
		zones := get(data.StatsQuery{Level: data.LevelZone})
		var reg data.AreaStats
		for _, a := range regency.pub {
			reg = a
		}
		keys := func(m map[string]data.AreaStats) []string {
			var out []string
			for c := range m {
				out = append(out, c)
			}
			return out
		}
		attack("regency-districts", reg, districts, keys(districts.all), true)
		attack("regency-villages", reg, villages, keys(villages.all), true)
		byDistrict := map[string][]string{}
		for _, v := range ds.Villages {
			byDistrict[v.DistrictCode] = append(byDistrict[v.DistrictCode], v.Code)
		}
		for code, d := range districts.pub {
			attack("district-villages", d, villages, byDistrict[code], true)
		}
		for _, z := range ds.Zones {
			attack("zone-villages", zones.pub[z.ID], villages, z.VillageCodes, true)
		}
		var hexes [geo.MaxRes + 1]level
		for res := geo.MinRes; res <= geo.MaxRes; res++ {
			hexes[res] = get(data.StatsQuery{Level: data.LevelHexagon, Res: res})
			for code, h := range hexes[res].pub {
				if h.Suppressed {
					t.Errorf("%s r%d: suppressed hexagon %s is listed: its cell marks where fewer than k households live", ri.Round, res, code)
				}
			}
			attack(fmt.Sprintf("regency-r%d", res), reg, hexes[res], keys(hexes[res].all), true)
		}
		for res := geo.MinRes; res < geo.MaxRes; res++ {
			for fine := res + 1; fine <= geo.MaxRes; fine++ {
				children := map[string][]string{}
				for code := range hexes[fine].all {
					c, err := geo.ParseCell(code)
					if err != nil {
						t.Fatal(err)
					}
					p := geo.CellString(geo.CellParent(c, res))
					children[p] = append(children[p], code)
				}
				for code, p := range hexes[res].pub {
					attack(fmt.Sprintf("r%d-r%d", res, fine), p, hexes[fine], children[code], false)
				}
			}
		}
		// A hexagon with and without zone=: the difference is the
		// households of no zone, which together must be 0 or at least k,
		// or be hidden with a zone's part.
		for res := geo.MinRes; res <= geo.MaxRes; res++ {
			for _, z := range ds.Zones {
				zh := get(data.StatsQuery{Level: data.LevelHexagon, Res: res, Zone: z.ID})
				for code, part := range zh.pub {
					whole, listed := hexes[res].pub[code]
					if !listed || whole.Suppressed || part.Suppressed {
						continue
					}
					if diff := whole.Households - part.Households; diff > 0 && diff < k {
						t.Errorf("%s r%d %s: hexagon minus zone %s = %d households", ri.Round, res, code, z.ID, diff)
					}
				}
			}
		}
		if attacks < minAttacks {
			t.Errorf("%s: only %d partitions attacked", ri.Round, attacks)
		}
		// No published sensitive figure rests on a count of 1..k-1.
		for _, l := range []level{villages, districts, zones, hexes[8], hexes[10]} {
			for code, p := range l.pub {
				if p.Suppressed {
					continue
				}
				for i, ind := range data.Indicators {
					if !ind.Sensitive || !p.Values[i].Valid {
						continue
					}
					ill, treated := l.all[code].Values[data.IndicatorIndex("chronic_ill")].Number, 0.0
					if ind.Key == "chronic_ill_treated_rate" {
						treated = l.all[code].Values[i].Number * ill
						for _, n := range []float64{ill, treated, ill - treated} {
							if n > 0.5 && n < float64(k)-0.5 {
								t.Errorf("%s %s: %s published over a count of %v", ri.Round, code, ind.Key, n)
							}
						}
					}
				}
			}
		}
	}
}
