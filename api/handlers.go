package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"labmap/data"
	"labmap/geo"

	"github.com/paulmach/orb"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	st, err := s.store.Status(r.Context())
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		return json.NewEncoder(w).Encode(map[string]any{"status": "down", "store": st.Store, "error": "store unavailable"})
	}
	reg := regionOf(st)
	return writeJSON(w, map[string]any{
		"status": "ok", "store": st.Store, "dataset_version": st.DatasetVersion, "households": st.Households,
		"region": reg, "synthetic": reg.Synthetic,
	})
}

// regionJSON is how the API names the dataset's region.
type regionJSON struct {
	Code      string    `json:"code"`
	Name      data.Text `json:"name"`
	Synthetic bool      `json:"synthetic"`
	Source    string    `json:"source,omitempty"`
}

// regionOf names the region of a status, so that no page or document says
// "Pekalongan" unless the data does; data.RegionOf gives an unnamed region
// its code as a name.
func regionOf(st data.Status) regionJSON {
	r := data.RegionOf(st.Region, nil)
	return regionJSON{Code: r.Code, Name: r.Name, Synthetic: r.Synthetic, Source: r.Source}
}

// region answers the dataset's region for documents that name it.
func (s *Server) region(r *http.Request) (regionJSON, error) {
	st, err := s.store.Status(r.Context())
	if err != nil {
		return regionJSON{}, fmt.Errorf("region: %w", err)
	}
	return regionOf(st), nil
}

func langOf(r *http.Request) (string, error) {
	switch l := r.URL.Query().Get("lang"); l {
	case "", "id":
		return "id", nil
	case "en":
		return "en", nil
	default:
		return "", badRequest("parameter lang: %q is not one of id, en", l)
	}
}

func (s *Server) indicators(w http.ResponseWriter, r *http.Request) error {
	lang, err := langOf(r)
	if err != nil {
		return err
	}
	type indicator struct {
		Key         string    `json:"key"`
		Label       string    `json:"label"`
		Description string    `json:"description"`
		Labels      data.Text `json:"labels"`
		Unit        data.Unit `json:"unit"`
		Kind        data.Kind `json:"kind"`
		// Better is lower, higher or neutral: which way is good news.
		Better      data.Better `json:"better"`
		Numerator   string      `json:"numerator,omitempty"`
		Denominator string      `json:"denominator,omitempty"`
		Sensitive   bool        `json:"sensitive"`
	}
	out := make([]indicator, len(data.Indicators))
	for i, ind := range data.Indicators {
		out[i] = indicator{
			Key: ind.Key, Label: ind.Label.In(lang), Description: ind.Description.In(lang), Labels: ind.Label,
			Unit: ind.Unit, Kind: ind.Kind, Better: ind.Better, Sensitive: ind.Sensitive,
		}
		if ind.Kind != data.KindCategory {
			out[i].Numerator = data.Measures[ind.Numerator].Key
		}
		if ind.Kind == data.KindRate {
			out[i].Denominator = data.Measures[ind.Denominator].Key
		}
	}
	return writeJSON(w, map[string]any{"indicators": out, "min_households": s.opt.MinHouseholds})
}

func (s *Server) rounds(w http.ResponseWriter, r *http.Request) error {
	rounds, err := s.store.Rounds(r.Context())
	if err != nil {
		return fmt.Errorf("list rounds: %w", err)
	}
	reg, err := s.region(r)
	if err != nil {
		return err
	}
	// Synthetic figures must never be mistaken for survey results: the flag
	// travels with the rounds that every client reads first.
	return writeJSON(w, map[string]any{"rounds": rounds, "synthetic": reg.Synthetic, "region": reg})
}

func (s *Server) zones(w http.ResponseWriter, r *http.Request) error {
	zones, err := s.store.Zones(r.Context())
	if err != nil {
		return fmt.Errorf("list zones: %w", err)
	}
	type zone struct {
		ID       string        `json:"id"`
		Name     string        `json:"name"`
		Kind     data.ZoneKind `json:"kind"`
		Villages []string      `json:"villages"`
		BBox     []float64     `json:"bbox,omitempty"`
	}
	out := make([]zone, len(zones))
	for i, z := range zones {
		out[i] = zone{ID: z.ID, Name: z.Name, Kind: z.Kind, Villages: z.VillageCodes}
		if len(z.Geometry) > 0 {
			b := z.Geometry.Bound()
			out[i].BBox = []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
		}
	}
	return writeJSON(w, map[string]any{"zones": out})
}

