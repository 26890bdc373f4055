package api

import (
	"net/http"
	"slices"
	"sort"
	"strings"

	"labmap/data"
	"labmap/data/cql"
)

// openAPI is the OpenAPI 3.0 description of the OGC API. QGIS reads the
// page size only from components.parameters.limit (default and maximum), so
// limit is declared there and referenced, never inline.
func openAPI(base string, region regionJSON) map[string]any {
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/parameters/" + name} }
	str := map[string]any{"type": "string"}
	param := func(name, in, desc string, schema map[string]any) map[string]any {
		p := map[string]any{"name": name, "in": in, "description": desc, "schema": schema}
		if in == "path" {
			p["required"] = true
		} else {
			p["required"] = false
		}
		if name == "bbox" {
			p["style"], p["explode"] = "form", false
		}
		return p
	}
	jsonOK := func(desc, media string) map[string]any {
		return map[string]any{"200": map[string]any{"description": desc, "content": map[string]any{media: map[string]any{"schema": map[string]any{"type": "object"}}}},
			"400": map[string]any{"description": "A parameter is wrong; the JSON names it", "$ref": "#/components/responses/Error"},
			"503": map[string]any{"description": "The database is unreachable"}}
	}
	fmtParam := param("f", "query", "Format: json, html (and csv for items)", map[string]any{"type": "string", "enum": []string{"json", "html", "csv"}})
	collection := param("collectionId", "path", "Collection: zones, districts, villages, hexagons_r6 ... hexagons_r10", map[string]any{"type": "string",
		"enum": func() []string {
			var ids []string
			for _, c := range collections() {
				ids = append(ids, c.ID)
			}
			return ids
		}()})
	itemsParams := []any{ref("limit"), ref("offset"), ref("bbox"), ref("bbox-crs"), ref("crs"), ref("datetime"),
		param("round", "query", "Survey round (ISO date); default the latest", str),
		param("properties", "query", "Comma-separated properties to return", str),
		param("sortby", "query", "Comma-separated queryables, - for descending: -poverty_rate,code", str),
		param("filter", "query", "CQL2 text filter, e.g. poverty_rate > 0.3 AND zone = 'coastal-mulyorejo'", str),
		// cql2-text only: GDAL 3.6 sends its own CQL dialect when the enum
		// lists "cql-text", and then no longer turns a round -where into datetime.
		param("filter-lang", "query", "cql2-text", map[string]any{"type": "string", "enum": []string{"cql2-text"}}),
		param("filter-crs", "query", "CRS of geometry literals in filter (CRS84)", str),
		fmtParam}
	paths := map[string]any{
		"/":            map[string]any{"get": map[string]any{"summary": "Landing page", "operationId": "getLandingPage", "parameters": []any{fmtParam}, "responses": jsonOK("Landing page", mediaJSON)}},
		"/conformance": map[string]any{"get": map[string]any{"summary": "Conformance classes", "operationId": "getConformance", "parameters": []any{fmtParam}, "responses": jsonOK("Conformance", mediaJSON)}},
		"/collections": map[string]any{"get": map[string]any{"summary": "Collections", "operationId": "getCollections", "parameters": []any{fmtParam}, "responses": jsonOK("Collections", mediaJSON)}},
		"/collections/{collectionId}": map[string]any{"get": map[string]any{"summary": "A collection", "operationId": "describeCollection",
			"parameters": []any{collection, fmtParam}, "responses": jsonOK("Collection", mediaJSON)}},
		"/collections/{collectionId}/queryables": map[string]any{"get": map[string]any{"summary": "Queryables (JSON Schema)", "operationId": "getQueryables",
			"parameters": []any{collection}, "responses": jsonOK("Queryables", mediaSchema)}},
		"/collections/{collectionId}/schema": map[string]any{"get": map[string]any{"summary": "Schema of the features (JSON Schema; profile=geojson for a GeoJSON feature)", "operationId": "getSchema",
			"parameters": []any{collection, param("profile", "query", "geojson: the schema of one GeoJSON feature", map[string]any{"type": "string", "enum": []string{"geojson"}})},
			"responses":  jsonOK("Schema", mediaSchema)}},
		"/collections/{collectionId}/items": map[string]any{"get": map[string]any{
			"summary": "Features", "operationId": "getFeatures",
			"parameters": append([]any{collection}, itemsParams...),
			"responses":  jsonOK("A page of features; follow rel=next for more", mediaGeoJSON)}},
		"/collections/{collectionId}/items/{featureId}": map[string]any{"get": map[string]any{"summary": "One feature", "operationId": "getFeature",
			"parameters": []any{collection, param("featureId", "path", "Area code, zone id or H3 index", str), ref("crs"), fmtParam},
			"responses":  jsonOK("A feature", mediaGeoJSON)}},
	}
	// Each collection's items again, with its queryables as query
	// parameters (name=value filters): GDAL pushes a -where clause to the
	// server only for a field it finds among the parameters of the
	// collection's own items path.
	for _, c := range collections() {
		// Without round: GDAL takes a listed parameter named like a field
		// for a queryable, and then no longer turns round = 'A' into datetime.
		params := slices.DeleteFunc(slices.Clone(itemsParams), func(p any) bool {
			m, ok := p.(map[string]any)
			return ok && m["name"] == "round"
		})
		for _, q := range data.Queryables(c.Level) {
			if q.Type == cql.TypeGeometry {
				continue
			}
			t := map[cql.Type]string{cql.TypeNumber: "number", cql.TypeString: "string", cql.TypeBool: "boolean"}[q.Type]
			params = append(params, param(q.Name, "query", "Only features whose "+q.Name+" equals this: "+q.Description.EN, map[string]any{"type": t}))
		}
		paths["/collections/"+c.ID+"/items"] = map[string]any{"get": map[string]any{
			"summary": c.Title.EN, "operationId": "getFeatures_" + c.ID, "parameters": params,
			"responses": jsonOK("A page of features; follow rel=next for more", mediaGeoJSON)}}
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "labmap OGC API — Features",
			"version":     "1.0.0",
			"description": "Aggregated poverty-lab indicators of " + region.Name.EN + " per zone, district, village and H3 hexagon, per survey round. Areas with fewer than k households are suppressed.",
		},
		"servers": []any{map[string]any{"url": base}},
		"paths":   paths,
		"components": map[string]any{
			"parameters": map[string]any{
				"limit": map[string]any{"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "Features per page; limit=all (not an integer, so outside this schema) streams the whole collection in one response",
					"schema":      map[string]any{"type": "integer", "minimum": 1, "maximum": maxLimit, "default": defaultLimit}},
				"offset": map[string]any{"name": "offset", "in": "query", "required": false, "description": "Features to skip",
					"schema": map[string]any{"type": "integer", "minimum": 0, "default": 0}},
				"bbox": map[string]any{"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "minx,miny,maxx,maxy in bbox-crs (CRS84 by default)",
					"schema":      map[string]any{"type": "array", "minItems": 4, "maxItems": 4, "items": map[string]any{"type": "number"}}},
				"bbox-crs": map[string]any{"name": "bbox-crs", "in": "query", "required": false, "schema": map[string]any{"type": "string", "format": "uri", "enum": crsURIs}},
				"crs":      map[string]any{"name": "crs", "in": "query", "required": false, "schema": map[string]any{"type": "string", "format": "uri", "enum": crsURIs}},
				"datetime": map[string]any{"name": "datetime", "in": "query", "required": false,
					"description": "A survey round date, or an interval (a/b, ../b, a/.., a/, /b) whose latest round is shown; date-times (2017-12-01T, 2017-12-01T00:00:00Z, +07:00) count by the date written", "schema": str},
			},
			"responses": map[string]any{"Error": map[string]any{"description": "Error", "content": map[string]any{mediaJSON: map[string]any{"schema": map[string]any{
				"type": "object", "properties": map[string]any{"error": str, "status": map[string]any{"type": "integer"}}}}}}},
		},
	}
}

