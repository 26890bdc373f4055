package data

import (
	"github.com/paulmach/orb"

	"labmap/geo"
)

// Region is the area a dataset covers, named by the data rather than by the
// code: the same binary serves Kabupaten Pekalongan, another regency or a
// whole province.
type Region struct {
	Code string // the village codes' common prefix: "33.26" for a regency, "33" for a province
	Name Text
	// Synthetic is true when the households are generated, not surveyed: the
	// map and the API say so.
	Synthetic bool
	// Source credits where the boundaries come from (attribution).
	Source string
}

// Village is a desa or kelurahan, keyed by its Kemendagri code (33.26.14.2009).
// Names repeat across the regency, so the code is the only key.
type Village struct {
	Code         string
	Name         string
	DistrictCode string // the first three parts of the code, 33.26.14
	Kelurahan    bool   // urban kelurahan rather than rural desa
	Geometry     orb.MultiPolygon
	// Source is the geometry as the file gave it when the import's coverage
	// cleaning changed it (repair, overlap, gap), kept for audit; nil when
	// the file's geometry was used as it was.
	Source orb.MultiPolygon
}

// District is a kecamatan.
type District struct {
	Code     string
	Name     string
	Geometry orb.MultiPolygon // nil when built only from its villages' codes
}

// ZoneKind is the setting of a poverty lab.
type ZoneKind string

// The three kinds of poverty lab in the regency.
const (
	ZoneUrban   ZoneKind = "urban"
	ZoneCoastal ZoneKind = "coastal"
	ZoneForest  ZoneKind = "forest"
)

// Zone is a poverty lab (laboratorium kemiskinan): a named group of villages.
// A zone file may give a polygon, a list of village codes, or both; the list
// wins when both are given.
type Zone struct {
	ID           string
	Name         string
	Kind         ZoneKind
	VillageCodes []string
	Geometry     orb.MultiPolygon
}

// Dataset is everything one import brings: the areas and the household rows
// of every round in the files.
type Dataset struct {
	Region     Region
	Villages   []Village
	Districts  []District
	Zones      []Zone
	Households []Household
	// Coverage reports how the villages file was cleaned into a partition
	// (repairs, overlaps, gaps); see geo.CleanCoverage.
	Coverage geo.CoverageReport
}

// DistrictCodeOf returns the kecamatan part of a village code ("33.26.14" of "33.26.14.2009").
func DistrictCodeOf(villageCode string) string {
	dots := 0
	for i := 0; i < len(villageCode); i++ {
		if villageCode[i] == '.' {
			dots++
			if dots == 3 {
				return villageCode[:i]
			}
		}
	}
	return villageCode
}
