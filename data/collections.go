package data

import (
	"fmt"

	"labmap/geo"
)

// Collection is one OGC API Features collection: the areas of one level,
// one collection per H3 resolution because clients expect a collection to
// hold one kind of feature. The API serves them and the QGIS project makes
// a layer of each, from this one list.
type Collection struct {
	ID    string
	Level Level
	Res   int // the H3 resolution of a hexagon collection
	Title Text
}

// Collections lists the collections in the order a layer tree shows them.
func Collections() []Collection {
	out := []Collection{
		{ID: "zones", Level: LevelZone, Title: Text{ID: "Zona laboratorium kemiskinan", EN: "Poverty lab zones"}},
		{ID: "provinces", Level: LevelProvince, Title: Text{ID: "Provinsi", EN: "Provinces"}},
		{ID: "regencies", Level: LevelRegency, Title: Text{ID: "Kabupaten dan kota", EN: "Regencies and cities (kabupaten and kota)"}},
		{ID: "districts", Level: LevelDistrict, Title: Text{ID: "Kecamatan", EN: "Districts (kecamatan)"}},
		{ID: "villages", Level: LevelVillage, Title: Text{ID: "Desa dan kelurahan", EN: "Villages (desa and kelurahan)"}},
	}
	for _, r := range geo.Resolutions {
		out = append(out, Collection{ID: fmt.Sprintf("hexagons_r%d", r), Level: LevelHexagon, Res: r,
			Title: Text{ID: fmt.Sprintf("Heksagon H3 resolusi %d", r), EN: fmt.Sprintf("H3 hexagons, resolution %d", r)}})
	}
	return out
}
