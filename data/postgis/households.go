package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"labmap/data"
	"labmap/data/cql"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"
)

var _ data.HouseholdStore = (*Store)(nil)

// householdColumns are the SQL expressions of the household queryables,
// giving NULL where the memory store's data.HouseholdValue gives null.
// health_km is a real: its text is the float4's shortest decimal, which is
// what data.HealthKm serves.
var householdColumns = map[string]string{
	"household_id":           "h.household_id",
	"village_code":           "h.village_code",
	"head_name":              "h.head_name",
	"members":                "h.members",
	"poverty_status":         "h.poverty_status",
	"occupation":             "h.occupation",
	"welfare_decile":         "h.welfare_decile",
	"causes":                 "array_to_string(h.causes, ';')",
	"house_uninhabitable":    "h.house_uninhabitable",
	"house_repaired":         "h.house_repaired",
	"latrine":                "h.latrine",
	"water_source":           "h.water_source",
	"electricity":            "h.electricity",
	"chronic_ill":            "h.chronic_ill",
	"chronic_ill_treated":    "h.chronic_ill_treated",
	"disabled":               "h.disabled",
	"disabled_assisted":      "h.disabled_assisted",
	"children_school_age":    "h.children_school_age",
	"children_out_of_school": "h.children_out_of_school",
	"health_km":              "h.health_km::text::float8",
	"programs":               "array_to_string(h.programs, ';')",
}

const householdSelect = `SELECT h.household_id, to_char(h.round, 'YYYY-MM-DD'), ST_X(h.geom), ST_Y(h.geom),
	h.members, h.poverty_status, h.village_code, h.head_name, h.occupation, h.welfare_decile, h.causes,
	h.house_uninhabitable, h.house_repaired, h.latrine, h.water_source, h.electricity,
	h.chronic_ill, h.chronic_ill_treated, h.disabled, h.disabled_assisted, h.children_school_age,
	h.children_out_of_school, h.health_km, h.programs
	FROM households h`

// Households reads a page of households and their count in one REPEATABLE
// READ transaction, appends the audit row in it and commits; only a
// committed read reaches fn, so no household leaves without its audit row.
// A read that fails is rolled back and a failure row appended on its own.
func (s *Store) Households(ctx context.Context, q data.HouseholdQuery, fn func(*data.Household) error) (int, error) {
	page, matched, err := s.readHouseholds(ctx, q)
	if err != nil {
		if aerr := s.appendAuditFailure(ctx, q.Audit, err); aerr != nil {
			s.log.Error("audit: the failure row of a household read was not written", "err", aerr, "read_err", err,
				"token_id", q.Audit.TokenID, "endpoint", q.Audit.Endpoint)
		}
		return 0, err
	}
	for i := range page {
		if err := fn(&page[i]); err != nil {
			return matched, err
		}
	}
	return matched, nil
}

