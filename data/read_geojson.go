package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

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
	n        int
	id       json.RawMessage
	rawProps json.RawMessage // in the file's order, for messages
	props    map[string]json.RawMessage
	geom     json.RawMessage
	file     *geoFile
}

// geoFile is what holds for every feature of one file: the CRS its
// positions are transformed from, and the problems already reported once for
// the whole file, which would otherwise repeat for every feature.
type geoFile struct {
	proj             *projection
	positionReported bool
}

// reportedOnce stands for a problem already reported for the whole file: the
// feature is bad, but the message is not repeated.
const reportedOnce = "\x00reported once"

// addFault records a feature's problem unless it was already reported once
// for the whole file.
func addFault(ps *problems, p Problem) {
	if p.Msg != reportedOnce {
		ps.add(p)
	}
}

// readFeatures walks a FeatureCollection and calls fn for every feature whose
// envelope is sound. It returns an error only for failures to read r; what is
// wrong with the content goes to ps.
func readFeatures(r io.Reader, ps *problems, fn func(f *feature)) error {
	br, _, err := textReader(r, "")
	if err != nil {
		return err
	}
	gf := &geoFile{}
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
			// {"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3857"}},
			// or the 2008 draft's {"type":"EPSG","properties":{"code":3857}}.
			var crs struct {
				Properties struct {
					Name string          `json:"name"`
					Code json.RawMessage `json:"code"`
				} `json:"properties"`
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return jsonProblem(0, err)
			}
			if json.Unmarshal(raw, &crs) != nil {
				continue
			}
			name := crs.Properties.Name
			if code, ok, _ := jsonString(crs.Properties.Code); ok && name == "" {
				name = "EPSG:" + code
			}
			if name == "" {
				continue
			}
			proj, _, msg := parseCRS(name)
			if msg != "" {
				ps.add(Problem{Field: "crs", Msg: msg})
				return nil
			}
			gf.proj = proj
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
				f := &feature{n: n, id: rf.ID, rawProps: rf.Properties, geom: rf.Geometry, file: gf}
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
		// encoding/json would replace bytes that are not UTF-8 with U+FFFD
		// without a word: the name would reach the map mangled.
		if !utf8.Valid(raw) {
			return "", true, textFault(string(raw[1:len(raw)-1]), geoJSONTextFix)
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", true, "is not a valid string"
		}
		if msg := textFault(s, geoJSONTextFix); msg != "" {
			return "", true, msg
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
// Polygons are rejected when a ring is unclosed or too short: nothing says
// what such a ring was meant to be. A ring that crosses itself passes here:
// villages are repaired by the coverage cleaning of CheckDataset, which
// reports each repair, and zones check it themselves (ReadZones).
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
			for k, pt := range ring {
				orig, declared := pt, true
				if f.file != nil && f.file.proj != nil {
					declared = f.file.proj.valid(pt[0], pt[1])
					pt = f.file.proj.inverse(pt[0], pt[1])
					ring[k] = pt
				}
				if !declared || pt[0] < -180 || pt[0] > 180 || pt[1] < -90 || pt[1] > 90 || math.IsNaN(pt[0]) || math.IsNaN(pt[1]) {
					if f.file != nil && f.file.proj != nil {
						return nil, fmt.Sprintf("%sposition [%s, %s] is not a position of %s, which the file's crs member declares; check the crs member",
							part, fmtCoord(orig[0]), fmtCoord(orig[1]), f.file.proj.name)
					}
					// One message for the file: every feature is in the same CRS.
					if f.file != nil {
						if f.file.positionReported {
							return nil, reportedOnce
						}
						f.file.positionReported = true
					}
					return nil, part + positionFault(orig) + " (reported once for the file)"
				}
			}
		}
		if err := geo.ValidateRings(p); err != nil {
			return nil, part + err.Error()
		}
		// A ring whose positions lie on one line (or repeat one point)
		// encloses nothing: it has no winding to write back, and no repair
		// can tell what outline was meant.
		for k, ring := range p {
			if onOneLine(ring) {
				what := "outer ring"
				if k > 0 {
					what = fmt.Sprintf("hole %d", k)
				}
				return nil, fmt.Sprintf("%s%s has no area: its %d positions lie on one line", part, what, len(ring))
			}
		}
	}
	return mp, ""
}

