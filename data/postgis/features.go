package postgis

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"labmap/data"
	"labmap/data/cql"
)

var _ data.FeatureStore = (*Store)(nil)

// publishedSQL is true for a row the disclosure rule publishes: at least
// k households and not hidden by complementary suppression.
func publishedSQL(k int, hid hiddenParams) string {
	return "(a.m_households >= " + strconv.Itoa(k) + " AND a.code NOT IN (SELECT unnest(" + hid.areas + "::text[])))"
}

// queryableSQL is the SQL expression of a queryable over the aggregate row
// a: the value the API publishes, so NULL when the area is suppressed or the
// figure withheld; a filter or sort can never reveal what a map hides. k is
// the store's own threshold, an integer formatted here, never request data;
// hid names the bind parameters that list what complementary suppression
// hides (see hiddenParams).
func queryableSQL(level data.Level, name string, k int, hid hiddenParams) (string, bool) {
	ks := strconv.Itoa(k)
	published := publishedSQL(k, hid)
	switch name {
	case "code":
		return "a.code", true
	case "name":
		return "a.name", true
	case "suppressed":
		return "(NOT " + published + ")", true
	case "district_code":
		return "a.district_code", level == data.LevelVillage
	case "kind":
		return "a.kind", level == data.LevelZone
	case "zone":
		switch level {
		case data.LevelZone:
			return "a.code", true
		case data.LevelVillage:
			return `(SELECT zv.zone_id FROM zone_villages zv JOIN zones z ON z.id = zv.zone_id
				WHERE zv.village_code = a.code ORDER BY z.ord, z.id LIMIT 1)`, true
		case data.LevelDistrict:
			return `(SELECT zv.zone_id FROM zone_villages zv JOIN zones z ON z.id = zv.zone_id JOIN villages v ON v.code = zv.village_code
				WHERE v.district_code = a.code ORDER BY z.ord, z.id LIMIT 1)`, true
		case data.LevelRegency, data.LevelProvince:
			return `(SELECT zv.zone_id FROM zone_villages zv JOIN zones z ON z.id = zv.zone_id
				WHERE zv.village_code LIKE a.code || '.%' ORDER BY z.ord, z.id LIMIT 1)`, true
		case data.LevelHexagon:
			// The first zone, by zone order, with households in the cell at
			// this round; the same whether a comes from agg_hexagons or
			// from one zone's hexagons.
			return `(SELECT hz.zone_id FROM hexagon_zones hz JOIN zones z ON z.id = hz.zone_id
				WHERE hz.round = a.round AND hz.res = a.res AND hz.cell = a.cell ORDER BY z.ord, z.id LIMIT 1)`, true
		}
		return "", false
	}
	i := data.IndicatorIndex(name)
	if i < 0 {
		return "", false
	}
	ind := data.Indicators[i]
	cond := published
	if ind.Sensitive {
		// The primary rule, as data.Evaluate has it: every count the
		// figure reveals is 0 or at least k.
		for _, q := range data.RevealedCounts(i) {
			v := "a." + measureCol(q[0])
			if q[1] >= 0 {
				v = "(" + v + " - a." + measureCol(q[1]) + ")"
			}
			cond += " AND (" + v + " = 0 OR " + v + " >= " + ks + ")"
		}
		// Indicator keys are the registry's own identifiers.
		cond += " AND ('" + ind.Key + "|' || a.code) NOT IN (SELECT unnest(" + hid.withheld + "::text[]))"
	}
	var expr string
	switch ind.Kind {
	case data.KindCount:
		expr = "a." + measureCol(ind.Numerator) + "::float8"
	case data.KindRate:
		expr = fmt.Sprintf("round(a.%s::numeric / nullif(a.%s, 0), 6)::float8", measureCol(ind.Numerator), measureCol(ind.Denominator))
	case data.KindCategory:
		expr = "a.dominant_cause"
	}
	return "(CASE WHEN " + cond + " THEN " + expr + " END)", true
}

// hiddenParams names the two bind parameters (text arrays) that carry what
// complementary suppression hides at one level and round: the codes of
// hidden areas, and "indicator|code" for withheld figures. The primary rule
// is plain SQL; only these few extra cells travel as parameters, and
// NOT IN (SELECT unnest(...)) lets PostgreSQL hash them once per query.
type hiddenParams struct {
	areas, withheld string
}

// addHidden appends the hidden lists of q to args and names them.
func addHidden(disc *data.Disclosure, q data.StatsQuery, args []any) (hiddenParams, []any) {
	areas, inds := disc.Hidden(q.Level, q.Res, q.Zone)
	var withheld []string
	for i, codes := range inds {
		for _, c := range codes {
			withheld = append(withheld, data.Indicators[i].Key+"|"+c)
		}
	}
	if areas == nil {
		areas = []string{}
	}
	if withheld == nil {
		withheld = []string{}
	}
	args = append(args, areas, withheld)
	return hiddenParams{areas: fmt.Sprintf("$%d", len(args)-1), withheld: fmt.Sprintf("$%d", len(args))}, args
}