// statsQuery parses /api/stats parameters; every mistake names its parameter.
func statsQuery(r *http.Request) (data.StatsQuery, error) {
	q := r.URL.Query()
	for key := range q {
		switch key {
		case "level", "round", "zone", "lang", "res", "fields", "bbox", "bbox-crs":
		default:
			return data.StatsQuery{}, badRequest("parameter %s: unknown (use level, round, zone, res, lang, fields, bbox)", key)
		}
	}
	sq := data.StatsQuery{Level: data.Level(q.Get("level")), Zone: q.Get("zone"), Unsuppressed: unsuppressed(r)}
	if sq.Level == "" {
		return sq, badRequest("parameter level: required, one of %v", data.Levels)
	}
	if !slices.Contains(data.Levels, sq.Level) {
		return sq, badRequest("parameter level: %q is not one of %v", sq.Level, data.Levels)
	}
	if v := q.Get("round"); v != "" {
		round, err := data.ParseRound(v)
		if err != nil {
			return sq, badRequest("parameter round: %v", err)
		}
		sq.Round = round
	}
	if v := q.Get("res"); v != "" {
		if sq.Level != data.LevelHexagon {
			return sq, badRequest("parameter res: only applies to level=hexagon")
		}
		res, err := strconv.Atoi(v)
		if err != nil || res < geo.MinRes || res > geo.MaxRes {
			return sq, badRequest("parameter res: %q is not an H3 resolution from %d to %d", v, geo.MinRes, geo.MaxRes)
		}
		sq.Res = res
	} else if sq.Level == data.LevelHexagon {
		sq.Res = 8
	}
	return sq, nil
}

