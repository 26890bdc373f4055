package postgis

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"labmap/data"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded SQL file, named NNNN_description.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{v, strings.TrimSuffix(e.Name(), ".sql"), string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	return out, nil
}

// SchemaVersion is the schema version this build of labmap needs.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// advisory lock keys; arbitrary constants that name labmap's critical sections.
const (
	lockMigrate int64 = 0x6c61626d61700001 // "labmap" + 1
	lockImport  int64 = 0x6c61626d61700002
)

// Migrate applies every embedded migration the database lacks, each in its
// own transaction together with its row in schema_migrations, so a failed
// migration leaves nothing half-applied. Concurrent runs wait for each other
// on an advisory lock. It then rebuilds the aggregates if they were built by
// a different indicator registry. It returns the versions it applied.
func Migrate(ctx context.Context, url string, log *slog.Logger) ([]int, error) {
	return migrateTo(ctx, url, log, SchemaVersion())
}

// migrateTo is Migrate stopping at version upTo, and rebuilding the
// aggregates only at the latest version, whose registry they must match;
// tests use it to make a database that is behind.
func migrateTo(ctx context.Context, url string, log *slog.Logger, upTo int) ([]int, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("migrate: connect: %w", classify(err))
	}
	defer conn.Close(context.Background())
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lockMigrate); err != nil {
		return nil, fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, lockMigrate)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var applied []int
	for _, m := range ms {
		if m.version > upTo {
			return applied, nil
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.version).Scan(&done); err != nil {
				return err
			}
			if done {
				return nil
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
				return err
			}
			applied = append(applied, m.version)
			log.Info("applied migration", "version", m.version, "name", m.name)
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("migrate: migration %s: %w", m.name, err)
		}
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var hash string
		if err := tx.QueryRow(ctx, `SELECT registry_hash FROM dataset_state`).Scan(&hash); err != nil {
			return err
		}
		if hash == registryHash() {
			return nil
		}
		// A database imported before schema 7 has districts but no
		// regencies yet; the rebuild needs them.
		if err := fillAdminAreas(ctx, tx); err != nil {
			return err
		}
		// No import may run beside a full rebuild (see lockScope).
		if err := lockScope(ctx, tx, "", log); err != nil {
			return err
		}
		log.Info("rebuilding aggregates for this indicator registry")
		return rebuildAggregates(ctx, tx, log)
	})
	if err != nil {
		return applied, fmt.Errorf("migrate: rebuild aggregates: %w", err)
	}
	return applied, nil
}

// errRegistryChanged says the aggregate tables do not match this build's
// indicator registry; migrate (or any import) rebuilds them.
var errRegistryChanged error = schemaError("the aggregates were built by a labmap with other indicators: run `labmap migrate --database-url ...` to rebuild them")

// errSchemaBehind explains what to do when the database needs migrating.
func errSchemaBehind(have, want int) error {
	return schemaError(fmt.Sprintf("the database schema is at version %d but this labmap needs version %d: run `labmap migrate --database-url ...` first", have, want))
}

// schemaError is a schema that is not this build's; it is data.ErrSchema,
// and its message, written for operators, names nothing internal.
type schemaError string

func (e schemaError) Error() string        { return string(e) }
func (e schemaError) Is(target error) bool { return target == data.ErrSchema }

// checkSchema compares the database's schema version and aggregate registry
// with this build's.
func checkSchema(ctx context.Context, q querier) error {
	var have int
	err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have)
	if err != nil {
		if isUndefinedTable(err) {
			return errSchemaBehind(0, SchemaVersion())
		}
		return err
	}
	if want := SchemaVersion(); have < want {
		return errSchemaBehind(have, want)
	} else if have > want {
		return schemaError(fmt.Sprintf("the database schema is at version %d, newer than this labmap (%d): upgrade labmap", have, want))
	}
	var hash string
	if err := q.QueryRow(ctx, `SELECT registry_hash FROM dataset_state`).Scan(&hash); err != nil {
		return err
	}
	if hash != registryHash() {
		return errRegistryChanged
	}
	return nil
}
