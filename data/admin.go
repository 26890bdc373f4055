package data

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"labmap/geo"
)

// AdminArea is a regency (kabupaten or kota) or a province: the levels above
// the kecamatan, keyed by the leading parts of the Kemendagri code ("33.26",
// "33"). Their outlines are the dissolved union of the districts below, so a
// regency's outline is exactly its kecamatan side by side.
type AdminArea struct {
	Code     string
	Name     Text
	Geometry orb.MultiPolygon
}

// ProvinceCodeOf is the province part of any Kemendagri code ("33" of
// "33.26.14.2009").
func ProvinceCodeOf(code string) string {
	if i := strings.IndexByte(code, '.'); i >= 0 {
		return code[:i]
	}
	return code
}

// RegencyCodeOf is the regency part of a district or village code ("33.26"
// of "33.26.14.2009").
func RegencyCodeOf(code string) string { return regionPart(code) }

// provinceNames are the provinces by their Kemendagri code (Permendagri
// 58/2021 and the 2022 Papua provinces), in Indonesian and English.
var provinceNames = map[string]Text{
	"11": {ID: "Aceh", EN: "Aceh"},
	"12": {ID: "Sumatera Utara", EN: "North Sumatra"},
	"13": {ID: "Sumatera Barat", EN: "West Sumatra"},
	"14": {ID: "Riau", EN: "Riau"},
	"15": {ID: "Jambi", EN: "Jambi"},
	"16": {ID: "Sumatera Selatan", EN: "South Sumatra"},
	"17": {ID: "Bengkulu", EN: "Bengkulu"},
	"18": {ID: "Lampung", EN: "Lampung"},
	"19": {ID: "Kepulauan Bangka Belitung", EN: "Bangka Belitung Islands"},
	"21": {ID: "Kepulauan Riau", EN: "Riau Islands"},
	"31": {ID: "DKI Jakarta", EN: "Jakarta"},
	"32": {ID: "Jawa Barat", EN: "West Java"},
	"33": {ID: "Jawa Tengah", EN: "Central Java"},
	"34": {ID: "DI Yogyakarta", EN: "Yogyakarta"},
	"35": {ID: "Jawa Timur", EN: "East Java"},
	"36": {ID: "Banten", EN: "Banten"},
	"51": {ID: "Bali", EN: "Bali"},
	"52": {ID: "Nusa Tenggara Barat", EN: "West Nusa Tenggara"},
	"53": {ID: "Nusa Tenggara Timur", EN: "East Nusa Tenggara"},
	"61": {ID: "Kalimantan Barat", EN: "West Kalimantan"},
	"62": {ID: "Kalimantan Tengah", EN: "Central Kalimantan"},
	"63": {ID: "Kalimantan Selatan", EN: "South Kalimantan"},
	"64": {ID: "Kalimantan Timur", EN: "East Kalimantan"},
	"65": {ID: "Kalimantan Utara", EN: "North Kalimantan"},
	"71": {ID: "Sulawesi Utara", EN: "North Sulawesi"},
	"72": {ID: "Sulawesi Tengah", EN: "Central Sulawesi"},
	"73": {ID: "Sulawesi Selatan", EN: "South Sulawesi"},
	"74": {ID: "Sulawesi Tenggara", EN: "Southeast Sulawesi"},
	"75": {ID: "Gorontalo", EN: "Gorontalo"},
	"76": {ID: "Sulawesi Barat", EN: "West Sulawesi"},
	"81": {ID: "Maluku", EN: "Maluku"},
	"82": {ID: "Maluku Utara", EN: "North Maluku"},
	"91": {ID: "Papua", EN: "Papua"},
	"92": {ID: "Papua Barat", EN: "West Papua"},
	"93": {ID: "Papua Selatan", EN: "South Papua"},
	"94": {ID: "Papua Tengah", EN: "Central Papua"},
	"95": {ID: "Papua Pegunungan", EN: "Highland Papua"},
	"96": {ID: "Papua Barat Daya", EN: "Southwest Papua"},
}

// ProvinceName names a province by its code; a code Kemendagri does not
// list is "Provinsi <code>".
func ProvinceName(code string) Text {
	if n, ok := provinceNames[code]; ok {
		return Text{ID: "Provinsi " + n.ID, EN: n.EN + " Province"}
	}
	return Text{ID: "Provinsi " + code, EN: "Province " + code}
}

// RegencyName names a regency: the dataset's region name when the region is
// that regency (the files name it), else "Wilayah <code>" as RegionOf does.
func RegencyName(region Region, code string) Text {
	if region.Code == code && (region.Name.ID != "" || region.Name.EN != "") {
		return RegionOf(region, nil).Name
	}
	return RegionOf(Region{Code: code}, nil).Name
}

// EnglishName turns "Kabupaten Cilacap" into "Cilacap Regency", "Kota
// Semarang" into "Semarang City" and "Wilayah 33.26" into "Region 33.26",
// as the regencies name themselves in English; other names are proper
// names and stay as they are.
func EnglishName(name string) string {
	switch {
	case strings.HasPrefix(name, "Kabupaten "):
		return strings.TrimPrefix(name, "Kabupaten ") + " Regency"
	case strings.HasPrefix(name, "Kota "):
		return strings.TrimPrefix(name, "Kota ") + " City"
	case strings.HasPrefix(name, "Wilayah "):
		return "Region " + strings.TrimPrefix(name, "Wilayah ")
	}
	return name
}

// AdminAreaName is the name of a row in a language: a province's is
// Kemendagri's; a regency's is the dataset region's own name when it is
// that region (stores give its Indonesian name), else its Indonesian name
// as EnglishName puts it; other levels keep the name the data gave.
func AdminAreaName(level Level, code, name string, region Text, lang string) string {
	switch level {
	case LevelProvince:
		return ProvinceName(code).In(lang)
	case LevelRegency:
		if name == region.ID && name != "" {
			return region.In(lang)
		}
		if lang == "en" {
			return EnglishName(name)
		}
	}
	return name
}

// AdminAreas derives the regencies and provinces of a dataset's districts,
// in code order, with outlines dissolved from the districts' and names from
// RegencyName and ProvinceName. Districts without an outline add nothing to
// the outline but still name their regency.
func AdminAreas(region Region, districts []District) (regencies, provinces []AdminArea, err error) {
	byRegency := map[string][]orb.MultiPolygon{}
	for _, d := range districts {
		rc := RegencyCodeOf(d.Code)
		byRegency[rc] = append(byRegency[rc], d.Geometry)
	}
	byProvince := map[string][]orb.MultiPolygon{}
	for _, rc := range slices.Sorted(maps.Keys(byRegency)) {
		mp, err := geo.Dissolve(byRegency[rc])
		if err != nil {
			return nil, nil, fmt.Errorf("the outline of regency %s: %w", rc, err)
		}
		regencies = append(regencies, AdminArea{Code: rc, Name: RegencyName(region, rc), Geometry: mp})
		pc := ProvinceCodeOf(rc)
		byProvince[pc] = append(byProvince[pc], mp)
	}
	for _, pc := range slices.Sorted(maps.Keys(byProvince)) {
		mp, err := geo.Dissolve(byProvince[pc])
		if err != nil {
			return nil, nil, fmt.Errorf("the outline of province %s: %w", pc, err)
		}
		provinces = append(provinces, AdminArea{Code: pc, Name: ProvinceName(pc), Geometry: mp})
	}
	return regencies, provinces, nil
}
