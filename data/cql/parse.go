package cql

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"labmap/geo"
)

// SyntaxError reports where a filter stopped making sense: Pos is the byte
// offset into the filter text of the token that was not expected.
type SyntaxError struct {
	Pos int
	Msg string
}

// Error formats the error as "position N: msg".
func (e *SyntaxError) Error() string { return fmt.Sprintf("position %d: %s", e.Pos, e.Msg) }

// maxDepth bounds the nesting of parentheses and NOTs, so a hostile filter
// cannot drive the recursive descent arbitrarily deep.
const maxDepth = 100

// Parse parses CQL2 text into a filter. Keywords are case-insensitive,
// property names are not. On bad input it returns a *SyntaxError.
func Parse(text string) (Expr, error) {
	return ParseWithin(text, Limits{})
}

// ParseWithin is Parse refusing, with a *SyntaxError at the token that
// passes it, a filter beyond lim.
func ParseWithin(text string, lim Limits) (e Expr, err error) {
	p := &parser{src: text, lim: lim}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*SyntaxError)
			if !ok {
				panic(r)
			}
			e, err = nil, se
		}
	}()
	e = p.or(0)
	if t := p.peek(0); t.kind != tokEOF {
		panic(p.expected("AND, OR or end of input"))
	}
	return e, nil
}

type tokKind int

const (
	tokEOF    tokKind = iota
	tokIdent          // bare identifier or keyword; text is as written
	tokQuoted         // double-quoted identifier; text is the name
	tokNumber         // num holds the value
	tokString         // text is the unescaped value
	tokPunct          // ( ) ,
	tokOp             // = <> < <= > >=
)

type token struct {
	kind     tokKind
	pos, end int // byte range in the source
	text     string
	num      float64
}

type parser struct {
	src     string
	off     int     // lexer position
	buf     []token // lookahead
	last    token   // last token consumed
	hasLast bool

	lim                     Limits
	terms, values, vertices int // counted against lim
}

func (p *parser) errorf(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// expected builds the error for finding the next token where what should be.
func (p *parser) expected(what string) *SyntaxError {
	t := p.peek(0)
	if p.hasLast {
		return p.errorf(t.pos, "expected %s after %s, found %s", what, p.describe(p.last), p.describe(t))
	}
	return p.errorf(t.pos, "expected %s, found %s", what, p.describe(t))
}

// describe names a token for an error message.
func (p *parser) describe(t token) string {
	raw := p.src[t.pos:t.end]
	if len(raw) > 40 {
		cut := 37
		for cut > 0 && !utf8.RuneStart(raw[cut]) {
			cut--
		}
		raw = raw[:cut] + "..."
	}
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokIdent:
		if keywords[asciiUpper(t.text)] {
			return asciiUpper(t.text)
		}
		return strconv.Quote(raw)
	case tokNumber:
		return "number " + raw
	case tokString:
		return "string " + raw
	case tokQuoted:
		return raw
	}
	return "'" + raw + "'"
}

// keywords are reserved everywhere; function and geometry names only before '('.
var keywords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "IS": true, "NULL": true, "TRUE": true, "FALSE": true,
	"BETWEEN": true, "IN": true, "LIKE": true,
}

func (p *parser) peek(k int) token {
	for len(p.buf) <= k {
		p.buf = append(p.buf, p.lex())
	}
	return p.buf[k]
}

func (p *parser) next() token {
	t := p.peek(0)
	p.buf = p.buf[1:]
	p.last, p.hasLast = t, true
	return t
}

func isKeyword(t token, kw string) bool { return t.kind == tokIdent && asciiUpper(t.text) == kw }

func isPunct(t token, s string) bool { return t.kind == tokPunct && t.text == s }

func (p *parser) expectPunct(s, what string) token {
	if t := p.peek(0); isPunct(t, s) {
		return p.next()
	}
	panic(p.expected(what))
}

// or parses orExpr = andExpr {OR andExpr}.
func (p *parser) or(depth int) Expr {
	left := p.and(depth)
	for isKeyword(p.peek(0), "OR") {
		p.next()
		left = Or{left, p.and(depth)}
	}
	return left
}

// and parses andExpr = notExpr {AND notExpr}.
func (p *parser) and(depth int) Expr {
	left := p.not(depth)
	for isKeyword(p.peek(0), "AND") {
		p.next()
		left = And{left, p.not(depth)}
	}
	return left
}

