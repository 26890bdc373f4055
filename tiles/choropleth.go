package tiles

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"labmap/data"
)

// Choropleth is how one indicator is drawn on one level at one round: its
// classes and colours, in one language. Every style labmap writes — the
// MapLibre style, QGIS's QML, SLD — is built from one Choropleth, so the web
// map, QGIS and other tools show the same classes in the same colours.
type Choropleth struct {
	Indicator     data.Indicator
	Legend        []LegendEntry
	Lang          string
	MinHouseholds int
}

// StyleQuery names a choropleth: an indicator (registry key) over the areas
// of a level (Res for hexagons, default 8) at a round (empty: the latest),
// optionally only one lab zone's areas, labelled in Lang ("id" unless "en").
type StyleQuery struct {
	Indicator     string
	Level         data.Level
	Res           int
	Round         data.Round
	Zone          string
	Lang          string
	MinHouseholds int
}

// ErrUnknownIndicator marks a StyleQuery naming no indicator of the registry.
var ErrUnknownIndicator = errors.New("unknown indicator")

// NewChoropleth classifies the published values of areas: quantile breaks
// for numbers, the categories present (most frequent first, so the
// strongest colours go to the common causes) for a category. Suppressed
// areas and withheld figures take no part.
func NewChoropleth(ind data.Indicator, areas []data.AreaStats, lang string, k int) Choropleth {
	i := data.IndicatorIndex(ind.Key)
	var values []float64
	counts := map[string]int{}
	for _, a := range areas {
		if a.Suppressed || i < 0 || i >= len(a.Values) || !a.Values[i].Valid {
			continue
		}
		values = append(values, a.Values[i].Number)
		counts[a.Values[i].Text]++
	}
	var categories []string
	if ind.Kind == data.KindCategory {
		for c := range counts {
			categories = append(categories, c)
		}
		slices.SortFunc(categories, func(a, b string) int {
			if c := counts[b] - counts[a]; c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
	}
	if k <= 0 {
		k = data.DefaultMinHouseholds
	}
	if lang != "en" {
		lang = "id"
	}
	return Choropleth{Indicator: ind, Legend: Legend(ind, Breaks(values), categories, lang), Lang: lang, MinHouseholds: k}
}

// Classify reads the areas q names from store and classifies them.
// A query naming an unknown indicator fails with ErrUnknownIndicator; one
// the store refuses (a round or zone it lacks) with data.ErrInvalidQuery.
func Classify(ctx context.Context, store data.Store, q StyleQuery) (Choropleth, error) {
	i := data.IndicatorIndex(q.Indicator)
	if i < 0 {
		return Choropleth{}, fmt.Errorf("%w %q (see /api/indicators)", ErrUnknownIndicator, q.Indicator)
	}
	sq := data.StatsQuery{Level: q.Level, Round: q.Round, Zone: q.Zone, Res: q.Res}
	if sq.Level == data.LevelHexagon && sq.Res == 0 {
		sq.Res = 8
	}
	areas, err := store.Stats(ctx, sq)
	if err != nil {
		return Choropleth{}, fmt.Errorf("classifying %s over %s: %w", q.Indicator, q.Level, err)
	}
	return NewChoropleth(data.Indicators[i], areas, q.Lang, q.MinHouseholds), nil
}

// SuppressedLabel is the legend label of hidden areas: fewer than k
// households, or hidden so that another hidden area cannot be derived.
func (c Choropleth) SuppressedLabel() string {
	return strings.Replace(data.Text{ID: "disembunyikan: kurang dari K rumah tangga, atau melindungi wilayah lain", EN: "hidden: fewer than K households, or protecting another area"}.In(c.Lang),
		"K", strconv.Itoa(c.MinHouseholds), 1)
}

// NoValueLabel is the legend label of areas without the figure: withheld
// (a sensitive count resting on too few people) or not surveyed.
func (c Choropleth) NoValueLabel() string {
	return data.Text{ID: "tidak ada data / dirahasiakan", EN: "no data / withheld"}.In(c.Lang)
}

// Class is one legend entry with the test that puts an area in it, as
// bounds a style language can compare with.
type Class struct {
	LegendEntry
	// Index is the class's position in the legend.
	Index int
}

// Classes returns the legend entries with their positions.
func (c Choropleth) Classes() []Class {
	out := make([]Class, len(c.Legend))
	for i, e := range c.Legend {
		out[i] = Class{LegendEntry: e, Index: i}
	}
	return out
}

// FormatBound writes a class bound exactly (shortest round-trip form), so a
// client comparing the published figure with it classifies it as labmap does.
func FormatBound(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}
