package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"

	"labmap/data"
	"labmap/data/cql"
)

// pageCursor is what a next link's cursor parameter carries: where the page
// ends in the query's order and how many features came before that point.
// The client treats it as opaque (base64url of JSON); it is tied to its
// collection and sortby, so a cursor pasted into another query is refused
// rather than silently starting somewhere meaningless.
type pageCursor struct {
	Collection string `json:"c"`
	SortBy     string `json:"s,omitempty"`
	Values     []any  `json:"v,omitempty"` // the sort key values of the last feature, JSON null for null
	Code       string `json:"k"`           // its code, the tie-breaker
	Position   int    `json:"p"`           // features before the cursor, so a walk knows its last page
}

// sortBySpec is the query's sortby in one canonical spelling.
func sortBySpec(keys []data.SortKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.Property
		if k.Desc {
			parts[i] = "-" + k.Property
		}
	}
	return strings.Join(parts, ",")
}

// encodeCursor makes the cursor parameter of the page after position c.
func encodeCursor(collection string, keys []data.SortKey, c data.Cursor, position int) string {
	pc := pageCursor{Collection: collection, SortBy: sortBySpec(keys), Code: c.Code, Position: position}
	for _, v := range c.Values {
		switch v.Kind {
		case cql.KindNumber:
			pc.Values = append(pc.Values, v.Num)
		case cql.KindString:
			pc.Values = append(pc.Values, v.Str)
		case cql.KindBool:
			pc.Values = append(pc.Values, v.Bool)
		default:
			pc.Values = append(pc.Values, nil)
		}
	}
	b, _ := json.Marshal(pc) // plain strings, numbers and booleans: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// parseCursor reads a cursor parameter for a query of collection with
// these sort keys, checking each value against its queryable's type.
func parseCursor(v, collection string, keys []data.SortKey, types map[string]cql.Type) (*data.Cursor, int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(v, "="))
	if err != nil {
		return nil, 0, badRequest("parameter cursor: not a cursor from a next link of this server (not base64url)")
	}
	var pc pageCursor
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pc); err != nil || dec.More() {
		return nil, 0, badRequest("parameter cursor: not a cursor from a next link of this server")
	}
	if pc.Collection != collection || pc.SortBy != sortBySpec(keys) {
		return nil, 0, badRequest("parameter cursor: made for collection %q with sortby %q, not for %s with sortby %q; start again without it",
			pc.Collection, pc.SortBy, collection, sortBySpec(keys))
	}
	if pc.Code == "" || pc.Position < 0 || len(pc.Values) != len(keys) {
		return nil, 0, badRequest("parameter cursor: not a cursor from a next link of this server")
	}
	c := &data.Cursor{Code: pc.Code, Values: make([]cql.Value, len(keys))}
	for i, k := range keys {
		var ok bool
		switch x := pc.Values[i].(type) {
		case nil:
			ok = true
		case float64:
			c.Values[i], ok = cql.Value{Kind: cql.KindNumber, Num: x}, types[k.Property] == cql.TypeNumber
		case string:
			c.Values[i], ok = cql.Value{Kind: cql.KindString, Str: x}, types[k.Property] == cql.TypeString
		case bool:
			c.Values[i], ok = cql.Value{Kind: cql.KindBool, Bool: x}, types[k.Property] == cql.TypeBool
		}
		if !ok {
			return nil, 0, badRequest("parameter cursor: its value for %s is not of that queryable's type", k.Property)
		}
	}
	return c, pc.Position, nil
}
