// Package report writes printable products of labmap's public figures: a
// zone's or the regency's report as an A4 PDF for meetings, and its map as a
// PNG for slides. A report is its own product with its own dependencies (a
// PDF writer, a rasteriser, embedded fonts), kept out of the HTTP and tile
// packages so that neither carries them; the server and the command line
// both call it.
//
// A report reads only what the public map reads: suppressed aggregates
// through data.Store (StatsQuery with Unsuppressed false), classified by
// tiles.Classify, so it never prints a figure the map hides.
package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"labmap/data"
	"labmap/geo"
	"labmap/tiles"

	"github.com/paulmach/orb"
)

// Regency is the zone id that names the whole regency (or whatever region the
// dataset covers) instead of one lab zone.
const Regency = "regency"

// DefaultIndicator is the indicator a report maps when Options names none.
const DefaultIndicator = "poverty_rate"

// PNG size defaults and bounds, in pixels.
const (
	DefaultWidth  = 1600
	DefaultHeight = 1000
	MinSize       = 200
	MaxSize       = 4000
)

// Options selects what a report shows.
type Options struct {
	// Zone is a lab zone id; "" or Regency is the whole regency.
	Zone string
	// Round is the survey round reported; "" is the latest.
	Round data.Round
	// Indicator is the registry key mapped; "" is DefaultIndicator.
	Indicator string
	// Lang is "id" (the default) or "en".
	Lang string
	// Width and Height size the PNG map in pixels; 0 takes the defaults.
	// The PDF lays out its own map and ignores them.
	Width, Height int
	// Synthetic prints the notice that the households are synthetic, also
	// printed whenever the store's region says so.
	Synthetic bool
	// MinHouseholds is the suppression threshold k the store applies, for
	// the legend and the rule printed; 0 is data.DefaultMinHouseholds.
	MinHouseholds int
}

// ErrUnknownZone marks options naming a zone the dataset lacks; the API
// answers it with 404.
var ErrUnknownZone = errors.New("unknown zone")

// ErrInvalidOption marks options the report cannot honour (a round the
// dataset lacks, an unknown indicator, a size out of bounds); the message
// names the option, and the API answers it with 400.
var ErrInvalidOption = errors.New("invalid option")

// KeyFigures are the indicators a report compares between the baseline and
// the reported round, in print order: poor households, poverty rate, lifted
// rate, RTLH repaired, latrine access, out of school, chronic illness
// treated and disability assisted.
func KeyFigures() []string {
	return []string{"poor", "poverty_rate", "lifted_rate", "rtlh_repaired_rate", "latrine_access_rate",
		"out_of_school_rate", "chronic_ill_treated_rate", "disabled_assisted_rate"}
}

// WritePDF writes the report of opt.Zone (or the regency) to w as an A4
// landscape PDF: the map with key figures and charts on page 1, the table of
// villages, definitions, suppression rule and source after.
func WritePDF(ctx context.Context, store data.Store, opt Options, w io.Writer) error {
	m, err := load(ctx, store, opt)
	if err != nil {
		return err
	}
	return writePDF(m, w)
}

// WritePNG writes the map of opt.Zone (or the regency) to w as a PNG of
// opt.Width × opt.Height pixels, with legend, scale bar, north arrow, source
// line and, for a zone, an inset of the regency.
func WritePNG(ctx context.Context, store data.Store, opt Options, w io.Writer) error {
	if err := checkSize(opt.Width, opt.Height); err != nil {
		return err
	}
	m, err := load(ctx, store, opt)
	if err != nil {
		return err
	}
	width, height := opt.Width, opt.Height
	if width == 0 {
		width = DefaultWidth
	}
	if height == 0 {
		height = DefaultHeight
	}
	img, err := m.renderMap(width, height, true)
	if err != nil {
		return err
	}
	return encodePNG(w, img)
}

// checkSize accepts 0 (the default) or a size within MinSize..MaxSize.
func checkSize(width, height int) error {
	for _, d := range []struct {
		name string
		v    int
	}{{"width", width}, {"height", height}} {
		if d.v != 0 && (d.v < MinSize || d.v > MaxSize) {
			return fmt.Errorf("%w %s: must be between %d and %d pixels, got %d", ErrInvalidOption, d.name, MinSize, MaxSize, d.v)
		}
	}
	return nil
}

