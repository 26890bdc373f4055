package data

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"labmap/geo"
)

// GeoJSON is read in two steps: a json.Decoder walks the FeatureCollection
// and hands out one feature at a time as raw JSON, so a country's villages
// never sit in memory as one tree; each feature is then decoded on its own,
// so a malformed feature is one problem rather than the end of the file.
//
// Coordinates are parsed by hand (coordScanner) rather than by orb's geojson
// package or by decoding into [][]float64: those accept what we must refuse.
// encoding/json turns a null coordinate into 0, and orb.Point, a [2]float64,
// silently drops a third number and leaves a missing second one at 0. Rings
// are kept exactly as written: an unclosed ring stays unclosed, so that
// geo.ValidatePolygon sees it.

// rawFeature is one feature before the checks of its kind of file.
type rawFeature struct {
	Type       string          `json:"type"`
	ID         json.RawMessage `json:"id"`
	Properties json.RawMessage `json:"properties"`
	Geometry   json.RawMessage `json:"geometry"`
}

// feature is a decoded feature; n is its 1-based position in the file.
type feature struct {
	n     int
	id    json.RawMessage
	props map[string]json.RawMessage
	geom  json.RawMessage
}

// readFeatures walks a FeatureCollection and calls fn for every feature whose
// envelope is sound. It returns an error only for failures to read r; what is
// wrong with the content goes to ps.
func readFeatures(r io.Reader, ps *problems, fn func(f *feature)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	dec := json.NewDecoder(br)
	// jsonProblem turns a decoding error into a problem, or reports that it
	// is an I/O error the caller must return.
	jsonProblem := func(n int, err error) error {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			ps.add(Problem{Feature: n, Msg: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, err)})
		case errors.As(err, &te):
			ps.add(Problem{Feature: n, Msg: fmt.Sprintf("invalid GeoJSON at byte %d: %v", te.Offset, err)})
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			ps.add(Problem{Feature: n, Msg: "the file ends in the middle of the JSON"})
		default:
			return err
		}
		return nil
	}

	tok, err := dec.Token()
	if err == io.EOF {
		ps.add(Problem{Msg: "the file is empty"})
		return nil
	}
	if err != nil {
		return jsonProblem(0, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		ps.add(Problem{Msg: "is not a GeoJSON FeatureCollection: it does not start with an object"})
		return nil
	}
	var typ string
	sawFeatures := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonProblem(0, err)
		}
		switch key, _ := tok.(string); key {
		case "type":
			if err := dec.Decode(&typ); err != nil {
				return jsonProblem(0, err)
			}
		case "crs":
			var crs struct {
				Properties struct {
					Name string `json:"name"`
				} `json:"properties"`
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return jsonProblem(0, err)
			}
			if json.Unmarshal(raw, &crs) == nil && crs.Properties.Name != "" && !isWGS84(crs.Properties.Name) {
				ps.add(Problem{Field: "crs", Msg: fmt.Sprintf("%q is not WGS84 longitude/latitude; reproject the file to EPSG:4326 (for example ogr2ogr -t_srs EPSG:4326)", crs.Properties.Name)})
				return nil
			}
		case "features":
			sawFeatures = true
			tok, err := dec.Token()
			if err != nil {
				return jsonProblem(0, err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				ps.add(Problem{Field: "features", Msg: "is not an array"})
				return nil
			}
			n := 0
			for dec.More() {
				n++
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return jsonProblem(n, err)
				}
				var rf rawFeature
				if err := json.Unmarshal(raw, &rf); err != nil {
					if !ps.add(Problem{Feature: n, Msg: "is not a GeoJSON Feature object"}) {
						return nil
					}
					continue
				}
				if rf.Type != "Feature" {
					if !ps.add(Problem{Feature: n, Field: "type", Msg: fmt.Sprintf("is %q, want \"Feature\"", rf.Type)}) {
						return nil
					}
					continue
				}
				f := &feature{n: n, id: rf.ID, geom: rf.Geometry}
				if len(rf.Properties) > 0 && string(rf.Properties) != "null" {
					if err := json.Unmarshal(rf.Properties, &f.props); err != nil {
						if !ps.add(Problem{Feature: n, Field: "properties", Msg: "is not an object"}) {
							return nil
						}
						continue
					}
				}
				fn(f)
				if ps.more {
					return nil
				}
			}
			if _, err := dec.Token(); err != nil {
				return jsonProblem(n, err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return jsonProblem(0, err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return jsonProblem(0, err)
	}
	if typ != "FeatureCollection" {
		ps.add(Problem{Field: "type", Msg: fmt.Sprintf("is %q: the file must be a GeoJSON FeatureCollection", typ)})
	} else if !sawFeatures {
		ps.add(Problem{Field: "features", Msg: "missing: a FeatureCollection needs a features array"})
	}
	return nil
}

// isWGS84 accepts the names GIS tools write for longitude/latitude on WGS84.
func isWGS84(name string) bool {
	n := strings.ToUpper(name)
	return strings.HasSuffix(n, "CRS84") || strings.HasSuffix(n, ":4326") || n == "EPSG4326" || n == "WGS84"
}

// str reads a property as text. Codes arrive as numbers from spreadsheets and
// shapefile conversions, so numbers are accepted and kept as written.
// present is false when the property is absent or null.
func (f *feature) str(name string) (s string, present bool, msg string) {
	return jsonString(f.props[name])
}

func jsonString(raw json.RawMessage) (s string, present bool, msg string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, ""
	}
	switch raw[0] {
	case '"':
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", true, "is not a valid string"
		}
		return strings.TrimSpace(s), true, ""
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return string(raw), true, ""
	}
	return "", true, fmt.Sprintf("must be a string or a number, got %s", abbreviate(raw))
}

