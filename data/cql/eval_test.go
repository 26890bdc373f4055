package cql

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// record is a row for evaluation tests; a missing key is NULL.
type record map[string]Value

func (r record) prop(name string) Value { return r[name] }

func n(v float64) Value { return Value{Kind: KindNumber, Num: v} }
func s(v string) Value  { return Value{Kind: KindString, Str: v} }
func bv(v bool) Value   { return Value{Kind: KindBool, Bool: v} }
func (t truth) String() string {
	return [...]string{"FALSE", "UNKNOWN", "TRUE"}[t]
}

// TestThreeValuedLogic checks AND, OR and NOT against SQL's truth tables,
// with t = 1 as TRUE, t = 2 as FALSE and a comparison with a NULL as UNKNOWN.
func TestThreeValuedLogic(t *testing.T) {
	rec := record{"t": n(1)}
	lit := map[truth]string{yes: "t = 1", no: "t = 2", unknown: "missing = 1"}
	vals := []truth{no, unknown, yes}
	for _, x := range vals {
		for _, y := range vals {
			for _, op := range []string{"AND", "OR"} {
				want := min(x, y)
				if op == "OR" {
					want = max(x, y)
				}
				text := lit[x] + " " + op + " " + lit[y]
				for _, neg := range []bool{false, true} {
					in, w := text, want
					if neg {
						in, w = "NOT ("+text+")", yes-want
					}
					e, err := Parse(in)
					if err != nil {
						t.Fatal(err)
					}
					if got := (evaluator{prop: rec.prop}).expr(e); got != w {
						t.Errorf("%s = %v, want %v", in, got, w)
					}
					if got := Eval(e, rec.prop, nil); got != (w == yes) {
						t.Errorf("Eval(%s) = %v, want %v", in, got, w == yes)
					}
				}
			}
		}
	}
}