// model is everything one report prints, read once from the store.
type model struct {
	lang      string
	k         int
	region    data.Region
	synthetic bool
	version   int64
	zone      *data.Zone // nil for the regency
	round     data.Round
	rounds    []data.RoundInfo // up to and including round
	indicator data.Indicator
	ch        tiles.Choropleth
	// villages are the areas drawn, with outlines, at round.
	villages []data.Area
	// all are every village of the region, for the inset.
	all []data.Area
	// zoneOutlines are the lab zones drawn: the report's zone, or every
	// zone on the regency's map.
	zoneOutlines []zoneOutline
	// summary is the zone's (or regency's) row at each of rounds.
	summary []data.AreaStats
	// rows are the table's areas at round: the zone's villages, or the
	// regency's districts.
	rows []data.AreaStats
	// districtNames maps district codes to names, for the zone's kecamatan.
	districtNames map[string]string
}

// load reads the model of opt from store, checking opt as it goes.
func load(ctx context.Context, store data.Store, opt Options) (*model, error) {
	m := &model{lang: "id", k: opt.MinHouseholds}
	switch opt.Lang {
	case "", "id":
	case "en":
		m.lang = "en"
	default:
		return nil, fmt.Errorf("%w lang: must be id or en, got %q", ErrInvalidOption, opt.Lang)
	}
	if m.k <= 0 {
		m.k = data.DefaultMinHouseholds
	}
	key := opt.Indicator
	if key == "" {
		key = DefaultIndicator
	}
	ii := data.IndicatorIndex(key)
	if ii < 0 {
		return nil, fmt.Errorf("%w indicator: %q is not in the registry (see /api/indicators)", ErrInvalidOption, key)
	}
	m.indicator = data.Indicators[ii]

	st, err := store.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: status: %w", err)
	}
	m.region, m.version = st.Region, st.DatasetVersion
	m.synthetic = opt.Synthetic || st.Region.Synthetic

	rounds, err := store.Rounds(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: rounds: %w", err)
	}
	if len(rounds) == 0 {
		return nil, fmt.Errorf("%w round: the dataset has no survey rounds", ErrInvalidOption)
	}
	slices.SortFunc(rounds, func(a, b data.RoundInfo) int {
		return strings.Compare(string(a.Round), string(b.Round))
	})
	m.round = opt.Round
	if m.round == "" {
		m.round = rounds[len(rounds)-1].Round
	}
	at := slices.IndexFunc(rounds, func(r data.RoundInfo) bool { return r.Round == m.round })
	if at < 0 {
		return nil, fmt.Errorf("%w round: %q is not a survey round of the dataset (see /api/rounds)", ErrInvalidOption, m.round)
	}
	m.rounds = rounds[:at+1]

	zoneID := opt.Zone
	if zoneID == Regency {
		zoneID = ""
	}
	if zoneID != "" {
		zones, err := store.Zones(ctx)
		if err != nil {
			return nil, fmt.Errorf("report: zones: %w", err)
		}
		zi := slices.IndexFunc(zones, func(z data.Zone) bool { return z.ID == zoneID })
		if zi < 0 {
			return nil, fmt.Errorf("%w %q (see /api/zones)", ErrUnknownZone, zoneID)
		}
		m.zone = &zones[zi]
	}

	// The classes are the web map's: every village of the region at the
	// round, whatever zone the report is about, so a colour means the same
	// on the map, in the tiles' styles and on paper.
	m.ch, err = tiles.Classify(ctx, store, tiles.StyleQuery{Indicator: key, Level: data.LevelVillage, Round: m.round, Lang: m.lang, MinHouseholds: m.k})
	if err != nil {
		return nil, fmt.Errorf("report: classes: %w", err)
	}
	extent, err := store.Extent(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: extent: %w", err)
	}
	m.all, err = store.Areas(ctx, data.AreaQuery{StatsQuery: data.StatsQuery{Level: data.LevelVillage, Round: m.round}, Bound: extent})
	if err != nil {
		return nil, fmt.Errorf("report: villages: %w", err)
	}
	m.villages = m.all
	if m.zone != nil {
		m.villages, err = store.Areas(ctx, data.AreaQuery{StatsQuery: data.StatsQuery{Level: data.LevelVillage, Round: m.round, Zone: zoneID}, Bound: extent})
		if err != nil {
			return nil, fmt.Errorf("report: villages of zone %s: %w", zoneID, err)
		}
	}
	districts, err := store.Stats(ctx, data.StatsQuery{Level: data.LevelDistrict, Round: m.round})
	if err != nil {
		return nil, fmt.Errorf("report: districts: %w", err)
	}
	m.districtNames = map[string]string{}
	for _, d := range districts {
		m.districtNames[d.Code] = d.Name
	}
	if err := m.outlineZones(ctx, store); err != nil {
		return nil, err
	}

	// The whole region is its regency's row, or its province's when the
	// database holds several regencies of one province.
	level, code := data.LevelRegency, m.region.Code
	if !strings.Contains(code, ".") {
		level = data.LevelProvince
	}
	if zoneID != "" {
		level, code = data.LevelZone, zoneID
	}
	for _, r := range m.rounds {
		rows, err := store.Stats(ctx, data.StatsQuery{Level: level, Round: r.Round, Zone: zoneID})
		if err != nil {
			return nil, fmt.Errorf("report: %s figures at %s: %w", level, r.Round, err)
		}
		row := data.AreaStats{Level: level, Round: r.Round, Suppressed: true}
		for _, a := range rows {
			if a.Code == code {
				row = a
				break
			}
		}
		m.summary = append(m.summary, row)
	}
	if zoneID != "" {
		m.rows = data.StatsOf(m.villages)
	} else {
		m.rows = districts
	}
	slices.SortFunc(m.rows, func(a, b data.AreaStats) int { return strings.Compare(a.Code, b.Code) })
	return m, nil
}

