package cql

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// testColumns is a caller's registry: trusted SQL for each queryable.
var testColumns = map[string]string{
	"a":            "a",
	"b":            "b",
	"c":            "c",
	"rate":         "(CASE WHEN NOT a.suppressed THEN a.rate END)",
	"members":      "a.members",
	"name":         "a.name",
	"flag":         "coalesce(a.flag, false)",
	"weird":        "(a.x) + (a.y)",
	"geometry":     "a.geom",
	"quoted_paren": "(a.name || ')')",
}

func testColumn(name string) (string, bool) {
	c, ok := testColumns[name]
	return c, ok
}

func TestSQL(t *testing.T) {
	tests := []struct {
		in   string
		want string
		args []any // after the two existing arguments
	}{
		{"rate > 0.5", "(CASE WHEN NOT a.suppressed THEN a.rate END) > $3::float8", []any{0.5}},
		{"members >= 10", "a.members >= $3::float8", []any{10.0}},
		{"2 < members", "$3::float8 < a.members", []any{2.0}},
		{"members <> rate", "a.members <> (CASE WHEN NOT a.suppressed THEN a.rate END)", nil},
		{"name = 'Bendan'", "a.name = $3::text", []any{"Bendan"}},
		{"name <> 'Bendan'", "a.name <> $3::text", []any{"Bendan"}},
		{"name < 'M'", `a.name COLLATE "C" < $3::text`, []any{"M"}},
		{"'M' >= name", `$3::text COLLATE "C" >= a.name`, []any{"M"}},
		{"flag = TRUE", "(coalesce(a.flag, false)) = $3::boolean", []any{true}},
		{"weird > 1", "((a.x) + (a.y)) > $3::float8", []any{1.0}},
		{"quoted_paren = 'x'", "(a.name || ')') = $3::text", []any{"x"}},
		{"a = 1 OR b = 2 AND c = 3", "(a = $3::float8 OR (b = $4::float8 AND c = $5::float8))", []any{1.0, 2.0, 3.0}},
		{"(a = 1 OR b = 2) AND c = 3", "((a = $3::float8 OR b = $4::float8) AND c = $5::float8)", []any{1.0, 2.0, 3.0}},
		{"NOT a = 1", "NOT (a = $3::float8)", []any{1.0}},
		{"NOT (a = 1 AND b = 2)", "NOT (a = $3::float8 AND b = $4::float8)", []any{1.0, 2.0}},
		{"rate IS NULL", "(CASE WHEN NOT a.suppressed THEN a.rate END) IS NULL", nil},
		{"name IS NOT NULL", "a.name IS NOT NULL", nil},
		{"members BETWEEN 1 AND 5", "a.members BETWEEN $3::float8 AND $4::float8", []any{1.0, 5.0}},
		{"name NOT BETWEEN 'A' AND 'M'", `a.name COLLATE "C" NOT BETWEEN $3::text AND $4::text`, []any{"A", "M"}},
		{"name IN ('a', 'b')", "a.name IN ($3::text, $4::text)", []any{"a", "b"}},
		{"members NOT IN (1, 2.5)", "a.members NOT IN ($3::float8, $4::float8)", []any{1.0, 2.5}},
		{"name LIKE 'Kel%'", "a.name LIKE $3::text", []any{"Kel%"}},
		{`name NOT LIKE '50\%'`, "a.name NOT LIKE $3::text", []any{`50\%`}},
		{"S_INTERSECTS(geometry, POINT(109.5 -6.9))", "ST_Intersects(a.geom, ST_GeomFromText($3, 4326))", []any{"POINT(109.5 -6.9)"}},
		{"S_INTERSECTS(POLYGON((0 0,1 0,1 1,0 0)), geometry)", "ST_Intersects(a.geom, ST_GeomFromText($3, 4326))",
			[]any{"POLYGON((0 0, 1 0, 1 1, 0 0))"}},
		{"S_INTERSECTS(geometry, MULTIPOLYGON(((0 0,1 0,1 1,0 0))))", "ST_Intersects(a.geom, ST_GeomFromText($3, 4326))",
			[]any{"MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)))"}},
		{"S_INTERSECTS(geometry, BBOX(109, -7.5, 110, -6.5)) AND rate > 0",
			"(ST_Intersects(a.geom, ST_MakeEnvelope($3, $4, $5, $6, 4326)) AND (CASE WHEN NOT a.suppressed THEN a.rate END) > $7::float8)",
			[]any{109.0, -7.5, 110.0, -6.5, 0.0}},
		{"name = '''); DROP TABLE x; --'", "a.name = $3::text", []any{"'); DROP TABLE x; --"}},
		{`name LIKE '%'' OR 1=1 --' OR name = 'Robert''); DROP TABLE students;--'`,
			"(a.name LIKE $3::text OR a.name = $4::text)", []any{"%' OR 1=1 --", "Robert'); DROP TABLE students;--"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			e, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			existing := make([]any, 2, 16) // spare capacity must not be written
			existing[0], existing[1] = "round", 7
			sql, args, err := SQL(e, testColumn, "a.geom", existing)
			if err != nil {
				t.Fatal(err)
			}
			if sql != tc.want {
				t.Errorf("SQL =\n%s\nwant\n%s", sql, tc.want)
			}
			want := append([]any{"round", 7}, tc.args...)
			if !reflect.DeepEqual(args, want) {
				t.Errorf("args = %#v, want %#v", args, want)
			}
			if spare := existing[:3][2]; spare != nil {
				t.Errorf("SQL wrote %v into the caller's spare capacity", spare)
			}
			// Nothing of a literal reaches the SQL text, only the trusted
			// column expressions and placeholders.
			cols := slices.Collect(maps.Values(testColumns))
			slices.SortFunc(cols, func(x, y string) int { return len(y) - len(x) }) // longest first
			rest := sql
			for _, col := range cols {
				rest = strings.ReplaceAll(rest, col, "")
			}
			for _, bad := range []string{"DROP", "'", "--", "Bendan", "109"} {
				if strings.Contains(rest, bad) {
					t.Errorf("SQL contains %q: %s", bad, sql)
				}
			}
		})
	}
}

func TestSQLErrors(t *testing.T) {
	tests := []struct {
		name string
		e    Expr
		want string
	}{
		{"unknown property", Compare{Op: "=", Left: Property{"x; DROP TABLE y"}, Right: numberLit(1)}, `unknown queryable "x; DROP TABLE y"`},
		{"unknown property in IN", In{X: Property{"name"}, List: []Operand{Property{"nope"}}}, `unknown queryable "nope"`},
		{"bad operator", Compare{Op: "= 1; --", Left: Property{"a"}, Right: numberLit(1)}, "invalid comparison operator"},
		{"LIKE pattern ending in an escape", Like{X: Property{"name"}, Pattern: `ab\`}, "escape character"},
		{"empty IN list", In{X: Property{"name"}}, "empty list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sql, _, err := SQL(tc.e, testColumn, "a.geom", nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SQL = %q, %v; want an error mentioning %q", sql, err, tc.want)
			}
		})
	}
	var pe *PropertyError
	_, _, err := SQL(Compare{Op: "=", Left: Property{"nope"}, Right: numberLit(1)}, testColumn, "a.geom", nil)
	if !errors.As(err, &pe) || pe.Name != "nope" {
		t.Errorf("unknown property: %v, want a *PropertyError", err)
	}
	if sql, args, err := SQL(nil, testColumn, "a.geom", []any{1}); sql != "TRUE" || len(args) != 1 || err != nil {
		t.Errorf("SQL(nil) = %q, %v, %v", sql, args, err)
	}
}
