// Package tiles turns area aggregates into Mapbox Vector Tiles: layer
// definitions, tile math, clipping and simplification, MVT encoding with
// orb, a byte-bounded tile cache, TileJSON and MapLibre styles. Both stores
// go through the same pipeline, so their tiles agree.
package tiles

import (
	"fmt"
	"slices"
	"strings"

	"labmap/data"
	"labmap/geo"
)

// Layer is one vector-tile layer: the areas of one aggregation level.
type Layer struct {
	Name        string
	Level       data.Level
	Description data.Text
}

// Layers lists every layer, in the order composite tiles stack them.
var Layers = []Layer{
	{"hexagons", data.LevelHexagon, data.Text{ID: "Heksagon H3; resolusi mengikuti zoom", EN: "H3 hexagons; the resolution follows the zoom"}},
	{"villages", data.LevelVillage, data.Text{ID: "Desa dan kelurahan", EN: "Villages (desa and kelurahan)"}},
	{"districts", data.LevelDistrict, data.Text{ID: "Kecamatan", EN: "Districts (kecamatan)"}},
	{"zones", data.LevelZone, data.Text{ID: "Zona laboratorium kemiskinan", EN: "Poverty lab zones"}},
	{"regencies", data.LevelRegency, data.Text{ID: "Kabupaten dan kota", EN: "Regencies and cities (kabupaten and kota)"}},
	{"provinces", data.LevelProvince, data.Text{ID: "Provinsi", EN: "Provinces"}},
}

// LayerByName finds a layer.
func LayerByName(name string) (Layer, bool) {
	for _, l := range Layers {
		if l.Name == name {
			return l, true
		}
	}
	return Layer{}, false
}

// ParseLayers reads a comma-separated layer list ("villages,zones").
func ParseLayers(s string) ([]Layer, error) {
	// A single layer, the usual request, is a view of Layers: no
	// allocation on the path of every warm tile. Callers only read it.
	for i := range Layers {
		if Layers[i].Name == s {
			return Layers[i : i+1 : i+1], nil
		}
	}
	var out []Layer
	for name := range strings.SplitSeq(s, ",") {
		l, ok := LayerByName(name)
		if !ok {
			names := make([]string, len(Layers))
			for i, l := range Layers {
				names[i] = l.Name
			}
			return nil, fmt.Errorf("unknown layer %q (layers: %s)", name, strings.Join(names, ", "))
		}
		if !slices.ContainsFunc(out, func(o Layer) bool { return o.Name == name }) {
			out = append(out, l)
		}
	}
	return out, nil
}

// MinZoom and MaxZoom bound the zooms tiles are made for; clients overzoom
// past MaxZoom, where a res-10 hexagon is already many pixels wide.
const (
	MinZoom = 0
	MaxZoom = 16
)

// ResForZoom is the H3 resolution the hexagon layer shows at zoom z: about
// a few dozen pixels per hexagon at every zoom.
//
//	z <= 8: 6    z 9-10: 7    z 11-12: 8    z 13: 9    z >= 14: 10
func ResForZoom(z int) int {
	switch {
	case z <= 8:
		return 6
	case z <= 10:
		return 7
	case z <= 12:
		return 8
	case z == 13:
		return 9
	default:
		return geo.MaxRes
	}
}
