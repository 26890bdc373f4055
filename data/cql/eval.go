package cql

import (
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"labmap/geo"
)

// truth is a value of SQL's three-valued logic, ordered so that AND is the
// minimum, OR the maximum and NOT the reflection.
type truth int8

const (
	no truth = iota
	unknown
	yes
)

func truthOf(b bool) truth {
	if b {
		return yes
	}
	return no
}

// Eval evaluates e for one record with SQL's three-valued logic: a
// comparison involving NULL is unknown, NOT unknown is unknown, and the
// record matches only when the result is true. prop returns a property's
// value; geom is the record's geometry (lon/lat) for S_INTERSECTS, and a
// record without one (nil or empty) gives unknown there, as a NULL geometry
// does in SQL. A nil filter matches every record.
func Eval(e Expr, prop func(name string) Value, geom orb.MultiPolygon) bool {
	if e == nil {
		return true
	}
	return evaluator{prop, geom}.expr(e) == yes
}

type evaluator struct {
	prop func(string) Value
	geom orb.MultiPolygon
}

func (v evaluator) value(o Operand) Value {
	switch o := o.(type) {
	case Property:
		return v.prop(o.Name)
	case Literal:
		return o.Value
	}
	return Value{}
}

func (v evaluator) expr(e Expr) truth {
	switch e := e.(type) {
	case And:
		l := v.expr(e.Left)
		if l == no {
			return no
		}
		return min(l, v.expr(e.Right))
	case Or:
		l := v.expr(e.Left)
		if l == yes {
			return yes
		}
		return max(l, v.expr(e.Right))
	case Not:
		return yes - v.expr(e.X)
	case Compare:
		return compare(e.Op, v.value(e.Left), v.value(e.Right))
	case IsNull:
		return truthOf((v.value(e.X).Kind == KindNull) != e.Not)
	case Between:
		x := v.value(e.X)
		t := min(compare(">=", x, v.value(e.Low)), compare("<=", x, v.value(e.High)))
		if e.Not {
			t = yes - t
		}
		return t
	case In:
		x := v.value(e.X)
		t := no
		for _, o := range e.List {
			if t = max(t, compare("=", x, v.value(o))); t == yes {
				break
			}
		}
		if e.Not {
			t = yes - t
		}
		return t
	case Like:
		x := v.value(e.X)
		if x.Kind != KindString {
			return unknown
		}
		return truthOf(like(x.Str, e.Pattern) != e.Not)
	case Intersects:
		if len(v.geom) == 0 {
			return unknown
		}
		switch g := e.Geometry.(type) {
		case orb.Point:
			return truthOf(geo.IntersectsPoint(v.geom, g))
		case orb.Polygon:
			return truthOf(geo.Intersects(v.geom, orb.MultiPolygon{g}))
		case orb.MultiPolygon:
			return truthOf(geo.Intersects(v.geom, g))
		case orb.Bound:
			return truthOf(geo.IntersectsBound(v.geom, g))
		}
	}
	return unknown
}

// compare applies a comparison operator; NULL on either side, or values of
// different kinds (which Check rules out), give unknown.
func compare(op string, a, b Value) truth {
	if a.Kind == KindNull || b.Kind == KindNull || a.Kind != b.Kind {
		return unknown
	}
	c := order(a, b)
	switch op {
	case "=":
		return truthOf(c == 0)
	case "<>":
		return truthOf(c != 0)
	case "<":
		return truthOf(c < 0)
	case "<=":
		return truthOf(c <= 0)
	case ">":
		return truthOf(c > 0)
	case ">=":
		return truthOf(c >= 0)
	}
	return unknown
}

// order compares two non-null values of one kind the way PostgreSQL does:
// numbers as float8 (NaN equal to itself and above every number), strings
// byte by byte as under COLLATE "C", false before true.
func order(a, b Value) int {
	switch a.Kind {
	case KindNumber:
		x, y := a.Num, b.Num
		xn, yn := x != x, y != y
		switch {
		case xn && yn:
			return 0
		case xn:
			return 1
		case yn:
			return -1
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case KindString:
		return strings.Compare(a.Str, b.Str)
	case KindBool:
		switch {
		case a.Bool == b.Bool:
			return 0
		case b.Bool:
			return -1
		}
		return 1
	}
	return 0
}

// likeElem is one element of a LIKE pattern: a literal character, '_' (any
// one character) or '%' (any run of characters).
type likeElem struct {
	kind byte // 'c', '_' or '%'
	r    rune
}

// like matches s against a LIKE pattern as PostgreSQL does with its default
// escape character: whole-string, case-sensitive, '_' is one character (not
// one byte), and a backslash makes the next character literal.
func like(s, pattern string) bool {
	var pat []likeElem
	for i := 0; i < len(pattern); {
		r, n := utf8.DecodeRuneInString(pattern[i:])
		i += n
		switch r {
		case '\\':
			if i < len(pattern) {
				r, n = utf8.DecodeRuneInString(pattern[i:])
				i += n
			}
			pat = append(pat, likeElem{'c', r})
		case '%':
			pat = append(pat, likeElem{'%', 0})
		case '_':
			pat = append(pat, likeElem{'_', 0})
		default:
			pat = append(pat, likeElem{'c', r})
		}
	}
	str := []rune(s)
	// Greedy matching that, on a mismatch, lets the last % swallow one more
	// character: linear for patterns with one %, O(len(s)·len(pattern)) at worst.
	si, pi, star, mark := 0, 0, -1, 0
	for si < len(str) {
		switch {
		case pi < len(pat) && (pat[pi].kind == '_' || pat[pi].kind == 'c' && pat[pi].r == str[si]):
			si++
			pi++
		case pi < len(pat) && pat[pi].kind == '%':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pat) && pat[pi].kind == '%' {
		pi++
	}
	return pi == len(pat)
}