func TestEval(t *testing.T) {
	square := orb.MultiPolygon{{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}, {{4, 4}, {4, 6}, {6, 6}, {6, 4}, {4, 4}}}}
	rec := record{
		"rate":  n(0.25),
		"count": n(12),
		"zero":  n(0),
		"name":  s("Kelurahan Bendan"),
		"kind":  s("urban"),
		"uni":   s("é_ü"),
		"pct":   s(`50%_off\`),
		"flag":  bv(true),
		"nan":   n(math.NaN()),
		// "missing" is NULL
	}
	tests := []struct {
		in   string
		geom orb.MultiPolygon
		want truth
	}{
		{"rate = 0.25", nil, yes},
		{"rate <> 0.25", nil, no},
		{"rate < 0.3 AND rate <= 0.25 AND rate > 0.2 AND rate >= 0.25", nil, yes},
		{"count > 12", nil, no},
		{"0.1 < rate", nil, yes},
		{"rate < count", nil, yes},
		{"zero = -0", nil, yes},
		{"name = 'Kelurahan Bendan'", nil, yes},
		{"name > 'Kelurahan'", nil, yes},
		{"name < 'kelurahan'", nil, yes}, // byte order: 'K' < 'k'
		{"uni > 'z'", nil, yes},          // é sorts after every ASCII letter
		{"flag = TRUE", nil, yes},
		{"flag > FALSE", nil, yes},
		{"nan = nan", nil, yes}, // as in PostgreSQL
		{"nan > 1e308", nil, yes},
		{"rate < nan", nil, yes},
		{"missing = 1", nil, unknown},
		{"missing <> 1", nil, unknown},
		{"NOT missing = 1", nil, unknown},
		{"missing = missing", nil, unknown},
		{"missing IS NULL", nil, yes},
		{"missing IS NOT NULL", nil, no},
		{"rate IS NULL", nil, no},
		{"rate IS NOT NULL", nil, yes},
		{"rate BETWEEN 0.25 AND 0.5", nil, yes},
		{"rate BETWEEN 0.5 AND 0.1", nil, no},
		{"rate NOT BETWEEN 0 AND 0.2", nil, yes},
		{"missing BETWEEN 0 AND 1", nil, unknown},
		{"rate BETWEEN missing AND 0.1", nil, no}, // NULL <= x AND x <= 0.1: unknown AND false
		{"rate BETWEEN missing AND 1", nil, unknown},
		{"rate NOT BETWEEN missing AND 0.1", nil, yes},
		{"name BETWEEN 'K' AND 'L'", nil, yes},
		{"kind IN ('rural', 'urban')", nil, yes},
		{"kind IN ('rural')", nil, no},
		{"kind NOT IN ('rural', 'coastal')", nil, yes},
		{"kind IN ('rural', missing)", nil, unknown},
		{"kind IN ('urban', missing)", nil, yes},
		{"kind NOT IN ('rural', missing)", nil, unknown},
		{"missing IN (1, 2)", nil, unknown},
		{"count IN (12, 13)", nil, yes},
		{"name LIKE 'Kel%'", nil, yes},
		{"name LIKE 'kel%'", nil, no}, // case-sensitive
		{"name LIKE '%Bendan'", nil, yes},
		{"name LIKE '%ura%'", nil, yes},
		{"name LIKE 'Kelurahan_Bendan'", nil, yes},
		{"name LIKE 'Kelurahan__Bendan'", nil, no},
		{"name LIKE '%'", nil, yes},
		{"name LIKE 'Kelurahan Bendan'", nil, yes},
		{"name LIKE 'Kelurahan'", nil, no},
		{"name NOT LIKE 'X%'", nil, yes},
		{"uni LIKE '___'", nil, yes}, // three characters, five bytes
		{"uni LIKE '_\\__'", nil, yes},
		{"uni LIKE 'é\\%ü'", nil, no},
		{`pct LIKE '50\%\_off\\'`, nil, yes},
		{`pct LIKE '50\%%'`, nil, yes},
		{`pct LIKE '5\0%'`, nil, yes}, // an escaped ordinary character is itself
		{`pct LIKE '%\%'`, nil, no},
		{"missing LIKE '%'", nil, unknown},
		{"missing NOT LIKE '%'", nil, unknown},
		{"S_INTERSECTS(geometry, POINT(1 1))", square, yes},
		{"S_INTERSECTS(geometry, POINT(10 5))", square, yes}, // on the boundary
		{"S_INTERSECTS(geometry, POINT(5 5))", square, no},   // in the hole
		{"S_INTERSECTS(geometry, POINT(4 5))", square, yes},  // on the hole's edge
		{"S_INTERSECTS(geometry, POINT(11 5))", square, no},
		{"S_INTERSECTS(geometry, POLYGON((10 0, 12 0, 12 2, 10 0)))", square, yes}, // touches a corner
		{"S_INTERSECTS(geometry, POLYGON((4.5 4.5, 5.5 4.5, 5 5.5, 4.5 4.5)))", square, no},
		{"S_INTERSECTS(geometry, MULTIPOLYGON(((20 20, 21 20, 21 21, 20 20)), ((5 5, 7 5, 7 7, 5 5))))", square, yes},
		{"S_INTERSECTS(geometry, BBOX(10, 10, 11, 11))", square, yes},
		{"S_INTERSECTS(geometry, BBOX(4.5, 4.5, 5.5, 5.5))", square, no},
		{"S_INTERSECTS(geometry, BBOX(-5, -5, 20, 20))", square, yes},
		{"S_INTERSECTS(geometry, POINT(1 1))", nil, unknown},
		{"NOT S_INTERSECTS(geometry, POINT(1 1))", nil, unknown},
		{"NOT S_INTERSECTS(geometry, POINT(5 5))", square, yes},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			e, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := (evaluator{rec.prop, tc.geom}).expr(e); got != tc.want {
				t.Errorf("%s = %v, want %v", tc.in, got, tc.want)
			}
			if got := Eval(e, rec.prop, tc.geom); got != (tc.want == yes) {
				t.Errorf("Eval = %v, want %v", got, tc.want == yes)
			}
		})
	}
	if !Eval(nil, rec.prop, nil) {
		t.Error("Eval(nil) = false, want true")
	}
}

func TestLike(t *testing.T) {
	tests := []struct {
		s, pattern string
		want       bool
	}{
		{"", "", true},
		{"", "%", true},
		{"", "_", false},
		{"a", "", false},
		{"abc", "a%c", true},
		{"abcbc", "a%bc", true},
		{"abcbd", "a%bc", false},
		{"aaa", "%%a", true},
		{"ab", "%_%_%", true},
		{"a", "%_%_%", false},
		{"mississippi", "m%iss%ppi", true},
		{"mississippi", "m%iss%ppx", false},
		{`a\b`, `a\\b`, true},
		{`a%b`, `a\%b`, true},
		{`axb`, `a\%b`, false},
		{"日本語", "_本_", true},
		{"日本語", "%語", true},
	}
	for _, tc := range tests {
		if got := like(tc.s, tc.pattern); got != tc.want {
			t.Errorf("like(%q, %q) = %v, want %v", tc.s, tc.pattern, got, tc.want)
		}
	}
}
