package api

import (
	"bytes"
	"encoding/json"
	"net/http"

	"labmap/data"
)

// Feature schemas. /collections/{id}/schema is the OGC API Features Part 5
// schema of a collection: one flat object whose properties are the
// feature's, typed (rates numbers in [0, 1], counts integers, codes strings,
// the round a date) and with x-ogc-role for the id and the geometry.
// GDAL 3.6's OAPIF driver types its fields from a JSON Schema of the GeoJSON
// Feature instead (it reads properties.properties of the linked document,
// and only from a link whose rel is spelt "describedBy"), so the same
// properties are also served wrapped in a Feature, with ?profile=geojson.
// Every property has one type, never a list with "null": GDAL 3.6 reads a
// list as an unknown type and makes the field a string.

const (
	mediaSchema = "application/schema+json"
	// relSchema is Part 5's link relation to a collection's schema.
	relSchema = "http://www.opengis.net/def/rel/ogc/1.0/schema"
	// confSchemas is Part 5's conformance class. Newer QGIS (3.30 and
	// later) types a layer's fields from the relSchema link only when
	// /conformance declares it; QGIS 3.22 ignores both.
	confSchemas = "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas"
)

// schemaProperty is one property of a schema, kept in the order the
// features carry it so that clients create their fields in that order.
type schemaProperty struct {
	Name   string
	Schema map[string]any
}

// orderedProperties is a JSON object whose members keep their order.
type orderedProperties []schemaProperty

// MarshalJSON writes the members in order.
func (p orderedProperties) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.Name)
		v, err := json.Marshal(m.Schema)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// identityText titles and describes the properties before the indicators.
var identityText = map[string][2]data.Text{
	"code": {{ID: "Kode", EN: "Code"}, {ID: "Kode Kemendagri desa/kecamatan, id zona, atau indeks sel H3",
		EN: "Kemendagri village or district code, zone id, or H3 cell index"}},
	"name":          {{ID: "Nama", EN: "Name"}, {ID: "Nama wilayah", EN: "Area name"}},
	"district_code": {{ID: "Kode kecamatan", EN: "District code"}, {ID: "Kecamatan tempat desa berada", EN: "The kecamatan the village lies in"}},
	"kind":          {{ID: "Jenis zona", EN: "Zone kind"}, {ID: "urban, coastal atau forest", EN: "urban, coastal or forest"}},
	"res":           {{ID: "Resolusi H3", EN: "H3 resolution"}, {ID: "Resolusi sel H3", EN: "Resolution of the H3 cell"}},
	"zones": {{ID: "Zona laboratorium", EN: "Lab zones"}, {ID: "Id zona laboratorium kemiskinan tempat wilayah ini berada, menurut urutan zona",
		EN: "Ids of the poverty lab zones the area belongs to, in zone order"}},
	"round": {{ID: "Putaran survei", EN: "Survey round"}, {ID: "Tanggal putaran survei", EN: "Date of the survey round"}},
	"suppressed": {{ID: "Disembunyikan", EN: "Suppressed"}, {ID: "Kurang dari k rumah tangga: angka tidak ditampilkan",
		EN: "Fewer than k households: no figures are shown"}},
}