// onOneLine says whether every position of r lies on one straight line
// (or all are one point). A ring crossing itself can have zero area too,
// but it does enclose something, and the import repairs it.
func onOneLine(r orb.Ring) bool {
	o := r[0]
	var d orb.Point // the first direction away from o
	for _, p := range r[1:] {
		v := orb.Point{p[0] - o[0], p[1] - o[1]}
		if d == (orb.Point{}) {
			d = v
			continue
		}
		if d[0]*v[1]-d[1]*v[0] != 0 {
			return false
		}
	}
	return true
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
// from the code) and kelurahan are optional. Polygons whose rings cross
// themselves are read as they are, for CheckDataset to repair and report;
// unclosed or too short rings are refused. Problems come back together as an *InputError.
func ReadVillages(r io.Reader, file string, opt ReadOptions) ([]Village, error) {
	opt = opt.withDefaults()
	ps := &problems{file: file, max: opt.MaxErrors}
	var vs []Village
	firstByCode := make(map[string]int)
	codeProp := &absentProperty{name: opt.VillageCodeField, what: "village code", flag: "--village-code-field", looksRight: looksLikeVillageCode}
	nameProp := &absentProperty{name: opt.VillageNameField, what: "village name", flag: "--village-name-field", looksRight: looksLikeName}
	err := readFeatures(r, ps, func(f *feature) {
		bad := false
		fail := func(ref, field, msg string) {
			bad = true
			addFault(ps, Problem{Feature: f.n, Ref: ref, Field: field, Msg: msg})
		}
		raw, ok, msg := f.str(opt.VillageCodeField)
		code, ref := "", ""
		if _, has := f.props[opt.VillageCodeField]; has {
			codeProp.found(ps)
		}
		if _, has := f.props[opt.VillageNameField]; has {
			nameProp.found(ps)
		}
		switch {
		case msg != "":
			fail("", opt.VillageCodeField, msg)
		case !ok:
			bad = true
			codeProp.missing(ps, f, Problem{Feature: f.n, Field: opt.VillageCodeField, Msg: "missing"})
		case raw == "":
			fail("", opt.VillageCodeField, "is empty")
		default:
			c, valid := NormalizeVillageCode(raw)
			if !valid {
				fail("", opt.VillageCodeField, villageCodeFault(raw))
				break
			}
			code, ref = c, "code "+c
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
			bad = true
			nameProp.missing(ps, f, Problem{Feature: f.n, Ref: ref, Field: opt.VillageNameField, Msg: "missing"})
		case name == "":
			fail(ref, opt.VillageNameField, "is empty")
		}
		district, _, msg := f.str("district_code")
		if msg != "" {
			fail(ref, "district_code", msg)
		} else if district != "" {
			d, valid := NormalizeDistrictCode(district)
			if !valid {
				fail(ref, "district_code", districtCodeFault(district))
			}
			district = d
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
	nameProp.finish(ps) // each goes first: the code's before the name's
	codeProp.finish(ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, &InputError{File: file, Problems: []Problem{{Msg: "has no village features"}}}
	}
	return vs, nil
}

// absentProperty holds back the "missing" problems of one property until a
// feature shows that the file has it. When no feature has it, the file names
// it otherwise (kode, KDEPUM...), and one problem says so, listing the
// properties there are and the flag to use, instead of one per feature.
type absentProperty struct {
	name, what, flag string
	looksRight       func(key, value string) bool
	present          bool
	first            *feature // the first feature without it
	pending          []Problem
}

func (a *absentProperty) missing(ps *problems, f *feature, p Problem) {
	if a.present {
		ps.add(p)
		return
	}
	if a.first == nil {
		a.first = f
	}
	if len(a.pending) < ps.max {
		a.pending = append(a.pending, p)
	}
}

// found records that a feature has the property: the problems held back are
// then real, one per feature.
func (a *absentProperty) found(ps *problems) {
	if a.present {
		return
	}
	a.present = true
	for _, p := range a.pending {
		ps.add(p)
	}
	a.pending = nil
	// Keep the problems in feature order.
	slices.SortStableFunc(ps.list, func(x, y Problem) int { return x.Feature - y.Feature })
}

// finish adds the one problem for the whole file when no feature had the
// property.
func (a *absentProperty) finish(ps *problems) {
	if a.present || a.first == nil {
		return
	}
	f := a.first
	keys := propertyKeys(f.rawProps)
	have := "no properties at all"
	if len(keys) > 0 {
		have = "the properties " + strings.Join(keys, ", ")
	}
	msg := fmt.Sprintf("no feature has the property %q (feature %d has %s): name the property that holds the %s with %s",
		a.name, f.n, have, a.what, a.flag)
	for _, k := range keys {
		if v, ok, bad := f.str(k); ok && bad == "" && a.looksRight(k, v) {
			msg += fmt.Sprintf(", e.g. %s %s (feature %d has %q)", a.flag, k, f.n, v)
			break
		}
	}
	ps.list = slices.Insert(ps.list, 0, Problem{Field: a.name, Msg: msg})
	if len(ps.list) > ps.max {
		ps.list, ps.more = ps.list[:ps.max], true
	}
}

func looksLikeVillageCode(_, v string) bool {
	_, ok := NormalizeVillageCode(v)
	return ok
}

// looksLikeName picks a name property by the names boundary files use:
// nama (and nama_desa...), name, NAMOBJ (BIG's topographic maps), WADMKD
// (BIG's village name), desa.
func looksLikeName(k, v string) bool {
	k = strings.ToLower(k)
	if v == "" || allDigits(v) {
		return false
	}
	return strings.HasPrefix(k, "nama") || strings.HasPrefix(k, "name") || k == "namobj" || k == "wadmkd" ||
		strings.HasPrefix(k, "desa") || strings.HasSuffix(k, "_desa") || k == "village"
}

// propertyKeys lists the members of a properties object in the file's order.
func propertyKeys(raw json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		k, _ := tok.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
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
			addFault(ps, Problem{Feature: f.n, Ref: ref, Field: field, Msg: msg})
		}
		raw, ok, msg := f.str("code")
		code, ref := "", ""
		switch {
		case msg != "":
			fail("", "code", msg)
		case !ok:
			fail("", "code", "missing")
		case raw == "":
			fail("", "code", "is empty")
		default:
			c, valid := NormalizeDistrictCode(raw)
			if !valid {
				fail("", "code", districtCodeFault(raw))
				break
			}
			code, ref = c, "code "+c
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
			addFault(ps, Problem{Feature: f.n, Ref: ref, Field: field, Msg: msg})
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
		for i := 0; msg == "" && i < len(mp); i++ {
			// A zone's polygon picks villages by point in polygon, which
			// a ring crossing itself would make ambiguous.
			if err := geo.ValidatePolygon(mp[i]); err != nil {
				msg = err.Error()
				if len(mp) > 1 {
					msg = fmt.Sprintf("polygon %d: %s", i+1, msg)
				}
			}
		}
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
// Codes without dots get them, as everywhere codes are read.
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
		norm, ok := NormalizeVillageCode(c)
		if !ok {
			return nil, fmt.Sprintf("item %d: %s", i+1, villageCodeFault(c))
		}
		c = norm
		for _, prev := range codes {
			if prev == c {
				return nil, fmt.Sprintf("village %s is listed twice", c)
			}
		}
		codes = append(codes, c)
	}
	return codes, ""
}