// not parses notExpr = NOT notExpr | '(' orExpr ')' | predicate.
func (p *parser) not(depth int) Expr {
	t := p.peek(0)
	nested := isKeyword(t, "NOT") || isPunct(t, "(")
	if nested && depth >= maxDepth {
		panic(p.errorf(t.pos, "filter nested too deeply (more than %d levels)", maxDepth))
	}
	switch {
	case isKeyword(t, "NOT"):
		p.next()
		return Not{p.not(depth + 1)}
	case isPunct(t, "("):
		p.next()
		e := p.or(depth + 1)
		p.expectPunct(")", "AND, OR or ')'")
		return e
	}
	p.count(&p.terms, p.lim.Terms, t.pos, "terms")
	if t.kind == tokIdent && asciiUpper(t.text) == "S_INTERSECTS" && isPunct(p.peek(1), "(") {
		return p.intersects()
	}
	return p.predicate()
}

// predicate parses a comparison, IS [NOT] NULL, [NOT] BETWEEN, [NOT] IN or
// [NOT] LIKE.
func (p *parser) predicate() Expr {
	x := p.operand("a predicate")
	t := p.peek(0)
	switch {
	case t.kind == tokOp:
		p.next()
		return Compare{Op: t.text, Left: x, Right: p.operand("a value")}
	case isKeyword(t, "IS"):
		p.next()
		not := isKeyword(p.peek(0), "NOT")
		if not {
			p.next()
		}
		if !isKeyword(p.peek(0), "NULL") {
			panic(p.expected("NULL"))
		}
		p.next()
		return IsNull{X: x, Not: not}
	case isKeyword(t, "NOT"):
		p.next()
		if u := p.peek(0); !isKeyword(u, "BETWEEN") && !isKeyword(u, "IN") && !isKeyword(u, "LIKE") {
			panic(p.expected("BETWEEN, IN or LIKE"))
		}
		return p.advanced(x, true)
	case isKeyword(t, "BETWEEN"), isKeyword(t, "IN"), isKeyword(t, "LIKE"):
		return p.advanced(x, false)
	}
	panic(p.expected("a comparison operator, IS, BETWEEN, IN or LIKE"))
}

// advanced parses the rest of BETWEEN, IN or LIKE, whose keyword is next.
func (p *parser) advanced(x Operand, not bool) Expr {
	switch kw := p.next(); asciiUpper(kw.text) {
	case "BETWEEN":
		low := p.operand("a lower bound")
		if !isKeyword(p.peek(0), "AND") {
			panic(p.expected("AND"))
		}
		p.next()
		return Between{X: x, Low: low, High: p.operand("an upper bound"), Not: not}
	case "IN":
		p.expectPunct("(", "'('")
		list := []Operand{p.operand("a value")}
		for isPunct(p.peek(0), ",") {
			p.next()
			list = append(list, p.operand("a value"))
		}
		p.expectPunct(")", "',' or ')'")
		return In{X: x, List: list, Not: not}
	default: // LIKE
		t := p.peek(0)
		if t.kind != tokString {
			panic(p.expected("a pattern string"))
		}
		p.next()
		for i := 0; i < len(t.text); i++ {
			if t.text[i] == '\\' {
				if i == len(t.text)-1 {
					panic(p.errorf(t.pos, `LIKE pattern ends with the escape character '\'`))
				}
				i++
			}
		}
		return Like{X: x, Pattern: t.text, Not: not}
	}
}

// operand parses a property name or a number, string or boolean literal.
func (p *parser) operand(what string) Operand {
	t := p.peek(0)
	if t.kind == tokNumber || t.kind == tokString || t.kind == tokIdent && (asciiUpper(t.text) == "TRUE" || asciiUpper(t.text) == "FALSE") {
		p.count(&p.values, p.lim.Values, t.pos, "values")
	}
	switch t.kind {
	case tokNumber:
		p.next()
		return numberLit(t.num)
	case tokString:
		p.next()
		return stringLit(t.text)
	case tokQuoted:
		p.next()
		return Property{t.text}
	case tokIdent:
		switch kw := asciiUpper(t.text); {
		case kw == "TRUE" || kw == "FALSE":
			p.next()
			return boolLit(kw == "TRUE")
		case kw == "NULL":
			panic(p.errorf(t.pos, "NULL is not a value here; use IS NULL or IS NOT NULL"))
		case keywords[kw]:
			panic(p.expected(what))
		case isPunct(p.peek(1), "("):
			if kw == "S_INTERSECTS" {
				panic(p.errorf(t.pos, "S_INTERSECTS is a predicate, not a value"))
			}
			panic(p.errorf(t.pos, "unsupported function %s (the only function is S_INTERSECTS)", t.text))
		}
		p.next()
		return Property{t.text}
	}
	panic(p.expected(what))
}

