package postgis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"labmap/data"

	"github.com/jackc/pgx/v5"
)

// An import's scope is the region code its villages share (data.RegionOf, or
// the --region-code given): "33.26" for one regency, "33" for a province,
// "" for a file spanning provinces. The import replaces only what lies in
// its scope — the villages and districts whose codes start with the scope
// and a dot, the zones with villages there, and those villages' households
// of the rounds in its file — and leaves every other row as it is. Scope ""
// replaces the whole database, as every import did before schema 6.

// scope is the region an import replaces.
type scope string

// province is the province whose partitions hold the scope's rows; "" for
// the whole database.
func (s scope) province() string {
	p, _, _ := strings.Cut(string(s), ".")
	return p
}

// holds reports whether an area code lies in the scope.
func (s scope) holds(code string) bool {
	return s == "" || strings.HasPrefix(code, string(s)+".")
}

// sqlHolds is the SQL condition that column lies in the scope given as
// parameter $n (starts_with is exact where LIKE would read _ and %).
func sqlHolds(column string, n int) string {
	return fmt.Sprintf("($%[2]d = '' OR starts_with(%[1]s, $%[2]d || '.'))", column, n)
}

// importScope is the scope of an import of villages: the region code given,
// or the villages' common prefix. Every village must lie in a given scope.
func importScope(given string, villages []data.Village, file string) (scope, error) {
	s := scope(data.RegionOf(data.Region{Code: given}, villages).Code)
	for _, v := range villages {
		if !s.holds(v.Code) {
			return "", fmt.Errorf("import: village %s of %s lies outside the region %s the files name: an import replaces only its region, so every village must lie in it", v.Code, file, s)
		}
	}
	return s, nil
}

// lockKeys are the advisory locks an import of the scope takes, outermost
// first: shared on every enclosing region, exclusive on its own. An import
// of 33.26 and one of 33.25 share the lock of 33 and of the whole database
// and run side by side; an import of 33 takes 33 exclusively and so waits
// for both (and they for it); scope "" takes the whole database's lock
// exclusively and excludes every other import. The keys are taken in this
// order by every import, so two imports never wait for each other in a
// cycle.
func (s scope) lockKeys() (shared []string, exclusive string) {
	shared = []string{""}
	if s == "" {
		return nil, ""
	}
	parts := strings.Split(string(s), ".")
	for i := 1; i < len(parts); i++ {
		shared = append(shared, strings.Join(parts[:i], "."))
	}
	return shared, string(s)
}

// lockScope takes the scope's advisory locks for the rest of tx, saying so
// in the log when it has to wait for another import.
func lockScope(ctx context.Context, tx pgx.Tx, s scope, log *slog.Logger) error {
	shared, exclusive := s.lockKeys()
	waited := false
	take := func(fn, key string) error {
		var got bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock`+fn+`(hashtextextended('labmap import ' || $1, 0))`, key).Scan(&got); err != nil {
			return fmt.Errorf("lock region %q: %w", key, err)
		}
		if got {
			return nil
		}
		if !waited {
			log.Info("another import is running; waiting for it to finish", "region", string(s))
		}
		waited = true
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock`+fn+`(hashtextextended('labmap import ' || $1, 0))`, key); err != nil {
			return fmt.Errorf("lock region %q: %w", key, err)
		}
		return nil
	}
	for _, k := range shared {
		if err := take("_shared", k); err != nil {
			return err
		}
	}
	if err := take("", exclusive); err != nil {
		return err
	}
	if waited {
		log.Info("the other import finished; going on")
	}
	return nil
}

