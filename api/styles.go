package api

import (
	"errors"
	"net/http"
	"strconv"

	"labmap/data"
	"labmap/qgis"
	"labmap/tiles"

	"github.com/gorilla/mux"
)

// Styles: one classification per request (tiles.Classify), written as a
// MapLibre style (.json), a QGIS style (.qml) or an SLD (.sld), so the web
// map, QGIS and other tools show the same classes in the same colours.

// styleRequest reads the parameters every style format takes.
func (s *Server) styleRequest(r *http.Request) (tiles.StyleQuery, tiles.Layer, error) {
	if err := allowOnly(r, "layer", "round", "zone", "res", "lang"); err != nil {
		return tiles.StyleQuery{}, tiles.Layer{}, err
	}
	key := mux.Vars(r)["indicator"]
	if data.IndicatorIndex(key) < 0 {
		return tiles.StyleQuery{}, tiles.Layer{}, &Error{Status: http.StatusNotFound, Msg: "no indicator " + strconv.Quote(key) + " (see /api/indicators)"}
	}
	lang, err := langOf(r)
	if err != nil {
		return tiles.StyleQuery{}, tiles.Layer{}, err
	}
	layerName := r.URL.Query().Get("layer")
	if layerName == "" {
		layerName = "villages"
	}
	layer, ok := tiles.LayerByName(layerName)
	if !ok {
		return tiles.StyleQuery{}, tiles.Layer{}, badRequest("parameter layer: %q is not one of hexagons, villages, districts, zones", layerName)
	}
	var req tiles.Request
	if err := tileParams(r, &req); err != nil {
		return tiles.StyleQuery{}, tiles.Layer{}, err
	}
	q := tiles.StyleQuery{Indicator: key, Level: layer.Level, Res: req.Res, Round: req.Round, Zone: req.Zone,
		Lang: lang, MinHouseholds: s.opt.MinHouseholds}
	return q, layer, nil
}

// classify parses a style request and classifies its areas, turning the
// store's refusal of a round or zone into a 400 that names it.
func (s *Server) classify(r *http.Request) (tiles.StyleQuery, tiles.Layer, tiles.Choropleth, error) {
	q, layer, err := s.styleRequest(r)
	if err != nil {
		return q, layer, tiles.Choropleth{}, err
	}
	ch, err := tiles.Classify(r.Context(), s.store, q)
	if errors.Is(err, data.ErrInvalidQuery) {
		err = badRequest("%v", err)
	}
	return q, layer, ch, err
}

func (s *Server) mapStyle(w http.ResponseWriter, r *http.Request) error {
	_, layer, ch, err := s.classify(r)
	if err != nil {
		return err
	}
	tileJSONURL := baseURL(r) + "/tiles/" + dedupe(layer.Name+",villages,districts,zones") + ".json" + passOn(r, "round", "zone", "res")
	return writeJSON(w, tiles.MapLibreStyle(ch, layer, tileJSONURL))
}

// collectionName is the OGC API collection of a style's level, which an
// SLD names as its layer.
func collectionName(q tiles.StyleQuery, layer tiles.Layer) string {
	if q.Level != data.LevelHexagon {
		return layer.Name
	}
	res := q.Res
	if res == 0 {
		res = 8
	}
	return "hexagons_r" + strconv.Itoa(res)
}

func (s *Server) qmlStyle(w http.ResponseWriter, r *http.Request) error {
	q, _, ch, err := s.classify(r)
	if err != nil {
		return err
	}
	body, err := qgis.QML(ch, q.Level)
	if err != nil {
		return err
	}
	return writeFile(w, r, "application/xml; charset=utf-8", q.Indicator+".qml", body)
}

func (s *Server) sldStyle(w http.ResponseWriter, r *http.Request) error {
	q, layer, ch, err := s.classify(r)
	if err != nil {
		return err
	}
	return writeFile(w, r, "application/vnd.ogc.sld+xml; charset=utf-8", q.Indicator+".sld", tiles.SLD(ch, collectionName(q, layer)))
}

// writeFile answers a document meant to be saved, under a file name.
func writeFile(w http.ResponseWriter, r *http.Request, contentType, name string, body []byte) error {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `inline; filename="`+name+`"`)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return nil
	}
	_, err := w.Write(body)
	return err
}