// boolean reads an optional yes/no property; absent or null is false.
func (f *feature) boolean(name string) (bool, string) {
	raw := bytes.TrimSpace(f.props[name])
	switch strings.ToLower(strings.Trim(string(raw), `"`)) {
	case "", "null", "false", "0", "no", "tidak":
		return false, ""
	case "true", "1", "yes", "ya":
		return true, ""
	}
	return false, fmt.Sprintf("%s is not true or false", abbreviate(raw))
}

func abbreviate(raw []byte) string {
	if len(raw) > 40 {
		return string(raw[:37]) + "..."
	}
	return string(raw)
}

// polygons decodes and validates a Polygon or MultiPolygon geometry. It
// returns nil and no message for a null or absent geometry, which only some
// files allow.
//
// Polygons are rejected, never repaired, when a ring is unclosed, too short
// or crosses itself: a guessed repair could silently move households from
// one village to another.
func (f *feature) polygons() (orb.MultiPolygon, string) {
	raw := bytes.TrimSpace(f.geom)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, ""
	}
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, "is not a GeoJSON geometry object"
	}
	sc := coordScanner{b: g.Coordinates}
	var mp orb.MultiPolygon
	var err error
	switch g.Type {
	case "Polygon":
		var p orb.Polygon
		p, err = sc.polygon()
		mp = orb.MultiPolygon{p}
	case "MultiPolygon":
		mp, err = sc.multiPolygon()
		if err == nil && len(mp) == 0 {
			err = errors.New("MultiPolygon has no polygons")
		}
	default:
		return nil, fmt.Sprintf("type %q is not Polygon or MultiPolygon", g.Type)
	}
	if err == nil {
		err = sc.end()
	}
	if err != nil {
		return nil, "coordinates: " + err.Error()
	}
	for i, p := range mp {
		part := ""
		if len(mp) > 1 {
			part = fmt.Sprintf("polygon %d: ", i+1)
		}
		for _, ring := range p {
			for _, pt := range ring {
				if pt[0] < -180 || pt[0] > 180 || pt[1] < -90 || pt[1] > 90 {
					return nil, fmt.Sprintf("%sposition (%g, %g) is not WGS84 longitude/latitude; the file is probably in a projected CRS such as UTM: reproject it to EPSG:4326",
						part, pt[0], pt[1])
				}
			}
		}
		if err := geo.ValidatePolygon(p); err != nil {
			return nil, part + err.Error()
		}
	}
	return mp, ""
}

// coordScanner parses GeoJSON coordinate arrays strictly: every position
// must hold two or three numbers. Its input has already passed the JSON
// syntax check, so it only needs to tell arrays from numbers and other values.
type coordScanner struct {
	b []byte
	i int
}

func (s *coordScanner) ws() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\n' || s.b[s.i] == '\r' || s.b[s.i] == '\t') {
		s.i++
	}
}

func (s *coordScanner) found() string {
	s.ws()
	if s.i >= len(s.b) {
		return "nothing"
	}
	end := min(s.i+12, len(s.b))
	return strconv.Quote(string(s.b[s.i:end]))
}

// array calls elem for each element of the array at the cursor.
func (s *coordScanner) array(what string, elem func() error) error {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return fmt.Errorf("expected an array of %s, found %s", what, s.found())
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return errors.New("unterminated array")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return fmt.Errorf("expected , or ] in an array of %s, found %s", what, s.found())
		}
	}
}

func (s *coordScanner) number() (float64, error) {
	s.ws()
	start := s.i
	for s.i < len(s.b) && strings.IndexByte("+-0123456789.eE", s.b[s.i]) >= 0 {
		s.i++
	}
	if start == s.i {
		return 0, fmt.Errorf("expected a number, found %s", s.found())
	}
	v, err := strconv.ParseFloat(string(s.b[start:s.i]), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a usable number", s.b[start:s.i])
	}
	return v, nil
}

