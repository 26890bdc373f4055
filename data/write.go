package data

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"labmap/geo"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// Household CSV columns, in the order WriteHouseholds writes them. The reader
// accepts them in any order; the positions only index householdColumns.
const (
	colHouseholdID = iota
	colRound
	colLon
	colLat
	colVillageCode
	colHeadName
	colMembers
	colPovertyStatus
	colOccupation
	colWelfareDecile
	colCauses
	colHouseUninhabitable
	colHouseRepaired
	colLatrine
	colWaterSource
	colElectricity
	colChronicIll
	colChronicIllTreated
	colDisabled
	colDisabledAssisted
	colChildrenSchoolAge
	colChildrenOutOfSchool
	colHealthKm
	colPrograms
	numHouseholdColumns
)

// householdColumns is read-only: an array rather than a slice so that no
// caller can append to it, and HouseholdColumns hands out copies.
var householdColumns = [numHouseholdColumns]string{
	"household_id", "round", "lon", "lat", "village_code", "head_name", "members", "poverty_status",
	"occupation", "welfare_decile", "causes", "house_uninhabitable", "house_repaired", "latrine",
	"water_source", "electricity", "chronic_ill", "chronic_ill_treated", "disabled", "disabled_assisted",
	"children_school_age", "children_out_of_school", "health_km", "programs",
}

// WriteHouseholds writes households as the contract's CSV: a header row and
// one row per household, with "\n" line endings. The output depends only on
// hs, byte for byte, so exports can be diffed and cached. A household that the
// reader would reject for lack of an id, round or status is an error here, so
// that an export can always be imported again.
func WriteHouseholds(w io.Writer, hs []Household) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(householdColumns[:]); err != nil {
		return fmt.Errorf("writing households header: %w", err)
	}
	rec := make([]string, numHouseholdColumns)
	for i := range hs {
		h := &hs[i]
		if h.ID == "" || h.Round == "" || h.Status.String() == "" {
			return fmt.Errorf("writing households: household %d (id %q, round %q) lacks an id, round or poverty status", i+1, h.ID, h.Round)
		}
		rec[colHouseholdID] = h.ID
		rec[colRound] = string(h.Round)
		rec[colLon] = strconv.FormatFloat(h.Loc.Lon(), 'f', 6, 64)
		rec[colLat] = strconv.FormatFloat(h.Loc.Lat(), 'f', 6, 64)
		rec[colVillageCode] = h.VillageCode
		rec[colHeadName] = h.HeadName
		rec[colMembers] = strconv.Itoa(h.Members)
		rec[colPovertyStatus] = h.Status.String()
		rec[colOccupation] = h.Occupation
		rec[colWelfareDecile] = ""
		if h.WelfareDecile != 0 {
			rec[colWelfareDecile] = strconv.Itoa(h.WelfareDecile)
		}
		rec[colCauses] = strings.Join(h.Causes, ";")
		rec[colHouseUninhabitable] = h.HouseUninhabitable.String()
		rec[colHouseRepaired] = h.HouseRepaired.String()
		rec[colLatrine] = h.Latrine.String()
		rec[colWaterSource] = h.WaterSource
		rec[colElectricity] = h.Electricity.String()
		rec[colChronicIll] = strconv.Itoa(h.ChronicIll)
		rec[colChronicIllTreated] = strconv.Itoa(h.ChronicIllTreated)
		rec[colDisabled] = strconv.Itoa(h.Disabled)
		rec[colDisabledAssisted] = strconv.Itoa(h.DisabledAssisted)
		rec[colChildrenSchoolAge] = strconv.Itoa(h.ChildrenSchoolAge)
		rec[colChildrenOutOfSchool] = strconv.Itoa(h.ChildrenOutOfSchool)
		rec[colHealthKm] = ""
		if h.HealthKm >= 0 {
			rec[colHealthKm] = strconv.FormatFloat(h.HealthKm, 'f', 1, 64)
		}
		rec[colPrograms] = strings.Join(h.Programs, ";")
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("writing household %q round %s: %w", h.ID, h.Round, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing households: %w", err)
	}
	return nil
}

// geoJSONFeature fixes the member order of written features; the property
// structs below fix the order of properties, so output is deterministic.
type geoJSONFeature struct {
	Type       string           `json:"type"`
	Properties any              `json:"properties"`
	Geometry   *geoJSONGeometry `json:"geometry"`
}

type geoJSONGeometry struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}

// geometryOf writes a one-part multipolygon as a Polygon, as most GIS tools
// do, with its rings wound as RFC 7946 says.
func geometryOf(mp orb.MultiPolygon) *geoJSONGeometry {
	mp = OrientRFC7946(mp)
	switch len(mp) {
	case 0:
		return nil
	case 1:
		return &geoJSONGeometry{Type: "Polygon", Coordinates: mp[0]}
	}
	return &geoJSONGeometry{Type: "MultiPolygon", Coordinates: mp}
}