// zoneOutline is a lab zone's outline, dissolved from its villages as the
// tiles' zones layer is.
type zoneOutline struct {
	kind    data.ZoneKind
	outline orb.MultiPolygon
}

// outlineZones dissolves the outline of each zone the map draws.
func (m *model) outlineZones(ctx context.Context, store data.Store) error {
	zones := []data.Zone{}
	if m.zone != nil {
		zones = append(zones, *m.zone)
	} else {
		var err error
		if zones, err = store.Zones(ctx); err != nil {
			return fmt.Errorf("report: zones: %w", err)
		}
	}
	byCode := map[string]orb.MultiPolygon{}
	for _, a := range m.all {
		byCode[a.Code] = a.Geometry
	}
	for _, z := range zones {
		var parts []orb.MultiPolygon
		for _, c := range z.VillageCodes {
			if g, ok := byCode[c]; ok {
				parts = append(parts, g)
			}
		}
		if len(parts) == 0 {
			continue
		}
		outline, err := geo.Dissolve(parts)
		if err != nil {
			return fmt.Errorf("report: outline of zone %s: %w", z.ID, err)
		}
		m.zoneOutlines = append(m.zoneOutlines, zoneOutline{kind: z.Kind, outline: outline})
	}
	return nil
}

// MapPoint is where p (longitude, latitude) falls on the PNG map of opt, in
// pixels from the top left: for tools that annotate the map, and for tests
// that read a village's colour back from it.
func MapPoint(ctx context.Context, store data.Store, opt Options, p orb.Point) (x, y float64, err error) {
	if err := checkSize(opt.Width, opt.Height); err != nil {
		return 0, 0, err
	}
	m, err := load(ctx, store, opt)
	if err != nil {
		return 0, 0, err
	}
	width, height := opt.Width, opt.Height
	if width == 0 {
		width = DefaultWidth
	}
	if height == 0 {
		height = DefaultHeight
	}
	x, y = m.mapFrame(newMapLayout(width, height, true)).pixel(p)
	return x, y, nil
}
