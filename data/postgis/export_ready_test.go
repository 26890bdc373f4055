package postgis

import (
	"context"
	"log/slog"
)

// MigrateTo applies the migrations up to version and no further, leaving a
// database whose schema is behind this build.
func MigrateTo(ctx context.Context, url string, log *slog.Logger, version int) ([]int, error) {
	return migrateTo(ctx, url, log, version)
}
