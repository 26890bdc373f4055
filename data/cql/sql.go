package cql

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// SQL renders e as a WHERE-clause fragment for PostgreSQL/PostGIS. column
// maps a property name to a trusted SQL expression (from the caller's own
// registry, never from the request); geomColumn is the geometry expression
// (SRID 4326) that S_INTERSECTS tests. Every literal becomes a bind
// parameter appended to args and numbered from len(args)+1, so a caller can
// pass the arguments of the rest of its query; nothing from the filter text
// is written into the SQL itself.
//
// Literals are cast to their type ($n::float8, $n::text, $n::boolean), so
// numbers compare as float8 as they do in Eval. Ordering comparisons and
// BETWEEN with a string literal get COLLATE "C" so they follow Go's byte
// order; a comparison between two string properties cannot be recognised
// here and uses the columns' own collation. LIKE uses PostgreSQL's default
// escape character, the backslash, as Eval does. S_INTERSECTS becomes
// ST_Intersects with ST_GeomFromText($n, 4326), or ST_MakeEnvelope for a
// BBOX. AND and OR are parenthesised, so the fragment can be combined with
// other conditions as it is. Comparisons keep SQL's NULL semantics, so the
// fragment selects the rows that Eval accepts. A nil filter gives TRUE.
func SQL(e Expr, column func(name string) (string, bool), geomColumn string, args []any) (string, []any, error) {
	args = slices.Clip(args) // never write into the caller's spare capacity
	if e == nil {
		return "TRUE", args, nil
	}
	w := &sqlWriter{column: column, geom: geomColumn, args: args}
	if err := w.expr(e); err != nil {
		return "", args, err
	}
	return w.b.String(), w.args, nil
}

type sqlWriter struct {
	b      strings.Builder
	column func(string) (string, bool)
	geom   string
	args   []any
}

func (w *sqlWriter) param(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *sqlWriter) operand(o Operand) (string, error) {
	switch o := o.(type) {
	case Property:
		expr, ok := w.column(o.Name)
		if !ok {
			return "", &PropertyError{Name: o.Name, Msg: fmt.Sprintf("unknown queryable %q", o.Name)}
		}
		if !simpleSQL(expr) {
			expr = "(" + expr + ")"
		}
		return expr, nil
	case Literal:
		switch v := o.Value; v.Kind {
		case KindNumber:
			return w.param(v.Num) + "::float8", nil
		case KindString:
			return w.param(v.Str) + "::text", nil
		case KindBool:
			return w.param(v.Bool) + "::boolean", nil
		}
	}
	return "", fmt.Errorf("invalid operand %v", o)
}

func isStringLiteral(o Operand) bool {
	l, ok := o.(Literal)
	return ok && l.Value.Kind == KindString
}

const collateC = ` COLLATE "C"`

func (w *sqlWriter) expr(e Expr) error {
	switch e := e.(type) {
	case And:
		return w.binary(e.Left, " AND ", e.Right)
	case Or:
		return w.binary(e.Left, " OR ", e.Right)
	case Not:
		w.b.WriteString("NOT ")
		switch e.X.(type) {
		case And, Or:
			return w.expr(e.X)
		}
		w.b.WriteByte('(')
		if err := w.expr(e.X); err != nil {
			return err
		}
		w.b.WriteByte(')')
		return nil
	case Compare:
		switch e.Op {
		case "=", "<>", "<", "<=", ">", ">=":
		default:
			return fmt.Errorf("invalid comparison operator %q", e.Op)
		}
		l, err := w.operand(e.Left)
		if err != nil {
			return err
		}
		r, err := w.operand(e.Right)
		if err != nil {
			return err
		}
		if e.Op != "=" && e.Op != "<>" && (isStringLiteral(e.Left) || isStringLiteral(e.Right)) {
			l += collateC
		}
		w.b.WriteString(l + " " + e.Op + " " + r)
	case IsNull:
		x, err := w.operand(e.X)
		if err != nil {
			return err
		}
		w.b.WriteString(x + " IS" + notSQL(e.Not) + " NULL")
	case Between:
		x, err := w.operand(e.X)
		if err != nil {
			return err
		}
		lo, err := w.operand(e.Low)
		if err != nil {
			return err
		}
		hi, err := w.operand(e.High)
		if err != nil {
			return err
		}
		if isStringLiteral(e.X) || isStringLiteral(e.Low) || isStringLiteral(e.High) {
			x += collateC
		}
		w.b.WriteString(x + notSQL(e.Not) + " BETWEEN " + lo + " AND " + hi)
	case In:
		x, err := w.operand(e.X)
		if err != nil {
			return err
		}
		if len(e.List) == 0 {
			return fmt.Errorf("IN with an empty list")
		}
		items := make([]string, len(e.List))
		for i, o := range e.List {
			if items[i], err = w.operand(o); err != nil {
				return err
			}
		}
		w.b.WriteString(x + notSQL(e.Not) + " IN (" + strings.Join(items, ", ") + ")")
	case Like:
		x, err := w.operand(e.X)
		if err != nil {
			return err
		}
		if n := len(e.Pattern) - len(strings.TrimRight(e.Pattern, `\`)); n%2 == 1 {
			return fmt.Errorf(`LIKE pattern ends with the escape character '\'`)
		}
		w.b.WriteString(x + notSQL(e.Not) + " LIKE " + w.param(e.Pattern) + "::text")
	case Intersects:
		var lit string
		switch g := e.Geometry.(type) {
		case orb.Point, orb.Polygon, orb.MultiPolygon:
			lit = "ST_GeomFromText(" + w.param(geometryString(g)) + ", 4326)"
		case orb.Bound:
			lit = fmt.Sprintf("ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
				w.param(g.Min[0]), w.param(g.Min[1]), w.param(g.Max[0]), w.param(g.Max[1]))
		default:
			return fmt.Errorf("S_INTERSECTS: unsupported geometry %T", e.Geometry)
		}
		w.b.WriteString("ST_Intersects(" + w.geom + ", " + lit + ")")
	default:
		return fmt.Errorf("invalid filter node %T", e)
	}
	return nil
}

func (w *sqlWriter) binary(l Expr, op string, r Expr) error {
	w.b.WriteByte('(')
	if err := w.expr(l); err != nil {
		return err
	}
	w.b.WriteString(op)
	if err := w.expr(r); err != nil {
		return err
	}
	w.b.WriteByte(')')
	return nil
}

func notSQL(not bool) string {
	if not {
		return " NOT"
	}
	return ""
}

// simpleSQL reports whether a column expression can stand next to an
// operator without parentheses: a possibly qualified plain identifier, or an
// expression already enclosed in one pair of parentheses.
func simpleSQL(s string) bool {
	if s == "" {
		return false
	}
	ident := true
	for i := 0; i < len(s) && ident; i++ {
		c := s[i]
		switch {
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' || c == '$':
			ident = i > 0 && s[i-1] != '.'
		case c == '.':
			ident = i > 0 && i < len(s)-1 && s[i-1] != '.'
		default:
			ident = false
		}
	}
	if ident {
		return true
	}
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return false
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'', '"':
			q := s[i]
			for i++; i < len(s) && s[i] != q; i++ {
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 && i != len(s)-1 {
				return false
			}
		}
	}
	return depth == 0
}