func (s *Server) apiDoc(w http.ResponseWriter, r *http.Request) error {
	if f, err := format(r, "json", "html"); err != nil {
		return err
	} else if f == "html" {
		return s.apiHTML(w, r)
	}
	reg, err := s.region(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", mediaOpenAPI)
	return writeJSONBody(w, openAPI(baseURL(r), reg))
}

func (s *Server) apiHTML(w http.ResponseWriter, r *http.Request) error {
	reg, err := s.region(r)
	if err != nil {
		return err
	}
	doc := openAPI(baseURL(r), reg)
	var paths []string
	for p := range doc["paths"].(map[string]any) {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var sb strings.Builder
	sb.WriteString("<ul>")
	for _, p := range paths {
		op := doc["paths"].(map[string]any)[p].(map[string]any)["get"].(map[string]any)
		sb.WriteString("<li><code>GET " + p + "</code> — " + op["summary"].(string) + "</li>")
	}
	sb.WriteString("</ul><p>Items: <code>limit</code> (default 100, at most 10000), <code>offset</code>, <code>bbox</code>, <code>bbox-crs</code>, <code>crs</code>, <code>datetime</code>/<code>round</code>, <code>properties</code>, <code>sortby</code>, <code>filter</code> (CQL2 text), and <code>name=value</code> for any queryable. <a href=\"/api\">OpenAPI document</a>.</p>")
	return s.renderHTML(w, "apidoc", map[string]any{"Body": sb.String()})
}
