package cql

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// FuzzParse checks that Parse never panics, that its errors are
// *SyntaxErrors pointing into the text, and that every successful parse
// prints as canonical text which parses back to the same tree. The other
// entry points must not panic on whatever Parse accepts, and SQL must keep
// every literal out of the SQL text.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"a = 1 OR b = 2 AND c = 3",
		"NOT (a <> 'x''y' AND b IS NOT NULL) OR c >= -1.5e-3",
		`"quoted ""name""" < .5 and ns:x.y <= 5.`,
		"a BETWEEN 1 AND 2 AND b NOT BETWEEN 'a' AND 'z'",
		"a IN (1, 2, 3) OR b NOT IN ('x') OR c = TRUE OR d <> false",
		`name LIKE 'K%' AND name NOT LIKE '\%\__'`,
		"S_INTERSECTS(geometry, POINT(109.6 -6.9))",
		"S_INTERSECTS(BBOX(0, 0, 1, 1), geometry)",
		"S_INTERSECTS(geometry, POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 2 3, 3 3, 3 2, 2 2)))",
		"S_INTERSECTS(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5))))",
		"((a = 1)) AND NOT NOT b = 2",
		"poverty_rate >",
		"a = 'unterminated",
		"a = 1e999",
		"DATE('2020-01-01') = a",
		"",
	} {
		f.Add(seed)
	}
	queryables := map[string]Type{"a": TypeNumber, "b": TypeString, "c": TypeBool, "geometry": TypeGeometry}
	values := map[string]Value{"a": {Kind: KindNumber, Num: 1}, "b": {Kind: KindString, Str: "K%"}, "c": {Kind: KindBool, Bool: true}}
	geom := orb.MultiPolygon{{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}}}
	f.Fuzz(func(t *testing.T, text string) {
		e, err := Parse(text)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Pos < 0 || se.Pos > len(text) || e != nil {
				t.Fatalf("Parse(%q) = %v, %v; want nil and a *SyntaxError within the text", text, e, err)
			}
			return
		}
		canon := e.String()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q, which does not parse: %v", text, canon, err)
		}
		if !reflect.DeepEqual(again, e) {
			t.Fatalf("Parse(%q) = %#v\nprinted %q, which parses to %#v", text, e, canon, again)
		}
		if s := again.String(); s != canon {
			t.Fatalf("String() not canonical: %q, then %q", canon, s)
		}

		_ = Check(e, queryables)
		_ = Properties(e)
		Eval(e, func(name string) Value { return values[name] }, geom)
		Eval(e, func(name string) Value { return Value{} }, nil)
		args0 := []any{"existing"}
		sql, args, err := SQL(e, func(name string) (string, bool) { return "col", true }, "geom", args0)
		if err != nil {
			t.Fatalf("SQL(%q): %v", canon, err)
		}
		if strings.ContainsAny(sql, "';-") {
			t.Fatalf("SQL(%q) = %q: a literal leaked into the SQL text", canon, sql)
		}
		if n := strings.Count(sql, "$"); n != len(args)-1 || args[0] != "existing" {
			t.Fatalf("SQL(%q) = %q with %d placeholders and args %v", canon, sql, n, args)
		}
	})
}
