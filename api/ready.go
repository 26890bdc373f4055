package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"labmap/data"
)

// liveness answers /healthz: the process is alive and serving HTTP, so it is
// 200 even while the database is down (a liveness probe that failed then
// would restart a server that recovers by itself). The body still says what
// the store reports, read on the store's health connection so that it never
// waits behind data queries; /readyz is the probe that says whether to send
// traffic.
func (s *Server) liveness(w http.ResponseWriter, r *http.Request) error {
	st, err := s.healthStatus(r.Context())
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		s.log.Debug("healthz: store unavailable", "err", err)
		return writeJSON(w, map[string]any{"status": "down", "store": st.Store, "error": "store unavailable"})
	}
	reg := regionOf(st)
	return writeJSON(w, map[string]any{
		"status": "ok", "store": st.Store, "dataset_version": st.DatasetVersion, "households": st.Households,
		"region": reg, "synthetic": reg.Synthetic,
	})
}

// healthStatus is the store's status without queuing behind data queries
// when the store can do that (data.Readiness).
func (s *Server) healthStatus(ctx context.Context) (data.Status, error) {
	if rs, ok := s.store.(data.Readiness); ok {
		return rs.Health(ctx)
	}
	return s.store.Status(ctx)
}

// readiness answers /readyz: 200 when the store can serve data now, 503
// while its database is unreachable or its schema is behind this build (the
// message then says to run `labmap migrate`). A store without
// data.Readiness holds its data in the process and is always ready.
func (s *Server) readiness(w http.ResponseWriter, r *http.Request) error {
	var err error
	if rs, ok := s.store.(data.Readiness); ok {
		err = rs.Ready(r.Context())
	}
	w.Header().Set("Cache-Control", "no-store")
	if err == nil {
		return writeJSON(w, map[string]any{"ready": true})
	}
	// A probe runs every few seconds: one log line per probe is noise.
	s.log.Debug("readyz: not ready", "err", err)
	msg := "the database is unreachable; try again shortly"
	switch {
	case errors.Is(err, data.ErrSchema):
		msg = err.Error() // versions and the command to run, nothing internal
	case !errors.Is(err, data.ErrUnavailable):
		msg = "the store cannot serve; see the server log"
		s.log.Warn("readyz: store not ready", "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	return json.NewEncoder(w).Encode(map[string]any{"ready": false, "status": http.StatusServiceUnavailable, "error": msg})
}