// intersects parses S_INTERSECTS(property, geometry), in either order.
func (p *parser) intersects() Expr {
	p.next()
	p.next() // '('
	var e Intersects
	if t := p.peek(0); t.kind == tokIdent && isPunct(p.peek(1), "(") {
		e.Geometry = p.geometry()
		p.expectPunct(",", "','")
		e.Property = p.propertyName()
	} else {
		e.Property = p.propertyName()
		p.expectPunct(",", "','")
		e.Geometry = p.geometry()
	}
	p.expectPunct(")", "')'")
	return e
}

func (p *parser) propertyName() string {
	t := p.peek(0)
	if t.kind == tokQuoted || t.kind == tokIdent && !keywords[asciiUpper(t.text)] && !isPunct(p.peek(1), "(") {
		p.next()
		return t.text
	}
	panic(p.expected("a property name"))
}

// geometry parses a POINT, POLYGON or MULTIPOLYGON in WKT, or a BBOX.
func (p *parser) geometry() orb.Geometry {
	const what = "a geometry literal (POINT, POLYGON, MULTIPOLYGON or BBOX)"
	t := p.peek(0)
	if t.kind != tokIdent || !isPunct(p.peek(1), "(") {
		panic(p.expected(what))
	}
	switch asciiUpper(t.text) {
	case "POINT":
		p.next()
		p.next()
		pt := p.coord()
		p.expectPunct(")", "')'")
		return pt
	case "POLYGON":
		p.next()
		return p.polygon()
	case "MULTIPOLYGON":
		p.next()
		p.next()
		mp := orb.MultiPolygon{p.polygon()}
		for isPunct(p.peek(0), ",") {
			p.next()
			mp = append(mp, p.polygon())
		}
		p.expectPunct(")", "',' or ')'")
		if err := geo.ValidateMultiPolygon(mp); err != nil {
			panic(p.errorf(t.pos, "invalid multipolygon: %v", err))
		}
		return mp
	case "BBOX":
		p.next()
		p.next()
		var v [4]float64
		for i := range v {
			if i > 0 {
				p.expectPunct(",", "','")
			}
			v[i] = p.number("a number")
		}
		p.expectPunct(")", "')'")
		if v[0] > v[2] || v[1] > v[3] {
			panic(p.errorf(t.pos, "BBOX minimum (%s %s) exceeds maximum (%s %s)",
				formatNumber(v[0]), formatNumber(v[1]), formatNumber(v[2]), formatNumber(v[3])))
		}
		return orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}
	}
	panic(p.errorf(t.pos, "unsupported geometry %s (supported: POINT, POLYGON, MULTIPOLYGON, BBOX)", t.text))
}

// polygon parses "(ring, ring, ...)" and checks that it is valid (closed,
// simple rings; holes inside the outer ring, nothing touching), so that
// PostGIS computes with it rather than failing with a topology error.
func (p *parser) polygon() orb.Polygon {
	open := p.expectPunct("(", "'('")
	var poly orb.Polygon
	for {
		p.expectPunct("(", "'('")
		ring := orb.Ring{p.coord()}
		for isPunct(p.peek(0), ",") {
			p.next()
			ring = append(ring, p.coord())
		}
		p.expectPunct(")", "',' or ')'")
		poly = append(poly, ring)
		if !isPunct(p.peek(0), ",") {
			break
		}
		p.next()
	}
	p.expectPunct(")", "',' or ')'")
	if err := geo.ValidateMultiPolygon(orb.MultiPolygon{poly}); err != nil {
		panic(p.errorf(open.pos, "invalid polygon: %v", err))
	}
	return poly
}

