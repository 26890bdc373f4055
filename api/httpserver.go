package api

import (
	"log/slog"
	"net/http"
	"time"
)

// ConnLimits are the HTTP server's limits per connection: how long a client
// may take to send its request, to take the response, and to sit idle
// between requests, and how big its headers may be. Without them a client
// that connects and waits, or asks and never reads, holds its connection
// and the memory behind it for ever (issue 15: 500 idle connections held for
// three minutes; 40 clients that did not read held 2.78 GB).
type ConnLimits struct {
	// ReadHeaderTimeout bounds reading a request's headers (slow senders).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout time.Duration
	// WriteTimeout bounds a client that stops reading: the deadline is set
	// when the request has been read and pushed ahead by every write
	// (Options.WriteTimeout must be the same), so a long stream lives as
	// long as its client takes it.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection with no request.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers: a CQL2 filter at
	// the request budget's 64 KiB, percent-encoded, fits.
	MaxHeaderBytes int
}

// DefaultConnLimits returns `labmap serve`'s defaults. The write timeout
// leaves a request its DefaultRequestTimeout of work before the first byte
// is due.
func DefaultConnLimits() ConnLimits {
	return ConnLimits{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      DefaultRequestTimeout + 30*time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    256 << 10,
	}
}

// NewHTTPServer returns the http.Server for h with lim; its own complaints
// (malformed requests, accept errors) go to log at WARN.
func NewHTTPServer(h http.Handler, lim ConnLimits, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		WriteTimeout:      lim.WriteTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    lim.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
