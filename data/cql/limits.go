package cql

// Limits bounds what one filter may ask of a store, counted while parsing
// so that an oversized filter is refused before anything is evaluated or
// validated: both stores then answer the same error, and PostgreSQL never
// sees a statement that would exhaust its parser's stack or its 65,535 bind
// parameters. A zero field is no limit.
type Limits struct {
	// Terms bounds the predicates (comparisons, IS NULL, BETWEEN, IN, LIKE,
	// S_INTERSECTS); AND and OR chains nest one level per term in SQL.
	Terms int
	// Values bounds the literal values, every item of every IN list
	// included: each becomes one bind parameter in SQL.
	Values int
	// Vertices bounds the coordinates of all geometry literals together:
	// validating a polygon and intersecting it with every area grow with it.
	Vertices int
}

// overBudget is raised by the parser when a count passes its limit.
func (p *parser) overBudget(pos int, what string, limit int) *SyntaxError {
	return p.errorf(pos, "filter has more than %d %s (the request budget)", limit, what)
}

// count adds one to *n and panics with a budget error past limit.
func (p *parser) count(n *int, limit, pos int, what string) {
	*n++
	if limit > 0 && *n > limit {
		panic(p.overBudget(pos, what, limit))
	}
}
