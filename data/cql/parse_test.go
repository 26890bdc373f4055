package cql

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func prop(name string) Property { return Property{name} }
func num(v float64) Literal     { return numberLit(v) }
func str(s string) Literal      { return stringLit(s) }
func cmp(l Operand, op string, r Operand) Compare {
	return Compare{Op: op, Left: l, Right: r}
}

func TestParse(t *testing.T) {
	a1, b2, c3 := cmp(prop("a"), "=", num(1)), cmp(prop("b"), "=", num(2)), cmp(prop("c"), "=", num(3))
	square := orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}, {{2, 2}, {2, 3}, {3, 3}, {3, 2}, {2, 2}}}
	tests := []struct {
		name, in string
		want     Expr
		canon    string // String() of the result
	}{
		{"precedence: AND binds tighter than OR", "a = 1 OR b = 2 AND c = 3", Or{a1, And{b2, c3}}, "a = 1 OR b = 2 AND c = 3"},
		{"parentheses", "(a = 1 OR b = 2) AND c = 3", And{Or{a1, b2}, c3}, "(a = 1 OR b = 2) AND c = 3"},
		{"AND is left-associative", "a = 1 AND b = 2 AND c = 3", And{And{a1, b2}, c3}, "a = 1 AND b = 2 AND c = 3"},
		{"right-nested AND keeps its parentheses", "a = 1 AND (b = 2 AND c = 3)", And{a1, And{b2, c3}}, "a = 1 AND (b = 2 AND c = 3)"},
		{"OR is left-associative", "a = 1 OR b = 2 OR c = 3", Or{Or{a1, b2}, c3}, "a = 1 OR b = 2 OR c = 3"},
		{"NOT binds tighter than AND", "NOT a = 1 AND b = 2", And{Not{a1}, b2}, "NOT a = 1 AND b = 2"},
		{"NOT of a group", "not (a = 1 or b = 2)", Not{Or{a1, b2}}, "NOT (a = 1 OR b = 2)"},
		{"double NOT", "NOT NOT a = 1", Not{Not{a1}}, "NOT NOT a = 1"},
		{"redundant parentheses", "((a = 1))", a1, "a = 1"},
		{"equal", "a=1", a1, "a = 1"},
		{"not equal", "a <> 1", cmp(prop("a"), "<>", num(1)), "a <> 1"},
		{"less", "a < 1", cmp(prop("a"), "<", num(1)), "a < 1"},
		{"less or equal", "a <= 1", cmp(prop("a"), "<=", num(1)), "a <= 1"},
		{"greater", "a>1", cmp(prop("a"), ">", num(1)), "a > 1"},
		{"greater or equal", "a >= 1", cmp(prop("a"), ">=", num(1)), "a >= 1"},
		{"literal on the left", "0.5 < poverty_rate", cmp(num(0.5), "<", prop("poverty_rate")), "0.5 < poverty_rate"},
		{"two properties", "a <= b", cmp(prop("a"), "<=", prop("b")), "a <= b"},
		{"negative decimal with exponent", "a > -1.5e-3", cmp(prop("a"), ">", num(-0.0015)), "a > -0.0015"},
		{"leading dot", "a = .5", cmp(prop("a"), "=", num(0.5)), "a = 0.5"},
		{"trailing dot", "a = 5.", cmp(prop("a"), "=", num(5)), "a = 5"},
		{"plus sign and capital E", "a = +2E3", cmp(prop("a"), "=", num(2000)), "a = 2000"},
		{"big number", "a < 1e21", cmp(prop("a"), "<", num(1e21)), "a < 1e+21"},
		{"string with doubled quote", "name = 'Jum''at'", cmp(prop("name"), "=", str("Jum'at")), "name = 'Jum''at'"},
		{"empty string", "name <> ''", cmp(prop("name"), "<>", str("")), "name <> ''"},
		{"unicode string", "name = 'Kota – Pekalongan'", cmp(prop("name"), "=", str("Kota – Pekalongan")), "name = 'Kota – Pekalongan'"},
		{"booleans", "suppressed = true OR suppressed <> FALSE",
			Or{cmp(prop("suppressed"), "=", boolLit(true)), cmp(prop("suppressed"), "<>", boolLit(false))},
			"suppressed = TRUE OR suppressed <> FALSE"},
		{"quoted property", `"poverty rate" > 0`, cmp(prop("poverty rate"), ">", num(0)), `"poverty rate" > 0`},
		{"quoted property with a quote", `"a""b" = 1`, cmp(prop(`a"b`), "=", num(1)), `"a""b" = 1`},
		{"quoted keyword", `"and" = 1`, cmp(prop("and"), "=", num(1)), `"and" = 1`},
		{"quoted plain name is bare", `"zone" = 'x'`, cmp(prop("zone"), "=", str("x")), `zone = 'x'`},
		{"identifier characters", "ns:a.b_1 = :x", cmp(prop("ns:a.b_1"), "=", prop(":x")), "ns:a.b_1 = :x"},
		{"property names are case-sensitive", "Zone = 'x'", cmp(prop("Zone"), "=", str("x")), "Zone = 'x'"},
		{"function name as a property", "bbox = 1", cmp(prop("bbox"), "=", num(1)), `"bbox" = 1`},
		{"whitespace", "\ta\n=\r\n1 ", a1, "a = 1"},
		{"IS NULL", "a IS NULL", IsNull{X: prop("a")}, "a IS NULL"},
		{"IS NOT NULL", "a is not null", IsNull{X: prop("a"), Not: true}, "a IS NOT NULL"},
		{"BETWEEN", "a BETWEEN 1 AND 2", Between{X: prop("a"), Low: num(1), High: num(2)}, "a BETWEEN 1 AND 2"},
		{"NOT BETWEEN", "a NOT BETWEEN 1 AND 2", Between{X: prop("a"), Low: num(1), High: num(2), Not: true}, "a NOT BETWEEN 1 AND 2"},
		{"BETWEEN then AND", "a BETWEEN 1 AND 2 AND c = 3", And{Between{X: prop("a"), Low: num(1), High: num(2)}, c3},
			"a BETWEEN 1 AND 2 AND c = 3"},
		{"NOT before BETWEEN", "NOT a BETWEEN 1 AND 2", Not{Between{X: prop("a"), Low: num(1), High: num(2)}}, "NOT a BETWEEN 1 AND 2"},
		{"IN", "zone IN ('a', 'b')", In{X: prop("zone"), List: []Operand{str("a"), str("b")}}, "zone IN ('a', 'b')"},
		{"NOT IN with one item", "a not in (1)", In{X: prop("a"), List: []Operand{num(1)}, Not: true}, "a NOT IN (1)"},
		{"LIKE", "name LIKE 'Kel%'", Like{X: prop("name"), Pattern: "Kel%"}, "name LIKE 'Kel%'"},
		{"NOT LIKE with escapes", `name NOT LIKE '50\%\_x\\'`, Like{X: prop("name"), Pattern: `50\%\_x\\`, Not: true}, `name NOT LIKE '50\%\_x\\'`},
		{"S_INTERSECTS point", "S_INTERSECTS(geometry, POINT(109.6 -6.9))",
			Intersects{Property: "geometry", Geometry: orb.Point{109.6, -6.9}}, "S_INTERSECTS(geometry, POINT(109.6 -6.9))"},
		{"S_INTERSECTS geometry first, lower case", "s_intersects(point(1 2), geometry)",
			Intersects{Property: "geometry", Geometry: orb.Point{1, 2}}, "S_INTERSECTS(geometry, POINT(1 2))"},
		{"S_INTERSECTS polygon with a hole", "S_INTERSECTS(geometry, POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,2 3,3 3,3 2,2 2)))",
			Intersects{Property: "geometry", Geometry: square},
			"S_INTERSECTS(geometry, POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 2 3, 3 3, 3 2, 2 2)))"},
		{"S_INTERSECTS multipolygon", "S_INTERSECTS(geometry, MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5))))",
			Intersects{Property: "geometry", Geometry: orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, {{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}}},
			"S_INTERSECTS(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5))))"},
		{"S_INTERSECTS bbox, quoted property", `S_INTERSECTS(BBOX(109, -7.5, 110, -6.5), "the geom")`,
			Intersects{Property: "the geom", Geometry: orb.Bound{Min: orb.Point{109, -7.5}, Max: orb.Point{110, -6.5}}},
			`S_INTERSECTS("the geom", BBOX(109, -7.5, 110, -6.5))`},
		{"S_INTERSECTS in a combination", "poverty_rate > 0.2 AND S_INTERSECTS(geometry, BBOX(0, 0, 1, 1))",
			And{cmp(prop("poverty_rate"), ">", num(0.2)), Intersects{Property: "geometry", Geometry: orb.Bound{Max: orb.Point{1, 1}}}},
			"poverty_rate > 0.2 AND S_INTERSECTS(geometry, BBOX(0, 0, 1, 1))"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse(%q) =\n%#v\nwant\n%#v", tc.in, got, tc.want)
			}
			if s := got.String(); s != tc.canon {
				t.Errorf("String() = %q, want %q", s, tc.canon)
			}
			again, err := Parse(got.String())
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("String() does not parse back: %v, %#v", err, again)
			}
		})
	}
}

