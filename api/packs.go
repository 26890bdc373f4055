package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"labmap/data"
	"labmap/report"
	"labmap/report/pack"

	"github.com/gorilla/mux"
)

// pack answers GET /packs/{zone-id|regency}.zip: the offline meeting pack
// (report/pack), built on request from this server's own public answers
// and tiles, as `labmap pack` builds it.
func (s *Server) pack(w http.ResponseWriter, r *http.Request) error {
	if err := allowOnly(r, "round"); err != nil {
		return err
	}
	opt := pack.Options{Zone: mux.Vars(r)["zone"], MinHouseholds: s.opt.MinHouseholds}
	if v := r.URL.Query().Get("round"); v != "" {
		round, err := data.ParseRound(v)
		if err != nil {
			return badRequest("parameter round: %v", err)
		}
		opt.Round = round
	}
	version, err := s.store.Version(r.Context())
	if err != nil {
		return err
	}
	// A pack changes only with an import (or another k); the path and
	// round name the rest.
	etag := fmt.Sprintf(`"pack-%d-k%d-%s"`, version, s.opt.MinHouseholds, opt.Round)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	// The pack asks the router itself for the API's answers: without the
	// authentication around it, so they are the public's whoever asks.
	p, err := pack.Build(r.Context(), pack.Source{Store: s.store, API: s.routes(), Tiles: s.tiles}, opt)
	switch {
	case errors.Is(err, pack.ErrUnknownZone), errors.Is(err, report.ErrUnknownZone):
		return &Error{Status: http.StatusNotFound, Msg: err.Error()}
	case errors.Is(err, pack.ErrInvalidOption), errors.Is(err, report.ErrInvalidOption), errors.Is(err, data.ErrInvalidQuery):
		return badRequest("%v", err)
	case err != nil:
		return err
	}
	// Built in memory, so that a failure is still a JSON error, not half a zip.
	var buf bytes.Buffer
	if err := p.WriteZip(&buf); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="`+p.Name+`.zip"`)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", etag)
	if r.Method == http.MethodHead {
		return nil
	}
	_, err = w.Write(buf.Bytes())
	return err
}