func (s *Store) readHouseholds(ctx context.Context, q data.HouseholdQuery) (page []data.Household, matched int, err error) {
	if err := s.ready(ctx); err != nil {
		return nil, 0, err
	}
	round, err := time.Parse(time.DateOnly, string(q.Round))
	if err != nil {
		return nil, 0, fmt.Errorf("%w: round %q: %v", data.ErrInvalidQuery, q.Round, err)
	}
	villages := q.Villages
	if villages == nil {
		villages = []string{}
	}
	args := []any{round, villages, q.AllVillages}
	where := ` WHERE h.round = $1 AND (h.village_code = ANY($2::text[]) OR $3::boolean)`
	if q.Bound != nil {
		n := len(args)
		args = append(args, q.Bound.Min[0], q.Bound.Min[1], q.Bound.Max[0], q.Bound.Max[1])
		where += fmt.Sprintf(" AND h.geom && ST_MakeEnvelope($%d, $%d, $%d, $%d, 4326)", n+1, n+2, n+3, n+4)
	}
	if q.Filter != nil {
		col := func(name string) (string, bool) { c, ok := householdColumns[name]; return c, ok }
		var sql string
		if sql, args, err = cql.SQL(q.Filter, col, "h.geom", args); err != nil {
			return nil, 0, fmt.Errorf("%w: filter: %v", data.ErrInvalidQuery, err)
		}
		where += " AND (" + sql + ")"
	}
	limit := q.Limit
	if limit <= 0 || limit > data.MaxHouseholdLimit {
		limit = data.MaxHouseholdLimit
	}
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM households h`+where, args...).Scan(&matched); err != nil {
			return fmt.Errorf("count households: %w", err)
		}
		pageArgs := append(args[:len(args):len(args)], q.After, limit)
		n := len(pageArgs)
		rows, err := tx.Query(ctx, householdSelect+where+
			fmt.Sprintf(` AND h.household_id COLLATE "C" > $%d ORDER BY h.household_id COLLATE "C" LIMIT $%d`, n-1, n), pageArgs...)
		if err != nil {
			return fmt.Errorf("read households: %w", err)
		}
		if page, err = scanHouseholds(rows); err != nil {
			return fmt.Errorf("read households: %w", err)
		}
		return insertAudit(ctx, tx, q.Audit, len(page), nil)
	})
	if err != nil {
		return nil, 0, classify(err)
	}
	return page, matched, nil
}

func scanHouseholds(rows pgx.Rows) ([]data.Household, error) {
	defer rows.Close()
	var out []data.Household
	for rows.Next() {
		var (
			h                                     data.Household
			round, status                         string
			lon, lat                              float64
			members                               int32
			head, occupation, latrine, water      *string
			decile                                *int16
			uninhabitable, repaired, electricity  *bool
			ill, treated, disabled, assisted, sch int32
			outOfSchool                           int32
			health                                *float32
		)
		if err := rows.Scan(&h.ID, &round, &lon, &lat, &members, &status, &h.VillageCode, &head, &occupation,
			&decile, &h.Causes, &uninhabitable, &repaired, &latrine, &water, &electricity,
			&ill, &treated, &disabled, &assisted, &sch, &outOfSchool, &health, &h.Programs); err != nil {
			return nil, err
		}
		h.Round, h.Loc, h.Members, h.Status = data.Round(round), orb.Point{lon, lat}, int(members), data.PovertyStatuses[status]
		h.HeadName, h.Occupation, h.WaterSource = deref(head), deref(occupation), deref(water)
		if decile != nil {
			h.WelfareDecile = int(*decile)
		}
		if latrine != nil {
			h.Latrine = data.Latrines[*latrine]
		}
		h.HouseUninhabitable, h.HouseRepaired, h.Electricity = flagOf(uninhabitable), flagOf(repaired), flagOf(electricity)
		h.ChronicIll, h.ChronicIllTreated, h.Disabled, h.DisabledAssisted = int(ill), int(treated), int(disabled), int(assisted)
		h.ChildrenSchoolAge, h.ChildrenOutOfSchool = int(sch), int(outOfSchool)
		h.HealthKm = -1
		if health != nil {
			h.HealthKm = data.HealthKm(float64(*health))
		}
		if len(h.Causes) == 0 {
			h.Causes = nil
		}
		if len(h.Programs) == 0 {
			h.Programs = nil
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func flagOf(b *bool) data.Flag {
	switch {
	case b == nil:
		return data.FlagUnknown
	case *b:
		return data.FlagYes
	}
	return data.FlagNo
}

// execer is what a pool and a transaction have in common for writing.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// insertAudit appends one audit row; token id 0 (no token row) is NULL.
func insertAudit(ctx context.Context, db execer, e data.AuditEntry, rows int, readErr error) error {
	ok, msg := readErr == nil, ""
	if readErr != nil {
		msg = readErr.Error()
	}
	_, err := db.Exec(ctx, `INSERT INTO audit (token_id, token_name, endpoint, query, rows, client_addr, ok, error)
		VALUES (NULLIF($1, 0), $2, $3, $4, $5, $6, $7, $8)`,
		e.TokenID, e.TokenName, e.Endpoint, e.Query, rows, e.ClientAddr, ok, msg)
	if err != nil {
		return fmt.Errorf("append audit row: %w", err)
	}
	return nil
}

// appendAuditFailure records a failed read. It runs after the read's
// transaction is gone, so it outlives a cancelled request (bounded by its
// own timeout): a client that hangs up must not erase its failed read.
func (s *Store) appendAuditFailure(ctx context.Context, e data.AuditEntry, readErr error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return classify(insertAudit(ctx, s.pool, e, 0, readErr))
}

// Audit returns the audit rows q selects, oldest first.
func (s *Store) Audit(ctx context.Context, q data.AuditQuery) ([]data.AuditRecord, error) {
	var out []data.AuditRecord
	err := s.read(ctx, func(db querier) error {
		var err error
		out, err = readAudit(ctx, db, q)
		return err
	})
	return out, err
}

func readAudit(ctx context.Context, db querier, q data.AuditQuery) ([]data.AuditRecord, error) {
	rows, err := db.Query(ctx, `SELECT id, at, coalesce(token_id, 0), token_name, endpoint, query, rows, client_addr, ok, error
		FROM audit WHERE at >= $1 AND ($2 = '' OR token_name = $2) ORDER BY id`, q.Since, q.TokenName)
	if err != nil {
		if isUndefinedTable(err) {
			return nil, errors.New("the database has no audit table: run labmap migrate")
		}
		return nil, fmt.Errorf("read audit: %w", err)
	}
	defer rows.Close()
	var out []data.AuditRecord
	for rows.Next() {
		var r data.AuditRecord
		if err := rows.Scan(&r.ID, &r.At, &r.TokenID, &r.TokenName, &r.Endpoint, &r.Query, &r.Rows, &r.ClientAddr, &r.OK, &r.Error); err != nil {
			return nil, fmt.Errorf("read audit: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
