package postgis

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5"
)

// RebuildAll runs the full rebuild of every aggregate, as `labmap migrate`
// does when the registry changed: the oracle for the incremental refresh.
func RebuildAll(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		return rebuildAggregates(ctx, tx, slog.New(slog.DiscardHandler))
	})
}