// Features answers an OGC API items query in SQL: the level's filter, the
// bounding box (&& on the GiST index, then ST_Intersects), the CQL2 filter as
// bind parameters, sortby with nulls last and ties by code, LIMIT/OFFSET.
// Rows stream to fn as they arrive; the count of all matches is a second,
// cheap query on the same conditions.
func (s *Store) Features(ctx context.Context, q data.FeatureQuery, fn func(a *data.Area) error) (int, error) {
	table, keys, filter, ok := levelSQL(q.Level, q.Zone != "")
	if !ok {
		return 0, fmt.Errorf("%w: level %q has no features", data.ErrInvalidQuery, q.Level)
	}
	outlines, err := s.levelOutlines(ctx, q.Level)
	if err != nil {
		return 0, err
	}
	matched := 0
	sent := false
	err = s.read(ctx, func(db querier) error {
		if sent {
			// Rows already went to the client; a retry would repeat them.
			return fmt.Errorf("features query failed after streaming began")
		}
		round, err := s.resolveRound(ctx, db, q.Round)
		if err != nil {
			return err
		}
		if err := s.checkZone(ctx, db, q.Zone); err != nil {
			return err
		}
		members, err := s.zoneMembers(ctx, db, q.Level, round, q.Res)
		if err != nil {
			return err
		}
		k, disc, err := s.audience(ctx, db, q.StatsQuery, round)
		if err != nil {
			return err
		}
		args := []any{string(round), q.Zone, q.Res}
		var hid hiddenParams
		hid, args = addHidden(disc, q.StatsQuery, args)
		// Both lists are named in every query, so their types are known
		// even when no filter or sort key reads them.
		where := filter + " AND cardinality(" + hid.areas + "::text[]) + cardinality(" + hid.withheld + "::text[]) >= 0"
		if !data.ListsSuppressed(q.Level) {
			where += " AND " + publishedSQL(k, hid)
		}
		if q.Bound != nil {
			n := len(args)
			args = append(args, q.Bound.Min[0], q.Bound.Min[1], q.Bound.Max[0], q.Bound.Max[1])
			env := fmt.Sprintf("ST_MakeEnvelope($%d, $%d, $%d, $%d, 4326)", n+1, n+2, n+3, n+4)
			where += " AND a.geom && " + env + " AND ST_Intersects(a.geom, " + env + ")"
		}
		if q.Filter != nil {
			col := func(name string) (string, bool) { return queryableSQL(q.Level, name, k, hid) }
			var sql string
			sql, args, err = cql.SQL(q.Filter, col, "a.geom", args)
			if err != nil {
				return fmt.Errorf("%w: filter: %v", data.ErrInvalidQuery, err)
			}
			where += " AND (" + sql + ")"
		}
		bound := ""
		if q.Bound != nil {
			bound = fmt.Sprint(*q.Bound)
		}
		countKey := fmt.Sprintf("%s|%d|%s|%s|%s|%v|%v", q.Level, q.Res, round, q.Zone, bound, q.Filter, q.Unsuppressed)
		if n, ok := s.counts.get(s.version.Load(), s.known(), countKey); ok {
			matched = n
		} else {
			v := s.version.Load()
			if err := db.QueryRow(ctx, "SELECT count(*) FROM "+table+" WHERE "+where, args...).Scan(&matched); err != nil {
				return err
			}
			s.counts.put(v, countKey, matched)
		}
		var order []string
		exprs := make([]string, len(q.SortBy))
		for i, key := range q.SortBy {
			expr, err := sortExpr(q.Level, key.Property, k, hid)
			if err != nil {
				return err
			}
			exprs[i] = expr
			dir := " ASC"
			if key.Desc {
				dir = " DESC"
			}
			order = append(order, expr+dir+" NULLS LAST")
		}
		order = append(order, `a.code COLLATE "C"`)
		if q.After != nil {
			var after string
			after, args, err = afterSQL(q.SortBy, exprs, q.After, args)
			if err != nil {
				return err
			}
			where += " AND " + after
		}
		sql := "SELECT " + keys + ", " + measureCols() + ", " + outlineKeyCol(q.Level) + " FROM " + table + " WHERE " + where +
			" ORDER BY " + strings.Join(order, ", ")
		if q.Limit > 0 {
			args = append(args, q.Limit)
			sql += fmt.Sprintf(" LIMIT $%d", len(args))
		}
		if q.Offset > 0 {
			args = append(args, q.Offset)
			sql += fmt.Sprintf(" OFFSET $%d", len(args))
		}
		rows, err := db.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		var last *data.Area
		if err := scanAreas(rows, q.StatsQuery, round, k, disc, true, outlines, func(a *data.Area) error {
			sent, last = true, a
			a.Zones = members[a.Code]
			return fn(a)
		}); err != nil {
			return err
		}
		if q.OnLast != nil && last != nil {
			q.OnLast(cursorOf(q.SortBy, last))
		}
		return nil
	})
	return matched, err
}

