package api

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strings"

	"labmap/data"

	"github.com/paulmach/orb"
)

// The HTML pages are plain and readable without JavaScript: tables of
// properties and a small SVG map drawn on the server.

var htmlPages = template.Must(template.New("pages").Funcs(template.FuncMap{
	"lower": strings.ToLower,
}).Parse(`
{{define "head"}}<!doctype html><html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} — labmap</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:70rem;padding:0 1rem;color:#222}
h1{font-size:1.4rem}a{color:#0b5394}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}nav{margin-bottom:1rem;font-size:.9rem}
svg{border:1px solid #ccc;background:#f4f1ea}.muted{color:#666}
</style></head><body><nav><a href="/?f=html">labmap</a> · <a href="/collections?f=html">collections</a> · <a href="/api.html">API</a></nav>{{end}}
{{define "foot"}}</body></html>{{end}}

{{define "index"}}{{template "head" "OGC API"}}<h1>{{index .Doc "title"}}</h1><p>{{index .Doc "description"}}</p>
<ul>{{range index .Doc "links"}}<li><a href="{{.Href}}">{{.Title}}</a> <span class="muted">({{.Rel}}, {{.Type}})</span></li>{{end}}</ul>
<h2>Collections</h2><ul>{{range .Collections}}<li><a href="/collections/{{.ID}}/items?f=html">{{.Title.ID}}</a> <span class="muted">{{.ID}}</span></li>{{end}}</ul>{{template "foot"}}{{end}}

{{define "apidoc"}}{{template "head" "API"}}<h1>labmap OGC API — Features</h1>{{.Body}}{{template "foot"}}{{end}}

{{define "conformance"}}{{template "head" "Conformance"}}<h1>Conformance</h1><ul>{{range index . "conformsTo"}}<li>{{.}}</li>{{end}}</ul>{{template "foot"}}{{end}}

{{define "collections"}}{{template "head" "Collections"}}<h1>Collections</h1><table><tr><th>id</th><th>title</th><th>items</th></tr>
{{range index . "collections"}}<tr><td>{{index . "id"}}</td><td><a href="/collections/{{index . "id"}}?f=html">{{index . "title"}}</a></td>
<td><a href="/collections/{{index . "id"}}/items?f=html">HTML</a> · <a href="/collections/{{index . "id"}}/items">GeoJSON</a> · <a href="/collections/{{index . "id"}}/items?f=csv">CSV</a></td></tr>{{end}}</table>{{template "foot"}}{{end}}

{{define "collection"}}{{template "head" (index . "title")}}<h1>{{index . "title"}}</h1><p>{{index . "description"}}</p>
<p>Items: <a href="/collections/{{index . "id"}}/items?f=html">HTML</a> · <a href="/collections/{{index . "id"}}/items">GeoJSON</a> · <a href="/collections/{{index . "id"}}/items?f=csv">CSV</a> · <a href="/collections/{{index . "id"}}/queryables">queryables</a></p>{{template "foot"}}{{end}}

{{define "items"}}{{template "head" .Title}}<h1>{{.Title}}</h1>
<p>{{.Returned}} of {{.Matched}} features{{if .Round}}, round {{.Round}}{{end}}.
{{range .Links}}{{if or (eq .Rel "prev") (eq .Rel "next")}} <a href="{{.Href}}">{{.Rel}}</a>{{end}}{{end}}</p>
{{.Map}}
<table><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>{{range .Rows}}<tr>{{range .}}<td{{if .Num}} class="num"{{end}}>{{if .Href}}<a href="{{.Href}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}</td>{{end}}</tr>{{end}}</table>{{template "foot"}}{{end}}

{{define "item"}}{{template "head" .Title}}<h1>{{.Title}}</h1>{{.Map}}
<table>{{range .Rows}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table>
<p><a href="{{.Collection}}">{{.CollectionTitle}}</a> · <a href="?f=json">GeoJSON</a></p>{{template "foot"}}{{end}}
`))

