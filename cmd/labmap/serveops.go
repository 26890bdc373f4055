package main

import (
	"flag"
	"fmt"
	"log/slog"
	"time"

	"labmap/api"
	"labmap/data"
)

// opsFlags are serve's operational limits: connection timeouts, request
// timeouts, admission control and proxy trust (README, "Operations").
type opsFlags struct {
	readHeaderTimeout, readTimeout, writeTimeout, idleTimeout *time.Duration
	requestTimeout, streamTimeout, queueWait                  *time.Duration
	maxHeaderBytes, maxInFlight, queueDepth                   *int
	trustProxy                                                *bool
}

func addOpsFlags(fs *flag.FlagSet) *opsFlags {
	def := api.DefaultConnLimits()
	return &opsFlags{
		readHeaderTimeout: fs.Duration("read-header-timeout", def.ReadHeaderTimeout, "longest a client may take to send a request's headers"),
		readTimeout:       fs.Duration("read-timeout", def.ReadTimeout, "longest a client may take to send a whole request"),
		writeTimeout:      fs.Duration("write-timeout", def.WriteTimeout, "longest a response may wait for its client to read: counted from the request, and pushed ahead by every write of a streamed answer; keep it above --request-timeout"),
		idleTimeout:       fs.Duration("idle-timeout", def.IdleTimeout, "how long a keep-alive connection may sit idle between requests"),
		maxHeaderBytes:    fs.Int("max-header-bytes", def.MaxHeaderBytes, "largest request line and headers, in bytes"),
		requestTimeout:    fs.Duration("request-timeout", api.DefaultRequestTimeout, "longest one request may work (tiles, items pages, stats, reports); past it the answer is 503"),
		streamTimeout:     fs.Duration("stream-timeout", api.DefaultStreamTimeout, "longest a streamed answer may take (items with limit=all, CSV, GeoPackage, offline packs)"),
		maxInFlight:       fs.Int("max-in-flight", 0, "expensive requests (tile renders, items, stats, reports, packs) served at once; 0: GOMAXPROCS, or with PostGIS up to twice that within --db-max-conns less one"),
		queueDepth:        fs.Int("queue-depth", 0, "requests that may wait for a slot beyond --max-in-flight; 0: eight per slot, at least 64; the rest get 503 with Retry-After"),
		queueWait:         fs.Duration("queue-wait", api.DefaultQueueWait, "longest a request waits for a slot before a 503 with Retry-After"),
		trustProxy:        fs.Bool("trust-proxy", false, "labmap runs behind a reverse proxy: honour X-Forwarded-Host and X-Forwarded-Proto, so the URLs labmap hands out name the proxy (and /metrics goes to admin tokens only, since every connection is the proxy's)"),
	}
}

// check refuses values that cannot work, naming the flag.
func (o *opsFlags) check() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"read-header-timeout", *o.readHeaderTimeout}, {"read-timeout", *o.readTimeout}, {"write-timeout", *o.writeTimeout},
		{"idle-timeout", *o.idleTimeout}, {"request-timeout", *o.requestTimeout}, {"stream-timeout", *o.streamTimeout}, {"queue-wait", *o.queueWait}} {
		if d.v <= 0 {
			return fmt.Errorf("--%s: %s is not a positive duration", d.name, d.v)
		}
	}
	if *o.writeTimeout <= *o.requestTimeout {
		return fmt.Errorf("--write-timeout: %s must be above --request-timeout (%s), or a slow answer is cut before its first byte", *o.writeTimeout, *o.requestTimeout)
	}
	if *o.maxHeaderBytes < 4096 {
		return fmt.Errorf("--max-header-bytes: %d is below 4096", *o.maxHeaderBytes)
	}
	if *o.maxInFlight < 0 || *o.queueDepth < 0 {
		return fmt.Errorf("--max-in-flight and --queue-depth: %d and %d; 0 chooses, negative is meaningless", *o.maxInFlight, *o.queueDepth)
	}
	return nil
}

// limits are the http.Server's connection limits.
func (o *opsFlags) limits() api.ConnLimits {
	return api.ConnLimits{ReadHeaderTimeout: *o.readHeaderTimeout, ReadTimeout: *o.readTimeout, WriteTimeout: *o.writeTimeout,
		IdleTimeout: *o.idleTimeout, MaxHeaderBytes: *o.maxHeaderBytes}
}

// apply sets the request-level limits on opt, choosing the admission
// slots from store when --max-in-flight is 0.
func (o *opsFlags) apply(opt *api.Options, store data.Store) {
	opt.TrustProxy = *o.trustProxy
	opt.RequestTimeout, opt.StreamTimeout, opt.WriteTimeout = *o.requestTimeout, *o.streamTimeout, *o.writeTimeout
	opt.MaxInFlight, opt.QueueDepth, opt.QueueWait = *o.maxInFlight, *o.queueDepth, *o.queueWait
	if opt.MaxInFlight == 0 {
		opt.MaxInFlight = api.DefaultMaxInFlight(store)
	}
}

// logAttr is the limits in force, for the start-up line.
func (o *opsFlags) logAttr(opt api.Options) slog.Attr {
	return slog.Group("limits", "request_timeout", opt.RequestTimeout.String(), "write_timeout", opt.WriteTimeout.String(),
		"idle_timeout", o.idleTimeout.String(), "max_in_flight", opt.MaxInFlight, "trust_proxy", opt.TrustProxy)
}
