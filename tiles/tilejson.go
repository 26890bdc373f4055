package tiles

import (
	"labmap/data"

	"github.com/paulmach/orb"
)

// TileJSON is a TileJSON 3.0.0 document.
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description"`
	Version      string        `json:"version"`
	Attribution  string        `json:"attribution"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []VectorLayer `json:"vector_layers"`
	// HexagonRes is which H3 resolution the hexagon layer's tiles hold at
	// each zoom, for clients that must match them (the web map's change
	// view); only with the hexagon layer.
	HexagonRes []HexagonZoom `json:"labmap:hexagon_res,omitempty"`
	// Better says, per indicator field, which way is good news: lower,
	// higher or neutral (the registry's direction).
	Better map[string]data.Better `json:"labmap:better,omitempty"`
}

// HexagonZoom is one row of the zoom → H3 resolution table: tiles of zooms
// MinZoom to MaxZoom (whole tile zooms) hold hexagons of resolution Res.
type HexagonZoom struct {
	MinZoom int `json:"minzoom"`
	MaxZoom int `json:"maxzoom"`
	Res     int `json:"res"`
}

// HexagonZooms is ResForZoom as a table over MinZoom..MaxZoom, built from
// ResForZoom so that the tiles and the clients reading the table can never
// disagree. A client at a fractional zoom z uses the row of the tiles it is
// drawing; MapLibre draws tiles of zoom floor(z) (512 px tiles).
func HexagonZooms() []HexagonZoom {
	var out []HexagonZoom
	for z := MinZoom; z <= MaxZoom; z++ {
		res := ResForZoom(z)
		if n := len(out); n > 0 && out[n-1].Res == res {
			out[n-1].MaxZoom = z
			continue
		}
		out = append(out, HexagonZoom{MinZoom: z, MaxZoom: z, Res: res})
	}
	return out
}

// VectorLayer describes one layer's fields for clients such as QGIS.
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// Credit names what a tile set shows and where it comes from, as the data says.
type Credit struct {
	Region    data.Text // the region's name
	Source    string    // the boundaries' source and licence
	Synthetic bool      // households are generated, not surveyed
}

// attribution is the line a map shows under its tiles.
func (c Credit) attribution(lang string) string {
	s := "labmap"
	if c.Source != "" {
		s += "; " + data.Text{ID: "batas wilayah: ", EN: "boundaries: "}.In(lang) + c.Source
	}
	if c.Synthetic {
		s += "; " + data.Text{ID: "rumah tangga sintetis, bukan data survei", EN: "synthetic households, not survey data"}.In(lang)
	}
	return s
}

// NewTileJSON describes layers served at tileURL (with {z}/{x}/{y}) over
// the data's extent, with field descriptions from the registry in lang.
func NewTileJSON(layers []Layer, tileURL string, extent orb.Bound, props []string, lang string, credit Credit) TileJSON {
	name := ""
	for i, l := range layers {
		if i > 0 {
			name += ","
		}
		name += l.Name
	}
	tj := TileJSON{
		TileJSON:    "3.0.0",
		Name:        "labmap " + name,
		Description: data.Text{ID: "Indikator laboratorium kemiskinan " + credit.Region.ID, EN: "Poverty lab indicators, " + credit.Region.EN}.In(lang),
		Version:     "1.0.0",
		Attribution: credit.attribution(lang),
		Scheme:      "xyz",
		Tiles:       []string{tileURL},
		MinZoom:     MinZoom,
		MaxZoom:     MaxZoom,
		Bounds:      [4]float64{extent.Min[0], extent.Min[1], extent.Max[0], extent.Max[1]},
		Center:      [3]float64{(extent.Min[0] + extent.Max[0]) / 2, (extent.Min[1] + extent.Max[1]) / 2, 10},
	}
	if extent.IsZero() {
		tj.Bounds = [4]float64{-180, -85.0511, 180, 85.0511}
		tj.Center = [3]float64{0, 0, 2}
	}
	for _, l := range layers {
		if l.Level == data.LevelHexagon {
			tj.HexagonRes = HexagonZooms()
		}
		fields := map[string]string{
			"code":       data.Text{ID: "Kode wilayah (String)", EN: "Area code (String)"}.In(lang),
			"name":       data.Text{ID: "Nama wilayah (String)", EN: "Area name (String)"}.In(lang),
			"suppressed": data.Text{ID: "Disembunyikan: kurang dari k rumah tangga (Boolean)", EN: "Hidden: fewer than k households (Boolean)"}.In(lang),
		}
		switch l.Level {
		case data.LevelVillage:
			fields["district_code"] = data.Text{ID: "Kode kecamatan (String)", EN: "District code (String)"}.In(lang)
		case data.LevelZone:
			fields["kind"] = data.Text{ID: "Jenis zona: urban, coastal, forest (String)", EN: "Zone kind: urban, coastal, forest (String)"}.In(lang)
		case data.LevelHexagon:
			fields["res"] = data.Text{ID: "Resolusi H3 (Number)", EN: "H3 resolution (Number)"}.In(lang)
		}
		for _, ind := range data.Indicators {
			if props != nil && !contains(props, ind.Key) && ind.Key != "households" {
				continue
			}
			kind := "Number"
			if ind.Kind == data.KindCategory {
				kind = "String"
			}
			fields[ind.Key] = ind.Label.In(lang) + " (" + kind + ")"
			if tj.Better == nil {
				tj.Better = map[string]data.Better{}
			}
			tj.Better[ind.Key] = ind.Better
		}
		tj.VectorLayers = append(tj.VectorLayers, VectorLayer{
			ID: l.Name, Description: l.Description.In(lang), MinZoom: MinZoom, MaxZoom: MaxZoom, Fields: fields,
		})
	}
	return tj
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