func (p *parser) coord() orb.Point {
	p.count(&p.vertices, p.lim.Vertices, p.peek(0).pos, "vertices")
	x := p.number("a coordinate")
	return orb.Point{x, p.number("a second coordinate")}
}

func (p *parser) number(what string) float64 {
	t := p.peek(0)
	if t.kind != tokNumber {
		panic(p.expected(what))
	}
	p.next()
	return t.num
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// lex reads the token at p.off.
func (p *parser) lex() token {
	s := p.src
	i := p.off
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			panic(p.errorf(i, "invalid UTF-8"))
		}
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	tok := func(kind tokKind, end int, text string) token {
		p.off = end
		return token{kind: kind, pos: i, end: end, text: text}
	}
	if i >= len(s) {
		return tok(tokEOF, i, "")
	}
	c := s[i]
	switch {
	case c == '(' || c == ')' || c == ',':
		return tok(tokPunct, i+1, s[i:i+1])
	case c == '=':
		return tok(tokOp, i+1, "=")
	case c == '<' && i+1 < len(s) && (s[i+1] == '>' || s[i+1] == '='):
		return tok(tokOp, i+2, s[i:i+2])
	case c == '>' && i+1 < len(s) && s[i+1] == '=':
		return tok(tokOp, i+2, ">=")
	case c == '<' || c == '>':
		return tok(tokOp, i+1, s[i:i+1])
	case c == '!' && i+1 < len(s) && s[i+1] == '=':
		panic(p.errorf(i, "unexpected '!='; CQL2 writes not-equal as <>"))
	case c == '\'':
		text, end := p.quoted(i, '\'')
		return tok(tokString, end, text)
	case c == '"':
		text, end := p.quoted(i, '"')
		if text == "" {
			panic(p.errorf(i, "empty property name"))
		}
		return tok(tokQuoted, end, text)
	case isDigit(c) || c == '.' || c == '+' || c == '-':
		end, v := p.scanNumber(i)
		t := tok(tokNumber, end, "")
		t.num = v
		return t
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if !isIdentStart(r) {
		panic(p.errorf(i, "unexpected character %q", r))
	}
	j := i + n
	for j < len(s) {
		r, n := utf8.DecodeRuneInString(s[j:])
		if !isIdentPart(r) || r == utf8.RuneError && n == 1 {
			break
		}
		j += n
	}
	return tok(tokIdent, j, s[i:j])
}

// quoted reads a string or quoted identifier starting at the quote at i; a
// doubled quote stands for one.
func (p *parser) quoted(i int, q byte) (string, int) {
	s := p.src
	var b strings.Builder
	what := "string"
	if q == '"' {
		what = "quoted property name"
	}
	for j := i + 1; ; {
		if j >= len(s) {
			panic(p.errorf(i, "unterminated %s", what))
		}
		switch c := s[j]; {
		case c == q && j+1 < len(s) && s[j+1] == q:
			b.WriteByte(q)
			j += 2
			continue
		case c == q:
			return b.String(), j + 1
		case c == 0:
			panic(p.errorf(j, "NUL character in %s", what))
		}
		r, n := utf8.DecodeRuneInString(s[j:])
		if r == utf8.RuneError && n == 1 {
			panic(p.errorf(j, "invalid UTF-8"))
		}
		b.WriteString(s[j : j+n])
		j += n
	}
}

// scanNumber reads [+-] (digits [. digits] | . digits) [e [+-] digits].
func (p *parser) scanNumber(i int) (int, float64) {
	s := p.src
	j := i
	if s[j] == '+' || s[j] == '-' {
		j++
	}
	digits := 0
	for j < len(s) && isDigit(s[j]) {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && isDigit(s[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		panic(p.errorf(i, "unexpected character %q", r))
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		exp := 0
		for k < len(s) && isDigit(s[k]) {
			k++
			exp++
		}
		if exp == 0 {
			panic(p.errorf(i, "malformed number %q: exponent has no digits", s[i:k]))
		}
		j = k
	}
	if j < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[j:]); isIdentPart(r) {
			panic(p.errorf(i, "malformed number: %q runs into %q", s[i:j], r))
		}
	}
	v, err := strconv.ParseFloat(s[i:j], 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			panic(p.errorf(i, "number %s is out of range", s[i:j]))
		}
		panic(p.errorf(i, "malformed number %q", s[i:j]))
	}
	return j, v
}
