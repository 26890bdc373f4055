package cql

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"labmap/data/postgis/pgtest"
	"labmap/geo"
)

// pgRecord is a row of the differential test; nil fields are NULL.
type pgRecord struct {
	id   int
	num  *float64
	cnt  *int32
	str  *string
	flag *bool
	geom orb.MultiPolygon
}

func ptr[T any](v T) *T { return &v }

func box(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

var pgRecords = []pgRecord{
	{1, ptr(0.25), ptr[int32](12), ptr("Kelurahan Bendan"), ptr(true), orb.MultiPolygon{box(0, 0, 2, 2)}},
	{2, ptr(0.5), ptr[int32](3), ptr("kelurahan bendan"), ptr(false), orb.MultiPolygon{box(2, 0, 4, 2)}},
	{3, nil, ptr[int32](0), ptr("Été"), nil, orb.MultiPolygon{{box(0, 0, 10, 10)[0], {{4, 4}, {4, 6}, {6, 6}, {6, 4}, {4, 4}}}}},
	{4, ptr(-1.0), nil, ptr(`50%_off\`), ptr(true), nil},
	{5, ptr(2.5), ptr[int32](2), nil, ptr(false), orb.MultiPolygon{box(4.5, 4.5, 5.5, 5.5)}},
	{6, ptr(3.0), ptr[int32](3), ptr("a"), ptr(true), orb.MultiPolygon{box(-2, -2, -1, -1), box(11, 11, 12, 12)}},
	{7, ptr(1e-9), ptr[int32](-5), ptr("B"), ptr(false), orb.MultiPolygon{{{{1, 3}, {3, 3}, {2, 5}, {1, 3}}}}},
	{8, ptr(0.0), ptr[int32](7), ptr(""), nil, orb.MultiPolygon{box(-3, -3, -2, -2)}},
	{9, ptr(math.NaN()), ptr[int32](1), ptr("é_ü"), ptr(true), orb.MultiPolygon{box(6, 0, 7, 1)}},
	{10, ptr(12.0), ptr[int32](12), ptr("日本語"), ptr(false), orb.MultiPolygon{box(3, 3, 4, 4)}},
	{11, ptr(-0.0), ptr[int32](0), ptr("Z"), ptr(true), orb.MultiPolygon{box(10, 0, 11, 1)}},
	{12, ptr(1.0), ptr[int32](1), ptr("_%"), nil, orb.MultiPolygon{box(1, 1, 1.5, 1.5)}},
}

func (r pgRecord) value(name string) Value {
	switch name {
	case "num":
		if r.num != nil {
			return Value{Kind: KindNumber, Num: *r.num}
		}
	case "cnt":
		if r.cnt != nil {
			return Value{Kind: KindNumber, Num: float64(*r.cnt)}
		}
	case "str":
		if r.str != nil {
			return Value{Kind: KindString, Str: *r.str}
		}
	case "flag":
		if r.flag != nil {
			return Value{Kind: KindBool, Bool: *r.flag}
		}
	}
	return Value{}
}

// filterGen makes random filters over the pgRecords columns.
type filterGen struct{ r *rand.Rand }

var (
	genNumbers = []float64{-1, 0, 0.25, 0.5, 1, 1e-9, 2, 2.5, 3, 12, -5}
	genStrings = []string{"", "a", "B", "Z", "z", "K", "Kelurahan", "kelurahan bendan", "Kelurahan Bendan", "Été", "e", "É", "é_ü", "日本語", `50%_off\`, "_%"}
	genLike    = []string{"%", "%", "_", "K", "k", "e", "É", "é", `\%`, `\_`, `\\`, "日", "a", "n", " ", "Z"}
	genCoords  = []float64{-2, -1, 0, 1, 1.5, 2, 3, 4, 4.5, 5, 6, 10, 11}
	genOps     = []string{"=", "<>", "<", "<=", ">", ">="}
)

func (g filterGen) pick(n int) int { return g.r.IntN(n) }

func (g filterGen) operand(t Type) Operand {
	lit := g.pick(3) == 0
	switch t {
	case TypeNumber:
		if lit {
			return numberLit(genNumbers[g.pick(len(genNumbers))])
		}
		return Property{[]string{"num", "cnt"}[g.pick(2)]}
	case TypeString:
		if lit {
			return stringLit(genStrings[g.pick(len(genStrings))])
		}
		return Property{"str"}
	}
	if lit {
		return boolLit(g.pick(2) == 0)
	}
	return Property{"flag"}
}

func (g filterGen) coord() float64 { return genCoords[g.pick(len(genCoords))] }

func (g filterGen) rect() orb.Polygon {
	x0, x1 := g.coord(), g.coord()
	y0, y1 := g.coord(), g.coord()
	if x0 == x1 || y0 == y1 {
		x1, y1 = x0+1, y0+1
	}
	return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
}

func (g filterGen) expr(depth int) Expr {
	if depth > 0 && g.pick(2) == 0 {
		switch g.pick(3) {
		case 0:
			return And{g.expr(depth - 1), g.expr(depth - 1)}
		case 1:
			return Or{g.expr(depth - 1), g.expr(depth - 1)}
		default:
			return Not{g.expr(depth - 1)}
		}
	}
	t := []Type{TypeNumber, TypeString, TypeBool}[g.pick(3)]
	not := g.pick(3) == 0
	switch g.pick(7) {
	case 0, 1:
		return Compare{Op: genOps[g.pick(len(genOps))], Left: g.operand(t), Right: g.operand(t)}
	case 2:
		return IsNull{X: g.operand(t), Not: not}
	case 3:
		return Between{X: g.operand(t), Low: g.operand(t), High: g.operand(t), Not: not}
	case 4:
		list := []Operand{g.operand(t)}
		for g.pick(2) == 0 {
			list = append(list, g.operand(t))
		}
		return In{X: g.operand(t), List: list, Not: not}
	case 5:
		pat := ""
		for range 1 + g.pick(4) {
			pat += genLike[g.pick(len(genLike))]
		}
		return Like{X: g.operand(TypeString), Pattern: pat, Not: not}
	}
	var geom orb.Geometry
	switch g.pick(4) {
	case 0:
		geom = orb.Point{g.coord(), g.coord()}
	case 1:
		geom = g.rect()
	case 2:
		mp := orb.MultiPolygon{g.rect(), g.rect()}
		if geo.Intersects(mp[:1], mp[1:]) {
			mp = mp[:1] // a multipolygon's parts may not overlap
		}
		geom = mp
	default:
		geom = g.rect().Bound()
	}
	return Intersects{Property: "geometry", Geometry: geom}
}

// TestEvalMatchesPostGIS runs the same filters through Eval and through
// SQL on PostGIS and requires the same rows. The text column has an ICU
// collation, whose order differs from byte order, so a missing COLLATE "C"
// would show; cnt is an integer column, compared as float8 all the same.
func TestEvalMatchesPostGIS(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	collate := ""
	if _, err := db.Exec(ctx, `CREATE COLLATION cql_und (provider = icu, locale = 'und')`); err == nil {
		collate = " COLLATE cql_und"
	} else {
		t.Logf("no ICU collation (%v); testing with the database's default", err)
	}
	if _, err := db.Exec(ctx, `CREATE TABLE rec (id int PRIMARY KEY, num float8, cnt int, str text`+collate+`,
		flag boolean, geom geometry(MultiPolygon, 4326))`); err != nil {
		t.Fatal(err)
	}
	for _, r := range pgRecords {
		var wkt *string
		if r.geom != nil {
			wkt = ptr(geometryString(r.geom))
		}
		if _, err := db.Exec(ctx, `INSERT INTO rec VALUES ($1, $2, $3, $4, $5, ST_GeomFromText($6, 4326))`,
			r.id, r.num, r.cnt, r.str, r.flag, wkt); err != nil {
			t.Fatal(err)
		}
	}
	columns := map[string]string{"num": "num", "cnt": "cnt", "str": "str", "flag": "flag"}
	column := func(name string) (string, bool) { c, ok := columns[name]; return c, ok }
	queryables := map[string]Type{"num": TypeNumber, "cnt": TypeNumber, "str": TypeString, "flag": TypeBool, "geometry": TypeGeometry}

	filters := []string{
		"str < 'a'", "str >= 'Z'", "str BETWEEN 'A' AND 'a'", "str > 'z'", "str LIKE '%\\_%'",
		"num = 0", "num > 1e308", "num = 'NaN'", "cnt < 2.5", "cnt = 12 AND num = 12",
		"NOT num > 0", "num IS NULL OR NOT flag = TRUE", "str NOT IN ('a', 'B')",
		"S_INTERSECTS(geometry, POINT(5 5))", "S_INTERSECTS(geometry, POINT(4 5))",
		"S_INTERSECTS(geometry, BBOX(2, 2, 3, 3))", "NOT S_INTERSECTS(geometry, BBOX(-10, -10, 0, 0))",
		"S_INTERSECTS(geometry, POLYGON((4 1, 5 1, 5 2, 4 1)))",
	}
	g := filterGen{rand.New(rand.NewPCG(1, 2))}
	for range 3000 {
		filters = append(filters, g.expr(3).String())
	}
	for _, text := range filters {
		e, err := Parse(text)
		if err != nil {
			if text == "num = 'NaN'" {
				continue
			}
			t.Fatalf("Parse(%q): %v", text, err)
		}
		if err := Check(e, queryables); err != nil {
			if text == "num = 'NaN'" {
				continue // a string is not a number: Check catches it
			}
			t.Fatalf("Check(%q): %v", text, err)
		}
		var want []int
		for _, r := range pgRecords {
			if Eval(e, r.value, r.geom) {
				want = append(want, r.id)
			}
		}
		sql, args, err := SQL(e, column, "geom", nil)
		if err != nil {
			t.Fatalf("SQL(%q): %v", text, err)
		}
		rows, err := db.Query(ctx, "SELECT id FROM rec WHERE "+sql+" ORDER BY id", args...)
		if err != nil {
			t.Fatalf("%s\n%s: %v", text, sql, err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			t.Fatalf("%s\n%s: %v", text, sql, err)
		}
		if !reflect.DeepEqual(slices.Clip(got), slices.Clip(want)) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%s\nEval selects %v, PostGIS %v\nSQL: %s %v", text, want, got, sql, args)
		}
	}
}