func (s *Server) renderHTML(w http.ResponseWriter, page string, v any) error {
	var buf bytes.Buffer
	if m, ok := v.(map[string]any); ok {
		if b, ok := m["Body"].(string); ok {
			m["Body"] = template.HTML(b) // built above from our own constants only
		}
	}
	if err := htmlPages.ExecuteTemplate(&buf, page, v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", ogcPagePolicy)
	_, err := w.Write(buf.Bytes())
	return err
}

type htmlCell struct {
	Text string
	Href string
	Num  bool
}

// svgMap draws the outlines in a 480x320 box, suppressed areas grey and the
// rest shaded by poverty rate, so a page shows where its features are.
func svgMap(areas []*data.Area) template.HTML {
	var b orb.Bound
	first := true
	for _, a := range areas {
		if len(a.Geometry) == 0 {
			continue
		}
		if first {
			b, first = a.Geometry.Bound(), false
		} else {
			b = b.Union(a.Geometry.Bound())
		}
	}
	if first {
		return ""
	}
	const w, h = 480.0, 320.0
	dx, dy := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	scale := math.Min(w/math.Max(dx, 1e-9), h/math.Max(dy, 1e-9)) * 0.95
	ox := (w - dx*scale) / 2
	oy := (h - dy*scale) / 2
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="map">`, int(w), int(h), int(w), int(h))
	pr := data.IndicatorIndex("poverty_rate")
	for _, a := range areas {
		fill := "#bdbdbd"
		if !a.Suppressed && a.Values[pr].Valid {
			t := math.Min(a.Values[pr].Number/0.3, 1)
			fill = fmt.Sprintf("rgb(255,%d,%d)", int(255-t*200), int(255-t*230))
		}
		sb.WriteString(`<path fill-rule="evenodd" stroke="#555" stroke-width="0.5" fill="` + fill + `" d="`)
		for _, p := range a.Geometry {
			for _, r := range p {
				for i, pt := range r {
					x := ox + (pt[0]-b.Min[0])*scale
					y := h - oy - (pt[1]-b.Min[1])*scale
					if i == 0 {
						fmt.Fprintf(&sb, "M%.1f %.1f", x, y)
					} else {
						fmt.Fprintf(&sb, "L%.1f %.1f", x, y)
					}
				}
				sb.WriteString("Z")
			}
		}
		sb.WriteString(`"><title>` + template.HTMLEscapeString(a.Name+" ("+a.Code+")") + `</title></path>`)
	}
	sb.WriteString("</svg>")
	return template.HTML(sb.String())
}

func (s *Server) itemsHTML(w http.ResponseWriter, r *http.Request, fs data.FeatureStore, c collection, req *itemsRequest) error {
	var areas []*data.Area
	matched, err := fs.Features(r.Context(), req.q, func(a *data.Area) error {
		cp := *a
		areas = append(areas, &cp)
		return nil
	})
	if err != nil {
		return err
	}
	cols := []string{}
	for _, n := range data.PropertyNames(c.Level) {
		if wanted(req, n) {
			cols = append(cols, n)
		}
	}
	var rows [][]htmlCell
	for _, a := range areas {
		var row []htmlCell
		for _, n := range cols {
			v, ok := propertyValue(a, req, n)
			cell := htmlCell{Text: csvValue(v, ok)}
			if _, isNum := v.(float64); isNum {
				cell.Num = true
			}
			if n == "code" {
				cell.Href = "/collections/" + c.ID + "/items/" + a.Code + "?f=html"
			}
			row = append(row, cell)
		}
		rows = append(rows, row)
	}
	round := ""
	if len(areas) > 0 {
		round = string(areas[0].Round)
	}
	return s.renderHTML(w, "items", map[string]any{
		"Title": c.Title.In(req.lang), "Matched": matched, "Returned": len(areas), "Round": round,
		"Links": pageLinks(r, req, len(areas), matched), "Map": svgMap(areas), "Columns": cols, "Rows": rows,
	})
}

func (s *Server) itemHTML(w http.ResponseWriter, r *http.Request, c collection, req *itemsRequest, a *data.Area) error {
	var rows [][2]string
	for _, n := range data.PropertyNames(c.Level) {
		if v, ok := propertyValue(a, req, n); ok && wanted(req, n) {
			label := n
			if i := data.IndicatorIndex(n); i >= 0 {
				label = data.Indicators[i].Label.In(req.lang) + " (" + n + ")"
			}
			rows = append(rows, [2]string{label, csvValue(v, true)})
		}
	}
	return s.renderHTML(w, "item", map[string]any{
		"Title": a.Name + " (" + a.Code + ")", "Map": svgMap([]*data.Area{a}), "Rows": rows,
		"Collection": "/collections/" + c.ID + "/items?f=html", "CollectionTitle": c.Title.In(req.lang),
	})
}
