package cql

import (
	"fmt"
	"slices"
	"strings"
)

// PropertyError reports a property that a filter may not use as written:
// an unknown queryable, or one whose type does not fit the operation. Name
// is the property ("" when the error is between two literals).
type PropertyError struct{ Name, Msg string }

// Error returns the message, which names the property.
func (e *PropertyError) Error() string { return e.Msg }

// Check verifies that every property is a known queryable and that the
// operands of each predicate have matching types: number with number,
// string with string, boolean with boolean; LIKE applies only to strings and
// S_INTERSECTS only to a TypeGeometry property, which no other predicate may
// use. It returns the first problem in reading order as a *PropertyError.
func Check(e Expr, queryables map[string]Type) error {
	if e == nil {
		return nil
	}
	c := checker{queryables: queryables}
	return c.expr(e)
}

type checker struct{ queryables map[string]Type }

func (c checker) unknown(name string) error {
	names := make([]string, 0, len(c.queryables))
	for n := range c.queryables {
		names = append(names, n)
	}
	slices.Sort(names)
	return &PropertyError{Name: name, Msg: fmt.Sprintf("unknown queryable %q (queryables: %s)", name, strings.Join(names, ", "))}
}

// typeOf is an operand's type; a geometry property is refused here, since
// only S_INTERSECTS may use it.
func (c checker) typeOf(o Operand) (Type, error) {
	switch o := o.(type) {
	case Property:
		t, ok := c.queryables[o.Name]
		if !ok {
			return 0, c.unknown(o.Name)
		}
		if t == TypeGeometry {
			return 0, &PropertyError{Name: o.Name, Msg: fmt.Sprintf("%q is a geometry: use it in S_INTERSECTS", o.Name)}
		}
		return t, nil
	case Literal:
		switch o.Value.Kind {
		case KindNumber:
			return TypeNumber, nil
		case KindString:
			return TypeString, nil
		case KindBool:
			return TypeBool, nil
		}
	}
	return 0, &PropertyError{Msg: fmt.Sprintf("invalid operand %v", o)}
}

func propertyName(o Operand) string {
	if p, ok := o.(Property); ok {
		return p.Name
	}
	return ""
}

// same checks that every operand has the type of the first.
func (c checker) same(where string, first Operand, rest ...Operand) error {
	t, err := c.typeOf(first)
	if err != nil {
		return err
	}
	for _, o := range rest {
		u, err := c.typeOf(o)
		if err != nil {
			return err
		}
		if u != t {
			name := propertyName(first)
			if name == "" {
				name = propertyName(o)
			}
			return &PropertyError{Name: name, Msg: fmt.Sprintf("cannot compare %s (%s) with %s (%s)%s", first, t, o, u, where)}
		}
	}
	return nil
}

func (c checker) expr(e Expr) error {
	switch e := e.(type) {
	case And:
		if err := c.expr(e.Left); err != nil {
			return err
		}
		return c.expr(e.Right)
	case Or:
		if err := c.expr(e.Left); err != nil {
			return err
		}
		return c.expr(e.Right)
	case Not:
		return c.expr(e.X)
	case Compare:
		return c.same("", e.Left, e.Right)
	case IsNull:
		_, err := c.typeOf(e.X)
		return err
	case Between:
		return c.same(" in BETWEEN", e.X, e.Low, e.High)
	case In:
		return c.same(" in IN", e.X, e.List...)
	case Like:
		t, err := c.typeOf(e.X)
		if err != nil {
			return err
		}
		if t != TypeString {
			return &PropertyError{Name: propertyName(e.X), Msg: fmt.Sprintf("LIKE needs a string, but %s is a %s", e.X, t)}
		}
		return nil
	case Intersects:
		t, ok := c.queryables[e.Property]
		if !ok {
			return c.unknown(e.Property)
		}
		if t != TypeGeometry {
			return &PropertyError{Name: e.Property, Msg: fmt.Sprintf("S_INTERSECTS needs a geometry, but %s is a %s", quoteName(e.Property), t)}
		}
		return nil
	}
	return &PropertyError{Msg: fmt.Sprintf("invalid filter node %T", e)}
}

// Properties lists the property names e refers to, sorted, without repeats.
func Properties(e Expr) []string {
	var names []string
	add := func(o Operand) {
		if p, ok := o.(Property); ok {
			names = append(names, p.Name)
		}
	}
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case And:
			walk(e.Left)
			walk(e.Right)
		case Or:
			walk(e.Left)
			walk(e.Right)
		case Not:
			walk(e.X)
		case Compare:
			add(e.Left)
			add(e.Right)
		case IsNull:
			add(e.X)
		case Between:
			add(e.X)
			add(e.Low)
			add(e.High)
		case In:
			add(e.X)
			for _, o := range e.List {
				add(o)
			}
		case Like:
			add(e.X)
		case Intersects:
			names = append(names, e.Property)
		}
	}
	walk(e)
	slices.Sort(names)
	return slices.Compact(names)
}
