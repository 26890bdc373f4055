package postgis

import (
	"context"
	"fmt"

	"labmap/data"

	"github.com/jackc/pgx/v5"
)

// ReadAudit reads the audit rows q selects from the database at url over a
// connection of its own, for `labmap audit`, which needs no store. The audit
// table is only ever appended to: there is no code here or elsewhere that
// changes or removes a row, and migration 0005's trigger refuses it.
func ReadAudit(ctx context.Context, url string, q data.AuditQuery) ([]data.AuditRecord, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("audit: connect: %w", classify(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return readAudit(ctx, conn, q)
}
