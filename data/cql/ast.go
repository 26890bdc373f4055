// Package cql reads OGC CQL2 text filters (OGC API Features Part 3) into a
// typed syntax tree and runs them two ways: Eval in Go for the memory store,
// SQL as a parameterised WHERE fragment for the PostGIS store. Both follow
// SQL's three-valued logic, so the stores select the same features.
//
// The grammar is Basic CQL2 (AND, OR, NOT, comparisons, IS [NOT] NULL), the
// advanced comparison operators ([NOT] BETWEEN, [NOT] IN, [NOT] LIKE) and
// S_INTERSECTS with a POINT, POLYGON, MULTIPOLYGON or BBOX literal.
package cql

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/paulmach/orb"
)

// Expr is a parsed filter: one of And, Or, Not, Compare, IsNull, Between, In,
// Like or Intersects. String prints it as canonical CQL2 text that parses
// back to an equal tree.
type Expr interface {
	fmt.Stringer
	expr()
}

// Operand is one side of a comparison: a Property or a Literal.
type Operand interface {
	fmt.Stringer
	operand()
}

// Property is a reference to a queryable by name.
type Property struct{ Name string }

// Literal is a constant number, string or boolean; its Kind is never KindNull.
type Literal struct{ Value Value }

// And is true when both sides are true.
type And struct{ Left, Right Expr }

// Or is true when either side is true.
type Or struct{ Left, Right Expr }

// Not negates X; NOT of unknown is unknown.
type Not struct{ X Expr }

// Compare is a binary comparison; Op is one of = <> < <= > >=.
type Compare struct {
	Op          string
	Left, Right Operand
}

// IsNull is `X IS NULL`, or `X IS NOT NULL` when Not is set.
type IsNull struct {
	X   Operand
	Not bool
}

// Between is `X BETWEEN Low AND High`, meaning Low <= X AND X <= High.
type Between struct {
	X         Operand
	Low, High Operand
	Not       bool
}

// In is `X IN (List...)`, meaning X equals one of the list.
type In struct {
	X    Operand
	List []Operand
	Not  bool
}

// Like is `X LIKE Pattern`: % matches any run of characters, _ exactly one
// character, and a backslash makes the next character literal.
type Like struct {
	X       Operand
	Pattern string
	Not     bool
}

// Intersects is S_INTERSECTS(Property, Geometry). Geometry is an orb.Point,
// orb.Polygon, orb.MultiPolygon or orb.Bound (a BBOX), in lon/lat.
type Intersects struct {
	Property string
	Geometry orb.Geometry
}

func (And) expr()        {}
func (Or) expr()         {}
func (Not) expr()        {}
func (Compare) expr()    {}
func (IsNull) expr()     {}
func (Between) expr()    {}
func (In) expr()         {}
func (Like) expr()       {}
func (Intersects) expr() {}

func (Property) operand() {}
func (Literal) operand()  {}

// Type is the type of a queryable property.
type Type int

// Types of queryables.
const (
	TypeNumber Type = iota + 1
	TypeString
	TypeBool
	TypeGeometry
)

