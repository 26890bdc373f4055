package data

import (
	"context"
	"errors"
	"time"
)

// ErrSchema marks an error saying the database's schema is not the one this
// build needs; its message says what to run and is fit for clients.
var ErrSchema = errors.New("database schema is not current")

// Readiness is what a store can say about itself apart from its data
// queries, for /healthz and /readyz: those must answer at once while every
// data connection is busy. A store without it is taken to be always ready.
type Readiness interface {
	// Ready returns nil when the store can serve data now: its database
	// answers and its schema is the one this build needs. An unreachable
	// database gives an error wrapping ErrUnavailable; a schema that is
	// behind gives an ErrSchema that says to run `labmap migrate`.
	Ready(ctx context.Context) error
	// Health is Status read without waiting behind data queries.
	Health(ctx context.Context) (Status, error)
}

// PoolStats is a snapshot of a store's data connection pool, for metrics.
type PoolStats struct {
	Acquired int32 // connections running a query
	Idle     int32 // open connections waiting for one
	Total    int32 // open connections, acquired, idle and being opened
	Max      int32 // the pool's bound (--db-max-conns)
	// Waits counts acquires, since the store opened, that found no idle
	// connection and had to wait for one; WaitTime is their total wait.
	Waits    int64
	WaitTime time.Duration
	// Canceled counts acquires given up because their request ended first.
	Canceled int64
}

// Pooled is implemented by stores that query through a connection pool.
type Pooled interface {
	PoolStats() PoolStats
}

// ReadSource is one database a store reads from, for metrics: a streaming
// replica, or the primary that reads fall back to.
type ReadSource struct {
	Name    string // host:port
	Primary bool
	// Up is false while the source does not answer (a replica is then
	// left out of reads until it does).
	Up bool
	// Version is the dataset version the source was last seen to have.
	Version int64
	// Serving is true for the source reads go to now.
	Serving bool
}

// ReadRouted is implemented by stores that may send reads to replicas.
type ReadRouted interface {
	// ReadSources lists the sources, or nil when reads all go to one database.
	ReadSources() []ReadSource
}