// featureSchemaProperties are the properties of a collection's features in
// output order, each with its JSON Schema.
func featureSchemaProperties(c collection, lang string) orderedProperties {
	var out orderedProperties
	for _, name := range data.PropertyNames(c.Level) {
		p := map[string]any{}
		if t, ok := identityText[name]; ok {
			p["title"], p["description"] = t[0].In(lang), t[1].In(lang)
		}
		switch name {
		case "code":
			p["type"], p["x-ogc-role"] = "string", "id"
		case "name", "district_code":
			p["type"] = "string"
		case "kind":
			p["type"], p["enum"] = "string", []data.ZoneKind{data.ZoneUrban, data.ZoneCoastal, data.ZoneForest}
		case "res":
			p["type"], p["minimum"], p["maximum"] = "integer", c.Res, c.Res
		case "zones":
			p["type"], p["items"] = "array", map[string]any{"type": "string"}
		case "round":
			p["type"], p["format"] = "string", "date"
		case "suppressed":
			p["type"] = "boolean"
		default:
			i := data.IndicatorIndex(name)
			if i < 0 {
				continue
			}
			ind := data.Indicators[i]
			p["title"], p["description"] = ind.Label.In(lang), ind.Description.In(lang)
			switch ind.Kind {
			case data.KindRate:
				p["type"], p["minimum"], p["maximum"] = "number", 0, 1
			case data.KindCount:
				p["type"], p["minimum"] = "integer", 0
			default:
				p["type"] = "string"
			}
			p["x-ogc-unit"] = string(ind.Unit)
		}
		out = append(out, schemaProperty{name, p})
	}
	return out
}

// geometrySchema is the schema of an area's outline.
func geometrySchema(c collection, lang string) map[string]any {
	format := "geometry-polygon-or-multipolygon"
	if c.Level == data.LevelHexagon {
		format = "geometry-polygon"
	}
	return map[string]any{"x-ogc-role": "primary-geometry", "format": format,
		"title": data.Text{ID: "Batas wilayah", EN: "Area outline"}.In(lang)}
}

// schemaLinks link a collection's schemas; describedby is written in both
// spellings because GDAL 3.6 compares the relation case-sensitively with
// "describedBy" (RFC 8288 relations are case-insensitive, so the two are
// one relation to any other client).
func schemaLinks(base string, c collection) []link {
	coll := base + "/collections/" + c.ID
	return []link{
		{coll + "/schema", relSchema, mediaSchema, "Schema of the features (OGC API Features Part 5)"},
		{coll + "/schema?profile=geojson", "describedby", mediaSchema, "JSON Schema of a GeoJSON feature"},
		{coll + "/schema?profile=geojson", "describedBy", mediaSchema, "JSON Schema of a GeoJSON feature (for GDAL)"},
	}
}

// schema answers /collections/{id}/schema: the Part 5 schema, or with
// profile=geojson the schema of one GeoJSON feature of the collection.
func (s *Server) schema(w http.ResponseWriter, r *http.Request) error {
	c, err := s.collectionOf(r)
	if err != nil {
		return err
	}
	lang, err := langOf(r)
	if err != nil {
		return err
	}
	for key := range r.URL.Query() {
		if key != "profile" && key != "lang" && key != "f" {
			return badRequest("parameter %s: unknown for a schema (profile, lang, f)", key)
		}
	}
	if f := r.URL.Query().Get("f"); f != "" && f != "json" {
		return badRequest("parameter f: %q is not json (a schema is JSON only)", f)
	}
	self := baseURL(r) + "/collections/" + c.ID + "/schema"
	props := featureSchemaProperties(c, lang)
	doc := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"type":        "object",
		"title":       c.Title.In(lang),
		"description": data.Text{ID: "Wilayah dengan kurang dari k rumah tangga hanya membawa suppressed = true", EN: "Areas with fewer than k households carry only suppressed = true"}.In(lang),
	}
	switch p := r.URL.Query().Get("profile"); p {
	case "":
		doc["$id"] = self
		doc["properties"] = append(props, schemaProperty{"geometry", geometrySchema(c, lang)})
	case "geojson":
		doc["$id"] = self + "?profile=geojson"
		doc["required"] = []string{"type", "geometry", "properties"}
		doc["properties"] = orderedProperties{
			{"type", map[string]any{"type": "string", "enum": []string{"Feature"}}},
			{"id", map[string]any{"type": "string", "x-ogc-role": "id"}},
			{"geometry", geometrySchema(c, lang)},
			{"properties", map[string]any{"type": "object", "properties": props}},
		}
	default:
		return badRequest("parameter profile: %q is not geojson (or absent, for the OGC API Features Part 5 schema)", p)
	}
	w.Header().Set("Content-Type", mediaSchema)
	return writeJSONBody(w, doc)
}