// statsFields parses fields=, the indicators a client wants (a map view
// needs one or two of twenty): their positions in the registry, in registry
// order; nil, without the parameter, is every indicator.
func statsFields(r *http.Request) ([]int, error) {
	v, ok := r.URL.Query()["fields"]
	if !ok {
		return nil, nil
	}
	want := map[int]bool{}
	for _, list := range v {
		for key := range strings.SplitSeq(list, ",") {
			key = strings.TrimSpace(key)
			i := data.IndicatorIndex(key)
			if i < 0 {
				keys := make([]string, len(data.Indicators))
				for j, ind := range data.Indicators {
					keys[j] = ind.Key
				}
				if key == "" {
					return nil, badRequest("parameter fields: empty name; give indicator keys separated by commas (%s)", strings.Join(keys, ", "))
				}
				return nil, badRequest("parameter fields: unknown indicator %q (indicators: %s)", key, strings.Join(keys, ", "))
			}
			want[i] = true
		}
	}
	out := make([]int, 0, len(want))
	for i := range data.Indicators {
		if want[i] {
			out = append(out, i)
		}
	}
	return out, nil
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) error {
	sq, err := statsQuery(r)
	if err != nil {
		return err
	}
	fields, err := statsFields(r)
	if err != nil {
		return err
	}
	lang, err := langOf(r)
	if err != nil {
		return err
	}
	_, bound, err := parsePlace(r.URL.Query())
	if err != nil {
		return err
	}
	if sq.Level == data.LevelHexagon {
		if err := checkHexStats(sq.Res, sq.Zone, bound, fields); err != nil {
			return err
		}
	}
	areas, version, err := s.statsVersioned(r, sq, bound)
	if err != nil {
		return fmt.Errorf("stats %s: %w", sq.Level, err)
	}
	round := sq.Round
	if len(areas) > 0 {
		round = areas[0].Round
	} else if round == "" {
		rounds, err := s.store.Rounds(r.Context())
		if err != nil {
			return fmt.Errorf("stats %s: %w", sq.Level, err)
		}
		if len(rounds) > 0 {
			round = rounds[len(rounds)-1].Round
		}
	}
	var regionName data.Text
	if sq.Level == data.LevelRegency {
		reg, err := s.region(r)
		if err != nil {
			return err
		}
		regionName = reg.Name
	}
	var buf bytes.Buffer
	buf.WriteString(`{"level":`)
	writeString(&buf, string(sq.Level))
	buf.WriteString(`,"round":`)
	writeString(&buf, string(round))
	if sq.Zone != "" {
		buf.WriteString(`,"zone":`)
		writeString(&buf, sq.Zone)
	}
	if sq.Level == data.LevelHexagon {
		buf.WriteString(`,"res":` + strconv.Itoa(sq.Res))
	}
	buf.WriteString(`,"lang":`)
	writeString(&buf, lang)
	buf.WriteString(`,"min_households":` + strconv.Itoa(s.opt.MinHouseholds))
	buf.WriteString(`,"count":` + strconv.Itoa(len(areas)) + `,"areas":[`)
	for i := range areas {
		if i > 0 {
			buf.WriteByte(',')
		}
		appendArea(&buf, &areas[i], regionName, lang, s.opt.MinHouseholds, fields)
	}
	buf.WriteString("]}\n")
	w.Header().Set("Content-Type", "application/json")
	if version >= 0 {
		w.Header().Set("X-Dataset-Version", strconv.FormatInt(version, 10))
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// statsVersioned is statsIn with the dataset version its figures are from,
// read on both sides of them: behind a load balancer an import reaches
// instances at different moments, and the header lets a client (and the
// cluster test) tell which version each answer is. A version that moved
// during the read names no one answer, so the read is repeated, as tiles
// are; it is -1 when it kept moving.
func (s *Server) statsVersioned(r *http.Request, sq data.StatsQuery, bound *orb.Bound) ([]data.AreaStats, int64, error) {
	version, err := s.store.Version(r.Context())
	if err != nil {
		return nil, 0, err
	}
	for attempt := 0; ; attempt++ {
		areas, err := s.statsIn(r, sq, bound)
		if err != nil {
			return nil, 0, err
		}
		after, err := s.store.Version(r.Context())
		if err != nil {
			return nil, 0, err
		}
		if after == version {
			return areas, version, nil
		}
		if attempt == 2 {
			return areas, -1, nil
		}
		version = after
	}
}

// statsIn answers the rows of sq, only those of areas whose bounding box
// meets bound when there is one, in code order as Stats gives them.
func (s *Server) statsIn(r *http.Request, sq data.StatsQuery, bound *orb.Bound) ([]data.AreaStats, error) {
	if bound == nil {
		return s.store.Stats(r.Context(), sq)
	}
	if sq.Level == data.LevelRegency {
		return nil, badRequest("parameter bbox: not for level=regency, which has one row")
	}
	areas, err := s.store.Areas(r.Context(), data.AreaQuery{StatsQuery: sq, Bound: *bound})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(areas, func(a, b data.Area) int { return strings.Compare(a.Code, b.Code) })
	return data.StatsOf(areas), nil
}

func writeString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	buf.Write(b)
}

// suppressedReason explains hidden figures to the people who will read them.
// It is one text for both causes: saying which one hid an area would tell
// that an area hidden to protect a neighbour has at least k households.
var suppressedReason = data.Text{
	ID: "disembunyikan: kurang dari %d rumah tangga, atau untuk melindungi wilayah lain yang disembunyikan",
	EN: "hidden: fewer than %d households, or to protect another hidden area",
}

// appendArea writes one area as a flat JSON object: the indicators sit beside
// code and name in registry order, so the same row can become a CSV line or
// tile feature properties without reshaping. region names the regency row;
// fields, when not nil, limits the indicators to those positions (code, name
// and the suppression flag always come along).
func appendArea(buf *bytes.Buffer, a *data.AreaStats, region data.Text, lang string, k int, fields []int) {
	buf.WriteString(`{"code":`)
	writeString(buf, a.Code)
	buf.WriteString(`,"name":`)
	name := a.Name
	if a.Level == data.LevelRegency {
		name = region.In(lang)
	}
	writeString(buf, name)
	switch a.Level {
	case data.LevelVillage:
		buf.WriteString(`,"district_code":`)
		writeString(buf, a.Parent)
	case data.LevelZone:
		buf.WriteString(`,"kind":`)
		writeString(buf, a.Parent)
	}
	if a.Suppressed {
		buf.WriteString(`,"suppressed":true,"suppressed_reason":`)
		writeString(buf, fmt.Sprintf(suppressedReason.In(lang), k))
		buf.WriteByte('}')
		return
	}
	buf.WriteString(`,"suppressed":false`)
	var withheld []string
	cause := data.IndicatorIndex("dominant_cause")
	wantCause := fields == nil
	for i, ind := range data.Indicators {
		if fields != nil {
			if !slices.Contains(fields, i) {
				continue
			}
			wantCause = wantCause || i == cause
		}
		v := a.Values[i]
		buf.WriteString(`,"` + ind.Key + `":`)
		switch {
		case !v.Valid:
			buf.WriteString("null")
			if v.Withheld {
				withheld = append(withheld, ind.Key)
			}
		case ind.Kind == data.KindCategory:
			writeString(buf, v.Text)
		default:
			buf.Write(strconv.AppendFloat(nil, v.Number, 'f', -1, 64))
		}
	}
	if wantCause && a.Values[cause].Valid {
		buf.WriteString(`,"dominant_cause_label":`)
		writeString(buf, data.Causes[a.Values[cause].Text].In(lang))
	}
	if len(withheld) > 0 {
		buf.WriteString(`,"withheld":`)
		b, _ := json.Marshal(withheld)
		buf.Write(b)
	}
	buf.WriteByte('}')
}
