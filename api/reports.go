package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"labmap/data"
	"labmap/report"

	"github.com/gorilla/mux"
)

// reportPDF answers GET /reports/{zone-id|regency}.pdf: the printable report
// of a lab zone or the whole regency, from public figures only.
func (s *Server) reportPDF(w http.ResponseWriter, r *http.Request) error {
	if err := allowOnly(r, "round", "indicator", "lang"); err != nil {
		return err
	}
	opt, err := s.reportOptions(r)
	if err != nil {
		return err
	}
	return s.writeReport(w, r, "application/pdf", opt, "pdf", report.WritePDF)
}

// reportPNG answers GET /maps/{zone-id|regency}.png: the report's map alone,
// sized for slides.
func (s *Server) reportPNG(w http.ResponseWriter, r *http.Request) error {
	if err := allowOnly(r, "round", "indicator", "lang", "width", "height"); err != nil {
		return err
	}
	opt, err := s.reportOptions(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		dst  *int
	}{{"width", &opt.Width}, {"height", &opt.Height}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < report.MinSize || n > report.MaxSize {
			return badRequest("parameter %s: %q is not a whole number of pixels from %d to %d", p.name, v, report.MinSize, report.MaxSize)
		}
		*p.dst = n
	}
	return s.writeReport(w, r, "image/png", opt, "png", report.WritePNG)
}

// reportOptions reads the parameters the PDF and the PNG share.
func (s *Server) reportOptions(r *http.Request) (report.Options, error) {
	q := r.URL.Query()
	opt := report.Options{Zone: mux.Vars(r)["zone"], Indicator: q.Get("indicator"), MinHouseholds: s.opt.MinHouseholds}
	if opt.Indicator != "" && data.IndicatorIndex(opt.Indicator) < 0 {
		return opt, badRequest("parameter indicator: %q is not an indicator (see /api/indicators)", opt.Indicator)
	}
	if v := q.Get("round"); v != "" {
		round, err := data.ParseRound(v)
		if err != nil {
			return opt, badRequest("parameter round: %v", err)
		}
		opt.Round = round
	}
	lang, err := langOf(r)
	if err != nil {
		return opt, err
	}
	opt.Lang = lang
	return opt, nil
}

// writeReport renders the report into memory (so that a failure is still a
// JSON error, not half a file) and sends it, revalidated by the dataset
// version: a report changes only with an import.
func (s *Server) writeReport(w http.ResponseWriter, r *http.Request, contentType string, opt report.Options, ext string,
	write func(context.Context, data.Store, report.Options, io.Writer) error) error {
	version, err := s.store.Version(r.Context())
	if err != nil {
		return err
	}
	etag := fmt.Sprintf(`"report-%d-k%d"`, version, s.opt.MinHouseholds)
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	var buf bytes.Buffer
	err = write(r.Context(), s.store, opt, &buf)
	switch {
	case errors.Is(err, report.ErrUnknownZone):
		h.Del("ETag")
		h.Del("Cache-Control")
		return &Error{Status: http.StatusNotFound, Msg: err.Error()}
	case errors.Is(err, report.ErrInvalidOption), errors.Is(err, data.ErrInvalidQuery):
		h.Del("ETag")
		h.Del("Cache-Control")
		return badRequest("%v", err)
	case err != nil:
		h.Del("ETag")
		h.Del("Cache-Control")
		return err
	}
	name := "labmap-" + opt.Zone + "." + ext
	return writeFile(w, r, contentType, name, buf.Bytes())
}