func (s *coordScanner) position() (orb.Point, error) {
	var p orb.Point
	n := 0
	err := s.array("numbers", func() error {
		v, err := s.number()
		if n < 2 {
			p[n] = v
		}
		n++
		return err
	})
	if err == nil && n < 2 {
		err = fmt.Errorf("a position has %d numbers, needs longitude and latitude", n)
	}
	return p, err
}

func (s *coordScanner) ring() (orb.Ring, error) {
	var r orb.Ring
	err := s.array("positions", func() error {
		p, err := s.position()
		r = append(r, p)
		return err
	})
	return r, err
}

func (s *coordScanner) polygon() (orb.Polygon, error) {
	var p orb.Polygon
	err := s.array("rings", func() error {
		r, err := s.ring()
		p = append(p, r)
		return err
	})
	return p, err
}

func (s *coordScanner) multiPolygon() (orb.MultiPolygon, error) {
	var mp orb.MultiPolygon
	err := s.array("polygons", func() error {
		p, err := s.polygon()
		mp = append(mp, p)
		return err
	})
	return mp, err
}

func (s *coordScanner) end() error {
	s.ws()
	if s.i != len(s.b) {
		return fmt.Errorf("unexpected %s after the coordinates", s.found())
	}
	return nil
}

// ReadVillages reads villages from a GeoJSON FeatureCollection of Polygon or
// MultiPolygon features. The code and name come from the properties named by
// opt.VillageCodeField and opt.VillageNameField; district_code (else derived
// from the code) and kelurahan are optional. Invalid polygons are rejected,
// not repaired. Problems come back together as an *InputError.
func ReadVillages(r io.Reader, file string, opt ReadOptions) ([]Village, error) {
	opt = opt.withDefaults()
	ps := &problems{file: file, max: opt.MaxErrors}
	var vs []Village
	firstByCode := make(map[string]int)
	err := readFeatures(r, ps, func(f *feature) {
		bad := false
		fail := func(ref, field, msg string) {
			bad = true
			ps.add(Problem{Feature: f.n, Ref: ref, Field: field, Msg: msg})
		}
		code, ok, msg := f.str(opt.VillageCodeField)
		ref := ""
		switch {
		case msg != "":
			fail("", opt.VillageCodeField, msg)
		case !ok:
			fail("", opt.VillageCodeField, "missing")
		case code == "":
			fail("", opt.VillageCodeField, "is empty")
		default:
			ref = "code " + code
			if first, dup := firstByCode[code]; dup {
				fail(ref, opt.VillageCodeField, fmt.Sprintf("code %s is also used by feature %d", code, first))
			} else {
				firstByCode[code] = f.n
			}
		}
		name, ok, msg := f.str(opt.VillageNameField)
		switch {
		case msg != "":
			fail(ref, opt.VillageNameField, msg)
		case !ok:
			fail(ref, opt.VillageNameField, "missing")
		case name == "":
			fail(ref, opt.VillageNameField, "is empty")
		}
		district, _, msg := f.str("district_code")
		if msg != "" {
			fail(ref, "district_code", msg)
		}
		if district == "" {
			district = DistrictCodeOf(code)
		}
		kel, msg := f.boolean("kelurahan")
		if msg != "" {
			fail(ref, "kelurahan", msg)
		}
		mp, msg := f.polygons()
		if msg == "" && mp == nil {
			msg = "missing: a village needs a Polygon or MultiPolygon"
		}
		if msg != "" {
			fail(ref, "geometry", msg)
		}
		if !bad && len(ps.list) == 0 {
			vs = append(vs, Village{Code: code, Name: name, DistrictCode: district, Kelurahan: kel, Geometry: mp})
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, &InputError{File: file, Problems: []Problem{{Msg: "has no village features"}}}
	}
	return vs, nil
}

// ReadDistricts reads districts (kecamatan) from a GeoJSON FeatureCollection
// with code and name properties; the geometry is optional since districts can
// be built from their villages.
func ReadDistricts(r io.Reader, file string, opt ReadOptions) ([]District, error) {
	opt = opt.withDefaults()
	ps := &problems{file: file, max: opt.MaxErrors}
	var ds []District
	firstByCode := make(map[string]int)
	err := readFeatures(r, ps, func(f *feature) {
		bad := false
		fail := func(ref, field, msg string) {
			bad = true
			ps.add(Problem{Feature: f.n, Ref: ref, Field: field, Msg: msg})
		}
		code, ok, msg := f.str("code")
		ref := ""
		switch {
		case msg != "":
			fail("", "code", msg)
		case !ok:
			fail("", "code", "missing")
		case code == "":
			fail("", "code", "is empty")
		default:
			ref = "code " + code
			if first, dup := firstByCode[code]; dup {
				fail(ref, "code", fmt.Sprintf("code %s is also used by feature %d", code, first))
			} else {
				firstByCode[code] = f.n
			}
		}
		name, ok, msg := f.str("name")
		switch {
		case msg != "":
			fail(ref, "name", msg)
		case !ok:
			fail(ref, "name", "missing")
		case name == "":
			fail(ref, "name", "is empty")
		}
		mp, msg := f.polygons()
		if msg != "" {
			fail(ref, "geometry", msg)
		}
		if !bad && len(ps.list) == 0 {
			ds = append(ds, District{Code: code, Name: name, Geometry: mp})
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return ds, nil
}

// validZoneID keeps zone ids usable in URLs and file names without escaping:
// ASCII letters, digits, '_' and '-'.
func validZoneID(id string) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ReadZones reads lab zones from a GeoJSON FeatureCollection. Each feature
// has id (in properties, else the feature id), name and kind (urban, coastal,
// forest), and a Polygon or MultiPolygon geometry, a villages array of codes,
// or both; the list wins when both are given. CheckDataset fills the village
// codes of zones given only as a polygon.
func ReadZones(r io.Reader, file string, opt ReadOptions) ([]Zone, error) {
	opt = opt.withDefaults()
	ps := &problems{file: file, max: opt.MaxErrors}
	var zs []Zone
	firstByID := make(map[string]int)
	err := readFeatures(r, ps, func(f *feature) {
		bad := false
		fail := func(ref, field, msg string) {
			bad = true
			ps.add(Problem{Feature: f.n, Ref: ref, Field: field, Msg: msg})
		}
		id, ok, msg := f.str("id")
		if !ok && msg == "" {
			id, ok, msg = jsonString(f.id)
		}
		ref := ""
		switch {
		case msg != "":
			fail("", "id", msg)
		case !ok:
			fail("", "id", "missing")
		case !validZoneID(id):
			fail("", "id", fmt.Sprintf("%q must be non-empty and hold only letters, digits, _ and -", id))
		default:
			ref = "id " + id
			if first, dup := firstByID[id]; dup {
				fail(ref, "id", fmt.Sprintf("id %s is also used by feature %d", id, first))
			} else {
				firstByID[id] = f.n
			}
		}
		name, ok, msg := f.str("name")
		switch {
		case msg != "":
			fail(ref, "name", msg)
		case !ok:
			fail(ref, "name", "missing")
		case name == "":
			fail(ref, "name", "is empty")
		}
		kind, ok, msg := f.str("kind")
		switch {
		case msg != "":
			fail(ref, "kind", msg)
		case !ok:
			fail(ref, "kind", "missing: one of urban, coastal, forest")
		default:
			switch ZoneKind(strings.ToLower(kind)) {
			case ZoneUrban, ZoneCoastal, ZoneForest:
				kind = strings.ToLower(kind)
			default:
				fail(ref, "kind", fmt.Sprintf("%q is not one of urban, coastal, forest", kind))
			}
		}
		codes, msg := zoneVillages(f.props["villages"])
		if msg != "" {
			fail(ref, "villages", msg)
		}
		mp, msg := f.polygons()
		if msg != "" {
			fail(ref, "geometry", msg)
		} else if mp == nil && len(codes) == 0 && !bad {
			fail(ref, "geometry/villages", "a zone needs a Polygon or MultiPolygon geometry or a villages list of codes")
		}
		if !bad && len(ps.list) == 0 {
			zs = append(zs, Zone{ID: id, Name: name, Kind: ZoneKind(kind), VillageCodes: codes, Geometry: mp})
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return zs, nil
}

// zoneVillages reads the villages property: an array of codes, or one
// ";"-separated string for files converted from formats without arrays.
func zoneVillages(raw json.RawMessage) ([]string, string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, ""
	}
	var items []json.RawMessage
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, "is not a valid string"
		}
		for _, c := range strings.Split(s, ";") {
			items = append(items, json.RawMessage(strconv.Quote(c)))
		}
	} else if err := json.Unmarshal(raw, &items); err != nil {
		return nil, "must be an array of village codes"
	}
	var codes []string
	for i, it := range items {
		c, _, msg := jsonString(it)
		if msg != "" {
			return nil, fmt.Sprintf("item %d %s", i+1, msg)
		}
		if c == "" {
			continue
		}
		for _, prev := range codes {
			if prev == c {
				return nil, fmt.Sprintf("village %s is listed twice", c)
			}
		}
		codes = append(codes, c)
	}
	return codes, ""
}
