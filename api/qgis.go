package api

import (
	"errors"
	"net/http"

	"labmap/data"
	"labmap/qgis"
	"labmap/tiles"

	"github.com/gorilla/mux"
)

// qgisProject answers a QGIS project over this server, as .qgs (XML) or
// .qgz (the same, zipped): ?indicator= (default poverty_rate), ?round=
// (default the latest), ?lang=. Its layers point at the URL the client
// used (Host, or X-Forwarded-Host and -Proto behind a proxy).
func (s *Server) qgisProject(w http.ResponseWriter, r *http.Request) error {
	if err := allowOnly(r, "indicator", "round", "lang"); err != nil {
		return err
	}
	q := r.URL.Query()
	key := q.Get("indicator")
	if key == "" {
		key = "poverty_rate"
	}
	if data.IndicatorIndex(key) < 0 {
		return badRequest("parameter indicator: %q is not an indicator (see /api/indicators)", key)
	}
	var round data.Round
	if v := q.Get("round"); v != "" {
		var err error
		if round, err = data.ParseRound(v); err != nil {
			return badRequest("parameter round: %v", err)
		}
	}
	lang, err := langOf(r)
	if err != nil {
		return err
	}
	p, err := qgis.NewProject(r.Context(), s.store, qgis.ProjectQuery{ServerURL: baseURL(r), Indicator: key, Round: round,
		Lang: lang, MinHouseholds: s.opt.MinHouseholds})
	if errors.Is(err, data.ErrInvalidQuery) || errors.Is(err, tiles.ErrUnknownIndicator) {
		return badRequest("%v", err)
	}
	if err != nil {
		return err
	}
	if mux.Vars(r)["ext"] == "qgz" {
		body, err := p.QGZ()
		if err != nil {
			return err
		}
		return writeFile(w, r, "application/zip", "labmap.qgz", body)
	}
	body, err := p.QGS()
	if err != nil {
		return err
	}
	return writeFile(w, r, "application/x-qgis-project; charset=utf-8", "labmap.qgs", body)
}
