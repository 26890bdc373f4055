// Package tiles turns area aggregates into Mapbox Vector Tiles: layer
// definitions, tile math, clipping and simplification, MVT encoding with
// orb, a byte-bounded tile cache, TileJSON and MapLibre styles. Both stores
// go through the same pipeline, so their tiles agree.
package tiles

import (
	"fmt"
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
	var out []Layer
	seen := map[string]bool{}
	for _, name := range strings.Split(s, ",") {
		l, ok := LayerByName(name)
		if !ok {
			names := make([]string, len(Layers))
			for i, l := range Layers {
				names[i] = l.Name
			}
			return nil, fmt.Errorf("unknown layer %q (layers: %s)", name, strings.Join(names, ", "))
		}
		if !seen[name] {
			seen[name] = true
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
