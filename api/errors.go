package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"labmap/data"
)

// Error is an HTTP error with the status the client should see; handlers
// return it and the wrapper writes it once, as JSON.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

func badRequest(format string, args ...any) error {
	return &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, args...)}
}

// handlerFunc is an HTTP handler that reports failure by returning an error
// instead of writing it, so every error response has the same shape.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := checkRequestText(r) // the request budget (budget.go), for every endpoint
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

// writeError answers err as JSON with its status, and logs what is the
// server's concern: a client that went away is no failure (DEBUG, 499 in
// the access log), a store outage is logged once on the way down and once
// on the way up (outageLog), anything unexpected is an ERROR.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	var e *Error
	switch {
	case errors.As(err, &e):
	case errors.Is(ctx.Err(), context.Canceled):
		// The client hung up (a map panned on): nobody reads an answer.
		// 499 is nginx's "client closed request", for the log only.
		s.log.DebugContext(ctx, "request abandoned by the client", "path", r.URL.Path, "err", err)
		w.WriteHeader(statusClientClosedRequest)
		return
	case errors.Is(err, errBusy):
		w.Header().Set("Retry-After", retryAfterSeconds)
		e = &Error{Status: http.StatusServiceUnavailable, Msg: err.Error()}
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		limit := s.opt.RequestTimeout
		if info := infoOf(ctx); info != nil && info.class == classStream {
			limit = s.opt.StreamTimeout
		}
		s.log.InfoContext(ctx, "request timed out", "path", r.URL.Path, "limit", limit.String(), "err", err)
		w.Header().Set("Retry-After", retryAfterSeconds)
		e = &Error{Status: http.StatusServiceUnavailable, Msg: fmt.Sprintf("the request took longer than %s; ask for less (a zone, a bbox, a smaller limit) or try again", limit)}
	case errors.Is(err, data.ErrInvalidQuery):
		e = &Error{Status: http.StatusBadRequest, Msg: err.Error()}
	case errors.Is(err, data.ErrUnavailable):
		s.outage.unavailable(ctx, r.URL.Path, err)
		w.Header().Set("Retry-After", retryAfterSeconds)
		e = &Error{Status: http.StatusServiceUnavailable, Msg: "the database is unreachable; try again shortly"}
	default:
		// The cause may hold internals (SQL, paths); log it, answer plainly.
		s.log.ErrorContext(ctx, "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &Error{Status: http.StatusInternalServerError, Msg: "internal error"}
	}
	if responseStarted(r) {
		// The status has gone out with part of a body: a JSON error now
		// would be appended to it. Cut the connection instead (observe
		// logs the request first).
		panic(http.ErrAbortHandler)
	}
	writeJSONError(w, e.Status, e.Msg)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
	}{msg, status})
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return writeJSONBody(w, v)
}

// writeJSONBody writes v as JSON with whatever Content-Type is already set.
func writeJSONBody(w http.ResponseWriter, v any) error {
	return json.NewEncoder(w).Encode(v)
}