func TestParseDepth(t *testing.T) {
	ok := strings.Repeat("(", maxDepth) + "a = 1" + strings.Repeat(")", maxDepth)
	if _, err := Parse(ok); err != nil {
		t.Errorf("%d levels: %v", maxDepth, err)
	}
	ok = strings.Repeat("NOT ", maxDepth) + "a = 1"
	if _, err := Parse(ok); err != nil {
		t.Errorf("%d NOTs: %v", maxDepth, err)
	}
	long := strings.Repeat("a = 1 AND ", 10000) + "a = 1"
	if _, err := Parse(long); err != nil {
		t.Errorf("long AND chain: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in  string
		pos int
		msg string // the whole message, or a part of it
	}{
		{"poverty_rate >", 14, "expected a value after '>', found end of input"},
		{"", 0, "expected a predicate, found end of input"},
		{"   ", 3, "expected a predicate, found end of input"},
		{"a", 1, `expected a comparison operator, IS, BETWEEN, IN or LIKE after "a", found end of input`},
		{"a = ", 4, "expected a value after '=', found end of input"},
		{"a == 1", 3, "expected a value after '=', found '='"},
		{"a = 1 AND", 9, "expected a predicate after AND, found end of input"},
		{"AND a = 1", 0, "expected a predicate, found AND"},
		{"a = 1 b = 2", 6, `expected AND, OR or end of input after number 1, found "b"`},
		{"(a = 1", 6, "expected AND, OR or ')' after number 1, found end of input"},
		{"a = 1)", 5, "expected AND, OR or end of input after number 1, found ')'"},
		{"a = 'abc", 4, "unterminated string"},
		{`"abc = 1`, 0, "unterminated quoted property name"},
		{`"" = 1`, 0, "empty property name"},
		{"a != 1", 2, "CQL2 writes not-equal as <>"},
		{"a = NULL", 4, "NULL is not a value here; use IS NULL or IS NOT NULL"},
		{"a IS 5", 5, "expected NULL after IS, found number 5"},
		{"a IS NOT", 8, "expected NULL after NOT, found end of input"},
		{"a NOT 5", 6, "expected BETWEEN, IN or LIKE after NOT, found number 5"},
		{"a BETWEEN 1 OR 2", 12, "expected AND after number 1, found OR"},
		{"a IN ()", 6, "expected a value after '(', found ')'"},
		{"a IN (1, 2", 10, "expected ',' or ')' after number 2, found end of input"},
		{"a IN 1", 5, "expected '(' after IN, found number 1"},
		{"a LIKE b", 7, `expected a pattern string after LIKE, found "b"`},
		{`a LIKE 'x\'`, 7, "LIKE pattern ends with the escape character"},
		{"a = 1e999", 4, "number 1e999 is out of range"},
		{"a = 5abc", 4, "malformed number"},
		{"a = 1e", 4, "exponent has no digits"},
		{"a = 1.2.3", 4, "malformed number"},
		{"a = -", 4, "unexpected character '-'"},
		{"a = 1 # x", 6, "unexpected character '#'"},
		{"a = '\xff'", 5, "invalid UTF-8"},
		{"a\xff = 1", 1, "invalid UTF-8"},
		{"a = 'x\x00'", 6, "NUL character in string"},
		{"DATE('2020-01-01') = a", 0, "unsupported function DATE"},
		{"a = S_INTERSECTS(g, POINT(1 2))", 4, "S_INTERSECTS is a predicate, not a value"},
		{"S_INTERSECTS(g)", 14, "expected ',' after \"g\", found ')'"},
		{"S_INTERSECTS(g, h)", 16, `expected a geometry literal (POINT, POLYGON, MULTIPOLYGON or BBOX) after ',', found "h"`},
		{"S_INTERSECTS(POINT(1 2), POINT(1 2))", 25, `expected a property name after ',', found "POINT"`},
		{"S_INTERSECTS(g, POINT(1 2)", 26, "expected ')' after ')', found end of input"},
		{"S_INTERSECTS(g, LINESTRING(0 0, 1 1))", 16, "unsupported geometry LINESTRING"},
		{"S_INTERSECTS(g, POINT(1))", 23, "expected a second coordinate after number 1, found ')'"},
		{"S_INTERSECTS(g, POINT Z(1 2 3))", 16, "expected a geometry literal"},
		{"S_INTERSECTS(g, POLYGON((0 0, 1 0, 1 1, 0 1)))", 23, "invalid polygon: outer ring is not closed"},
		{"S_INTERSECTS(g, POLYGON((0 0, 1 0, 0 0)))", 23, "needs at least 4"},
		{"S_INTERSECTS(g, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))", 23, "intersects itself"},
		{"S_INTERSECTS(g, POLYGON((0 0, 9 0, 9 9, 0 9, 0 0), (10 10, 11 10, 11 11, 10 10)))", 23, "hole 1 lies outside the outer ring"},
		{"S_INTERSECTS(g, MULTIPOLYGON(((0 0, 2 0, 2 2, 0 0)), ((1 0, 3 0, 3 2, 1 0))))", 16,
			"invalid multipolygon: polygons 1 and 2 overlap or touch"},
		{"S_INTERSECTS(g, MULTIPOLYGON(((0 0, 2 0, 2 2, 0 0)), ((1 0, 3 0, 3 2))))", 53,
			"invalid polygon: outer ring has 3 positions"},
		{"S_INTERSECTS(g, BBOX(1, 2, 0, 3))", 16, "BBOX minimum (1 2) exceeds maximum (0 3)"},
		{"S_INTERSECTS(g, BBOX(1, 2, 3))", 28, "expected ',' after number 3, found ')'"},
		{"S_INTERSECTS(g, BBOX(1, 2, 3, 4, 5, 6))", 31, "expected ')' after number 4, found ','"},
		{strings.Repeat("(", maxDepth+1) + "a = 1" + strings.Repeat(")", maxDepth+1), maxDepth, "nested too deeply"},
		{strings.Repeat("NOT ", maxDepth+1) + "a = 1", 4 * maxDepth, "nested too deeply"},
		{"a = '" + strings.Repeat("x", 50) + "' b", 57, "found \"b\""},
		{"a = 1 AND '" + strings.Repeat("y", 50) + "'", 62, "found end of input"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			e, err := Parse(tc.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, %v; want a *SyntaxError", tc.in, e, err)
			}
			if se.Pos != tc.pos || !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("Parse(%q): %v\nwant position %d: ...%s...", tc.in, err, tc.pos, tc.msg)
			}
		})
	}
}

func TestSyntaxErrorText(t *testing.T) {
	_, err := Parse("poverty_rate >")
	if got, want := "filter: "+err.Error(), "filter: position 14: expected a value after '>', found end of input"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