// cursorOf is the position of a in the order of keys; the zone queryable is
// the area's first zone, as queryableSQL has it.
func cursorOf(keys []data.SortKey, a *data.Area) data.Cursor {
	zone := ""
	if len(a.Zones) > 0 {
		zone = a.Zones[0]
	}
	c := data.Cursor{Code: a.Code, Values: make([]cql.Value, len(keys))}
	for i, k := range keys {
		c.Values[i] = data.PropertyValue(&a.AreaStats, zone, k.Property)
	}
	return c
}

// sortExpr is the SQL of a sort key, in the byte order Go sorts strings in.
func sortExpr(level data.Level, name string, k int, hid hiddenParams) (string, error) {
	expr, ok := queryableSQL(level, name, k, hid)
	if !ok {
		return "", fmt.Errorf("%w: sortby: unknown queryable %q", data.ErrInvalidQuery, name)
	}
	if t := data.QueryableTypes(level)[name]; t == cql.TypeString {
		expr += ` COLLATE "C"`
	}
	return expr, nil
}

// afterSQL is the condition "comes after the cursor" in the order of keys
// (exprs their SQL), with the cursor's values as bind parameters. Without
// sort keys it is a range on the code, which the level's
// (round, code COLLATE "C") index serves as a seek; with them it is the
// lexicographic expansion (k1 after c1) OR (k1 = c1 AND k2 after c2) ... OR
// (all equal AND code > c), because directions may differ and nulls sort
// last both ways, which one row comparison (k1, k2) > (c1, c2) cannot say.
func afterSQL(keys []data.SortKey, exprs []string, c *data.Cursor, args []any) (string, []any, error) {
	if len(c.Values) != len(keys) {
		return "", nil, fmt.Errorf("%w: cursor has %d sort values for %d sort keys", data.ErrInvalidQuery, len(c.Values), len(keys))
	}
	param := func(v any, cast string) string {
		args = append(args, v)
		return fmt.Sprintf("$%d::%s", len(args), cast)
	}
	var ors, equal []string
	for i, k := range keys {
		v := c.Values[i]
		var lit string
		switch v.Kind {
		case cql.KindNumber:
			lit = param(v.Num, "float8")
		case cql.KindString:
			lit = param(v.Str, "text")
		case cql.KindBool:
			lit = param(v.Bool, "boolean")
		case cql.KindNull:
			// Nothing sorts after a null but other nulls, which tie.
			equal = append(equal, exprs[i]+" IS NULL")
			continue
		default:
			return "", nil, fmt.Errorf("%w: cursor value %d has no sortable type", data.ErrInvalidQuery, i+1)
		}
		op := " > "
		if k.Desc {
			op = " < "
		}
		after := "(" + exprs[i] + op + lit + " OR " + exprs[i] + " IS NULL)"
		ors = append(ors, strings.Join(append(slices.Clone(equal), after), " AND "))
		equal = append(equal, exprs[i]+" = "+lit)
	}
	ors = append(ors, strings.Join(append(equal, `a.code COLLATE "C" > `+param(c.Code, "text")), " AND "))
	if len(ors) == 1 {
		return ors[0], args, nil
	}
	return "((" + strings.Join(ors, ") OR (") + "))", args, nil
}

// levelOutlines is the outline set of a level; hexagons need none.
func (s *Store) levelOutlines(ctx context.Context, level data.Level) (*outlineSet, error) {
	if level == data.LevelHexagon {
		return nil, nil
	}
	return s.outlines(ctx, level)
}

// checkZone rejects a zone the dataset does not have.
func (s *Store) checkZone(ctx context.Context, db querier, zone string) error {
	if zone == "" {
		return nil
	}
	var exists bool
	if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM zones WHERE id = $1)`, zone).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("%w: zone %q is not in the dataset", data.ErrInvalidQuery, zone)
	}
	return nil
}

// countCache keeps numberMatched per query for one dataset version: a client
// paging through a collection asks the same count on every page.
type countCache struct {
	mu      sync.Mutex
	version int64
	m       map[string]int
}

func (c *countCache) get(version int64, known bool, key string) (int, bool) {
	if !known {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version {
		return 0, false
	}
	n, ok := c.m[key]
	return n, ok
}

func (c *countCache) put(version int64, key string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version || c.m == nil || len(c.m) > 10000 {
		c.version, c.m = version, map[string]int{}
	}
	c.m[key] = n
}