// WoundRFC7946 reports whether a ring is wound as RFC 7946 (section 3.1.6)
// wants it in longitude/latitude: counter-clockwise for an exterior ring,
// clockwise for a hole. A ring without area counts as wound either way.
func WoundRFC7946(r orb.Ring, hole bool) bool {
	a := geo.SignedArea(r)
	return a == 0 || (a > 0) != hole
}

// OrientRFC7946 returns mp with exterior rings counter-clockwise and holes
// clockwise. Readers of GeoJSON must not rely on it, but d3 and some web
// tools do; files written by labmap follow it. mp is not modified: a polygon
// that needs a ring reversed is copied, others are shared.
func OrientRFC7946(mp orb.MultiPolygon) orb.MultiPolygon {
	var out orb.MultiPolygon
	for i, p := range mp {
		cloned := false
		for j, r := range p {
			if WoundRFC7946(r, j > 0) {
				continue
			}
			if out == nil {
				out = slices.Clone(mp)
			}
			if !cloned {
				out[i], cloned = slices.Clone(p), true
			}
			rev := slices.Clone(r)
			rev.Reverse()
			out[i][j] = rev
		}
	}
	if out == nil {
		return mp
	}
	return out
}

// featureWriter streams a FeatureCollection one feature per line, so large
// files never sit in memory twice and diffs of exports stay readable.
type featureWriter struct {
	bw  *bufio.Writer
	n   int
	err error
}

func newFeatureWriter(w io.Writer) *featureWriter {
	fw := &featureWriter{bw: bufio.NewWriter(w)}
	_, fw.err = fw.bw.WriteString(`{"type":"FeatureCollection","features":[`)
	return fw
}

func (fw *featureWriter) write(f geoJSONFeature) {
	if fw.err != nil {
		return
	}
	b, err := json.Marshal(f)
	if err != nil {
		fw.err = err
		return
	}
	sep := ",\n"
	if fw.n == 0 {
		sep = "\n"
	}
	fw.n++
	if _, err := fw.bw.WriteString(sep); err != nil {
		fw.err = err
		return
	}
	_, fw.err = fw.bw.Write(b)
}

func (fw *featureWriter) close() error {
	if fw.err != nil {
		return fw.err
	}
	if _, err := fw.bw.WriteString("\n]}\n"); err != nil {
		return err
	}
	return fw.bw.Flush()
}

type villageProps struct {
	Code         string `json:"code"`
	DistrictCode string `json:"district_code"`
	Kelurahan    bool   `json:"kelurahan"`
	Name         string `json:"name"`
}

// WriteVillages writes villages as a GeoJSON FeatureCollection with the
// properties code, name, district_code and kelurahan. A village without a
// geometry is an error because ReadVillages would reject the file.
func WriteVillages(w io.Writer, vs []Village) error {
	fw := newFeatureWriter(w)
	for i := range vs {
		v := &vs[i]
		g := geometryOf(v.Geometry)
		if g == nil {
			return fmt.Errorf("writing villages: village %d (code %s) has no geometry", i+1, v.Code)
		}
		dc := v.DistrictCode
		if dc == "" {
			dc = DistrictCodeOf(v.Code)
		}
		fw.write(geoJSONFeature{Type: "Feature", Geometry: g,
			Properties: villageProps{Code: v.Code, DistrictCode: dc, Kelurahan: v.Kelurahan, Name: v.Name}})
	}
	if err := fw.close(); err != nil {
		return fmt.Errorf("writing villages: %w", err)
	}
	return nil
}

type districtProps struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// WriteDistricts writes districts as a GeoJSON FeatureCollection with the
// properties code and name; a district built only from village codes has a
// null geometry, which ReadDistricts accepts.
func WriteDistricts(w io.Writer, ds []District) error {
	fw := newFeatureWriter(w)
	for i := range ds {
		d := &ds[i]
		fw.write(geoJSONFeature{Type: "Feature", Geometry: geometryOf(d.Geometry),
			Properties: districtProps{Code: d.Code, Name: d.Name}})
	}
	if err := fw.close(); err != nil {
		return fmt.Errorf("writing districts: %w", err)
	}
	return nil
}

type zoneProps struct {
	ID       string   `json:"id"`
	Kind     ZoneKind `json:"kind"`
	Name     string   `json:"name"`
	Villages []string `json:"villages,omitempty"`
}

// WriteZones writes lab zones as a GeoJSON FeatureCollection with the
// properties id, name, kind and villages (omitted when empty). A zone
// without a polygon is written with a null geometry only when it lists its
// villages; a zone with neither is an error, since it would name no area.
func WriteZones(w io.Writer, zs []Zone) error {
	fw := newFeatureWriter(w)
	for i := range zs {
		z := &zs[i]
		g := geometryOf(z.Geometry)
		if g == nil && len(z.VillageCodes) == 0 {
			return fmt.Errorf("writing zones: zone %d (id %s) has neither a polygon nor village codes", i+1, z.ID)
		}
		fw.write(geoJSONFeature{Type: "Feature", Geometry: g,
			Properties: zoneProps{ID: z.ID, Kind: z.Kind, Name: z.Name, Villages: z.VillageCodes}})
	}
	if err := fw.close(); err != nil {
		return fmt.Errorf("writing zones: %w", err)
	}
	return nil
}