// String names the type as error messages do.
func (t Type) String() string {
	switch t {
	case TypeNumber:
		return "number"
	case TypeString:
		return "string"
	case TypeBool:
		return "boolean"
	case TypeGeometry:
		return "geometry"
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Kind says which field of a Value holds it.
type Kind int

// Kinds of values. The zero Value is null.
const (
	KindNull Kind = iota
	KindNumber
	KindString
	KindBool
)

// Value is a property's value for evaluation, or a literal's; Null when the
// property is absent or withheld.
type Value struct {
	Kind Kind
	Num  float64
	Str  string
	Bool bool
}

// numberLit, stringLit and boolLit make literal operands.
func numberLit(v float64) Literal { return Literal{Value{Kind: KindNumber, Num: v}} }
func stringLit(s string) Literal  { return Literal{Value{Kind: KindString, Str: s}} }
func boolLit(b bool) Literal      { return Literal{Value{Kind: KindBool, Bool: b}} }

// Precedence levels for printing: a child printed where a tighter level is
// needed gets parentheses.
const (
	precOr = iota + 1
	precAnd
	precNot
	precPredicate
)

func precedence(e Expr) int {
	switch e.(type) {
	case Or:
		return precOr
	case And:
		return precAnd
	case Not:
		return precNot
	}
	return precPredicate
}

func writeExpr(b *strings.Builder, e Expr, need int) {
	if e == nil {
		b.WriteString("<nil>")
		return
	}
	if precedence(e) < need {
		b.WriteByte('(')
		defer b.WriteByte(')')
	}
	switch e := e.(type) {
	case Or:
		writeExpr(b, e.Left, precOr)
		b.WriteString(" OR ")
		writeExpr(b, e.Right, precAnd)
	case And:
		writeExpr(b, e.Left, precAnd)
		b.WriteString(" AND ")
		writeExpr(b, e.Right, precNot)
	case Not:
		b.WriteString("NOT ")
		writeExpr(b, e.X, precNot)
	default:
		b.WriteString(predicateString(e))
	}
}

func predicateString(e Expr) string {
	not := func(n bool) string {
		if n {
			return " NOT"
		}
		return ""
	}
	switch e := e.(type) {
	case Compare:
		return operandString(e.Left) + " " + e.Op + " " + operandString(e.Right)
	case IsNull:
		return operandString(e.X) + " IS" + not(e.Not) + " NULL"
	case Between:
		return operandString(e.X) + not(e.Not) + " BETWEEN " + operandString(e.Low) + " AND " + operandString(e.High)
	case In:
		items := make([]string, len(e.List))
		for i, o := range e.List {
			items[i] = operandString(o)
		}
		return operandString(e.X) + not(e.Not) + " IN (" + strings.Join(items, ", ") + ")"
	case Like:
		return operandString(e.X) + not(e.Not) + " LIKE " + quoteString(e.Pattern)
	case Intersects:
		return "S_INTERSECTS(" + quoteName(e.Property) + ", " + geometryString(e.Geometry) + ")"
	}
	return fmt.Sprintf("<%T>", e)
}

func operandString(o Operand) string {
	if o == nil {
		return "<nil>"
	}
	return o.String()
}

func exprString(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e, precOr)
	return b.String()
}

// String prints the filter as canonical CQL2 text.
func (e And) String() string { return exprString(e) }

// String prints the filter as canonical CQL2 text.
func (e Or) String() string { return exprString(e) }

// String prints the filter as canonical CQL2 text.
func (e Not) String() string { return exprString(e) }

// String prints the comparison as canonical CQL2 text.
func (e Compare) String() string { return exprString(e) }

// String prints the predicate as canonical CQL2 text.
func (e IsNull) String() string { return exprString(e) }

// String prints the predicate as canonical CQL2 text.
func (e Between) String() string { return exprString(e) }

// String prints the predicate as canonical CQL2 text.
func (e In) String() string { return exprString(e) }

// String prints the predicate as canonical CQL2 text.
func (e Like) String() string { return exprString(e) }

// String prints the predicate as canonical CQL2 text.
func (e Intersects) String() string { return exprString(e) }

// String prints the property name, double-quoted when it is not a plain
// identifier or is a reserved word.
func (p Property) String() string { return quoteName(p.Name) }

// String prints the literal as CQL2 text.
func (l Literal) String() string { return l.Value.String() }

// String prints the value as a CQL2 literal, or NULL.
func (v Value) String() string {
	switch v.Kind {
	case KindNumber:
		return formatNumber(v.Num)
	case KindString:
		return quoteString(v.Str)
	case KindBool:
		if v.Bool {
			return "TRUE"
		}
		return "FALSE"
	}
	return "NULL"
}

func formatNumber(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// reserved lists the words that cannot be bare property names. The function
// and geometry names are only special before '(', but are quoted too so that
// printed filters never depend on that.
var reserved = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "IS": true, "NULL": true, "TRUE": true, "FALSE": true,
	"BETWEEN": true, "IN": true, "LIKE": true,
	"S_INTERSECTS": true, "POINT": true, "POLYGON": true, "MULTIPOLYGON": true, "BBOX": true,
}

// asciiUpper upper-cases ASCII letters only, so that keywords are matched
// without Unicode case folding (which would make "ſ" an "S").
func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

func isIdentStart(r rune) bool { return r == '_' || r == ':' || unicode.IsLetter(r) }

func isIdentPart(r rune) bool {
	return isIdentStart(r) || r == '.' || unicode.IsDigit(r)
}

func quoteName(name string) string {
	bare := name != "" && !reserved[asciiUpper(name)]
	for i, r := range name {
		if i == 0 && !isIdentStart(r) || !isIdentPart(r) {
			bare = false
			break
		}
	}
	if bare {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// geometryString prints a geometry literal as WKT (or BBOX). The same text
// is what SQL sends to ST_GeomFromText.
func geometryString(g orb.Geometry) string {
	var b strings.Builder
	coord := func(p orb.Point) {
		b.WriteString(formatNumber(p[0]))
		b.WriteByte(' ')
		b.WriteString(formatNumber(p[1]))
	}
	ring := func(r orb.Ring) {
		b.WriteByte('(')
		for i, p := range r {
			if i > 0 {
				b.WriteString(", ")
			}
			coord(p)
		}
		b.WriteByte(')')
	}
	polygon := func(p orb.Polygon) {
		b.WriteByte('(')
		for i, r := range p {
			if i > 0 {
				b.WriteString(", ")
			}
			ring(r)
		}
		b.WriteByte(')')
	}
	switch g := g.(type) {
	case orb.Point:
		b.WriteString("POINT(")
		coord(g)
		b.WriteByte(')')
	case orb.Polygon:
		b.WriteString("POLYGON")
		polygon(g)
	case orb.MultiPolygon:
		b.WriteString("MULTIPOLYGON(")
		for i, p := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			polygon(p)
		}
		b.WriteByte(')')
	case orb.Bound:
		fmt.Fprintf(&b, "BBOX(%s, %s, %s, %s)", formatNumber(g.Min[0]), formatNumber(g.Min[1]),
			formatNumber(g.Max[0]), formatNumber(g.Max[1]))
	default:
		fmt.Fprintf(&b, "<%T>", g)
	}
	return b.String()
}
