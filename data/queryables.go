package data

import "labmap/data/cql"

// Queryable is a property that filters and sortby can name: the identity of
// an area and its published figures (suppressed or withheld figures are
// null, so a filter cannot reveal them).
type Queryable struct {
	Name        string
	Type        cql.Type
	Description Text
}

// Queryables lists the queryables of a level.
func Queryables(level Level) []Queryable {
	q := []Queryable{
		{"code", cql.TypeString, Text{ID: "Kode wilayah", EN: "Area code"}},
		{"name", cql.TypeString, Text{ID: "Nama wilayah", EN: "Area name"}},
		{"zone", cql.TypeString, Text{ID: "Zona laboratorium kemiskinan (id)", EN: "Poverty lab zone (id)"}},
		{"suppressed", cql.TypeBool, Text{ID: "Disembunyikan: kurang dari k rumah tangga, atau untuk melindungi wilayah lain", EN: "Hidden: fewer than k households, or to protect another hidden area"}},
	}
	switch level {
	case LevelVillage:
		q = append(q, Queryable{"district_code", cql.TypeString, Text{ID: "Kode kecamatan", EN: "District code"}})
	case LevelZone:
		q = append(q, Queryable{"kind", cql.TypeString, Text{ID: "Jenis zona: urban, coastal, forest", EN: "Zone kind: urban, coastal, forest"}})
	}
	for _, ind := range Indicators {
		t := cql.TypeNumber
		if ind.Kind == KindCategory {
			t = cql.TypeString
		}
		q = append(q, Queryable{ind.Key, t, ind.Label})
	}
	return append(q, Queryable{"geometry", cql.TypeGeometry, Text{ID: "Batas wilayah", EN: "Area outline"}})
}

// QueryableTypes maps a level's queryables to their types, for cql.Check.
func QueryableTypes(level Level) map[string]cql.Type {
	out := map[string]cql.Type{}
	for _, q := range Queryables(level) {
		out[q.Name] = q.Type
	}
	return out
}

// PropertyValue is an area's published value of a queryable, for filters
// and sorting in Go; zone is the area's first lab zone ("" when none).
func PropertyValue(a *AreaStats, zone, name string) cql.Value {
	str := func(s string) cql.Value { return cql.Value{Kind: cql.KindString, Str: s} }
	switch name {
	case "code":
		return str(a.Code)
	case "name":
		return str(a.Name)
	case "zone":
		if zone == "" {
			return cql.Value{}
		}
		return str(zone)
	case "suppressed":
		return cql.Value{Kind: cql.KindBool, Bool: a.Suppressed}
	case "district_code":
		if a.Level == LevelVillage {
			return str(a.Parent)
		}
	case "kind":
		if a.Level == LevelZone {
			return str(a.Parent)
		}
	}
	i := IndicatorIndex(name)
	if i < 0 || a.Suppressed || !a.Values[i].Valid {
		return cql.Value{}
	}
	if Indicators[i].Kind == KindCategory {
		return str(a.Values[i].Text)
	}
	return cql.Value{Kind: cql.KindNumber, Num: a.Values[i].Number}
}

// CompareValues orders two values of one queryable for sortby: numbers and
// strings (byte order, as SQL's COLLATE "C") ascending, false before true,
// nulls after everything.
func CompareValues(a, b cql.Value) int {
	switch {
	case a.Kind == cql.KindNull && b.Kind == cql.KindNull:
		return 0
	case a.Kind == cql.KindNull:
		return 1
	case b.Kind == cql.KindNull:
		return -1
	}
	switch a.Kind {
	case cql.KindNumber:
		switch {
		case a.Num < b.Num:
			return -1
		case a.Num > b.Num:
			return 1
		}
	case cql.KindString:
		switch {
		case a.Str < b.Str:
			return -1
		case a.Str > b.Str:
			return 1
		}
	case cql.KindBool:
		switch {
		case !a.Bool && b.Bool:
			return -1
		case a.Bool && !b.Bool:
			return 1
		}
	}
	return 0
}