// needsFullRebuild says when an import cannot refresh only its region: it
// spans provinces, the aggregates were built by another registry (or not
// at all), or a round the aggregates hold has no household left (an import
// replaces only the rounds in its file, so none does that; a round lost
// another way is met by rebuilding). Otherwise it returns the rounds the
// database gained with this import: every area has a row per round, so the
// refresh adds empty rows to the other regions too (from the village rows,
// not the households). Called in the final phase, it compares the rounds
// the aggregates hold with those the households now hold, other imports'
// committed rounds included.
func needsFullRebuild(ctx context.Context, tx pgx.Tx, s scope) (full bool, added []string, err error) {
	if s == "" {
		return true, nil, nil
	}
	var same bool
	if err := tx.QueryRow(ctx, `SELECT st.registry_hash = $1
		AND to_regclass('agg_villages') IS NOT NULL AND to_regclass('agg_village_causes') IS NOT NULL
		FROM dataset_state st`, registryHash()).Scan(&same); err != nil {
		return false, nil, fmt.Errorf("compare the registry: %w", err)
	}
	if !same {
		return true, nil, nil
	}
	var lost bool
	if err := tx.QueryRow(ctx, `WITH now AS (SELECT round FROM `+roundsList+`),
		had AS (SELECT DISTINCT round FROM agg_villages)
		SELECT ARRAY(SELECT to_char(round, 'YYYY-MM-DD') FROM now EXCEPT SELECT to_char(round, 'YYYY-MM-DD') FROM had ORDER BY 1),
		       EXISTS (SELECT round FROM had EXCEPT SELECT round FROM now)`).Scan(&added, &lost); err != nil {
		return false, nil, fmt.Errorf("compare rounds: %w", err)
	}
	return lost, added, nil
}

// storedVillageCodes lists every village the database holds, with its
// code alone: what data.RegionOf needs.
func storedVillageCodes(ctx context.Context, tx pgx.Tx) ([]data.Village, error) {
	rows, err := tx.Query(ctx, `SELECT code FROM villages`)
	if err != nil {
		return nil, fmt.Errorf("read village codes: %w", err)
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read village codes: %w", err)
	}
	all := make([]data.Village, len(codes))
	for i, c := range codes {
		all[i].Code = c
	}
	return all, nil
}

// writeDatasetRegion names the region the whole database covers: the import's
// region when it covers every village stored, else the villages' common
// prefix (a province when two of its regencies are imported one by one, a
// regency when a removal left one), named as the import that brought that
// regency named it (the regencies table keeps the name) or, for a province,
// by data.RegionOf. A removal gives no region and no villages.
func writeDatasetRegion(ctx context.Context, tx pgx.Tx, given data.Region, villages []data.Village) (data.Region, error) {
	all, err := storedVillageCodes(ctx, tx)
	if err != nil {
		return data.Region{}, err
	}
	mine := data.RegionOf(data.Region{Code: given.Code}, villages).Code
	if whole := data.RegionOf(data.Region{}, all).Code; whole != mine && !(given.Code != "" && len(all) == len(villages)) {
		given = data.Region{Code: whole}
		villages = all
		err := tx.QueryRow(ctx, `SELECT name_id, name_en FROM regencies WHERE code = $1`, whole).Scan(&given.Name.ID, &given.Name.EN)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return data.Region{}, fmt.Errorf("read the name of regency %s: %w", whole, err)
		}
	}
	return writeRegion(ctx, tx, given, villages)
}

// ensureHouseholdPartitions creates the households partitions of the
// (province, round) pairs the staged rows need (labmap_households_partition
// in migration 6). The `--dir` import calls it before the regencies start,
// so that parallel imports of one province never queue on a new partition.
func ensureHouseholdPartitions(ctx context.Context, q querier, staged string) error {
	rows, err := q.Query(ctx, `SELECT labmap_households_partition(province, round) FROM (SELECT DISTINCT province, round FROM `+staged+`) x`)
	if err != nil {
		return fmt.Errorf("create households partitions: %w", err)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("create households partitions: %w", err)
	}
	return nil
}

// EnsurePartitions creates the households partitions of the given
// provinces and rounds (dates as YYYY-MM-DD) in a transaction of its own.
// Imports create what they lack themselves; creating them first lets
// imports of one province that bring a new round run in parallel instead
// of queueing on the partition the first of them creates.
func EnsurePartitions(ctx context.Context, url string, provinces []string, rounds []data.Round) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("create partitions: connect: %w", classify(err))
	}
	defer conn.Close(context.Background())
	if err := checkSchemaVersion(ctx, conn); err != nil {
		return fmt.Errorf("create partitions: %w", err)
	}
	rs := make([]string, len(rounds))
	for i, r := range rounds {
		rs[i] = string(r)
	}
	_, err = conn.Exec(ctx, `SELECT labmap_households_partition(p, r) FROM unnest($1::text[]) p CROSS JOIN unnest($2::date[]) r`, provinces, rs)
	if err != nil {
		return fmt.Errorf("create partitions: %w", classify(err))
	}
	return nil
}
