// Package pack builds the offline meeting pack: a folder (or zip) that
// opens by double-clicking index.html, with no server and no network, and
// shows the web map of one lab zone or the whole region read-only, with the
// PDF report and a CSV of the villages beside it.
//
// It lives beside the report because it is the report's companion for the
// same audience (officials in a meeting room), and it composes the other
// parts rather than belonging to one: the report package for the PDF,
// tiles/archive for the PMTiles archive, and the HTTP API, whose own
// answers (/api/stats, /api/indicators, /api/rounds, /api/zones, styles,
// glyphs and the built web map) it stores verbatim so that the offline map
// shows exactly what the server would.
package pack

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"labmap/data"
	"labmap/report"
	"labmap/tiles"
	"labmap/tiles/archive"
)

// Zooms of the pack's tiles: the regency fills a screen at about 9, a
// village's streets show at 15; MapLibre overzooms past the last.
const (
	MinZoom = 8
	MaxZoom = 15
)

// Layers are the tile layers the pack carries: what the web map draws
// except the hexagons, whose figures change resolution with the zoom and
// would need every resolution's statistics in the pack.
const Layers = "villages,districts,zones"

// zoneMargin is the margin around a zone's box, as a fraction of its size.
const zoneMargin = 0.25

// webLayers are the layers of the web map's tile set (map.js TILE_LAYERS).
const webLayers = "hexagons,villages,districts,zones"

// glyphRanges are the label glyph blocks shipped: Latin, Latin-1 and Latin
// Extended cover the region's names; other blocks are drawn from nothing.
var glyphRanges = []string{"0-255", "256-511"}

// Options selects a pack.
type Options struct {
	// Zone is a lab zone id; "" or report.Regency is the whole region.
	Zone string
	// Round is the survey round shown; "" is the latest.
	Round data.Round
	// MinHouseholds is the suppression threshold k, for the report; 0 is
	// data.DefaultMinHouseholds.
	MinHouseholds int
}

// Source is where a pack's contents come from: the store, the server's
// HTTP handler (asked in-process, as the public), and its tile service.
type Source struct {
	Store data.Store
	API   http.Handler
	Tiles *tiles.Service
}

// File is one file of the pack.
type File struct {
	Name string
	Body []byte
}

// Pack is a built pack, ready to write as a folder or a zip.
type Pack struct {
	// Name is the pack's folder name, labmap-<zone>-<round>.
	Name  string
	Files []File
	// Tiles counts the tiles in its archive.
	Tiles archive.Stats
}

// ErrUnknownZone marks a zone the dataset lacks.
var ErrUnknownZone = errors.New("unknown zone")

// ErrInvalidOption marks a round the dataset lacks.
var ErrInvalidOption = errors.New("invalid option")

// Size is the total of the files' bytes.
func (p *Pack) Size() int64 {
	var n int64
	for _, f := range p.Files {
		n += int64(len(f.Body))
	}
	return n
}

// Build makes the pack of opt from src.
func Build(ctx context.Context, src Source, opt Options) (*Pack, error) {
	zone := opt.Zone
	if zone == report.Regency {
		zone = ""
	}
	b := &builder{src: src, ctx: ctx}
	rounds, err := src.Store.Rounds(ctx)
	if err != nil {
		return nil, err
	}
	if len(rounds) == 0 {
		return nil, fmt.Errorf("%w: the dataset has no survey rounds", ErrInvalidOption)
	}
	round := opt.Round
	if round == "" {
		round = rounds[len(rounds)-1].Round
	}
	baseline := rounds[0].Round
	for _, r := range rounds {
		if r.Baseline {
			baseline = r.Round
		}
	}
	zones, err := src.Store.Zones(ctx)
	if err != nil {
		return nil, err
	}
	if zone != "" && !hasZone(zones, zone) {
		return nil, fmt.Errorf("%w: %q (see /api/zones)", ErrUnknownZone, zone)
	}
	layers, err := tiles.ParseLayers(Layers)
	if err != nil {
		return nil, err
	}
	area := archive.Area{}
	if zone != "" {
		// A margin of a quarter of the zone's size each way: the map opens
		// with the zone in its surroundings, as the web map shows it.
		for _, z := range zones {
			if z.ID == zone {
				area.Bounds = z.Geometry.Bound().Pad(zoneMargin * max(z.Geometry.Bound().Right()-z.Geometry.Bound().Left(), z.Geometry.Bound().Top()-z.Geometry.Bound().Bottom()))
			}
		}
	}
	plan, err := archive.NewPlan(ctx, src.Store, layers, area, MinZoom, MaxZoom, round, "id")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOption, err)
	}
	var pm bytes.Buffer
	st, err := plan.Run(ctx, src.Tiles, archive.NewPMTiles(&pm, plan.Metadata))
	if err != nil {
		return nil, fmt.Errorf("pack tiles: %w", err)
	}

	d, err := b.data(round, baseline, zone, zones, plan)
	if err != nil {
		return nil, err
	}
	name := zone
	if name == "" {
		name = report.Regency
	}
	reportName := fmt.Sprintf("laporan-%s-%s.pdf", name, round)
	csvName := fmt.Sprintf("desa-%s-%s.csv", name, round)
	d["files"] = map[string]string{"report": reportName, "villages": csvName}
	dataJS, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}

	var pdf bytes.Buffer
	if err := report.WritePDF(ctx, src.Store, report.Options{Zone: opt.Zone, Round: round, Lang: "id", MinHouseholds: opt.MinHouseholds}, &pdf); err != nil {
		return nil, fmt.Errorf("pack report: %w", err)
	}
	csvQuery := url.Values{"f": {"csv"}, "limit": {"all"}, "round": {string(round)}}
	if zone != "" {
		csvQuery.Set("zone", zone)
	}
	csv, err := b.get("/collections/villages/items?" + csvQuery.Encode())
	if err != nil {
		return nil, err
	}

	p := &Pack{Name: fmt.Sprintf("labmap-%s-%s", name, round), Tiles: st}
	for _, f := range []struct{ name, path string }{
		{"index.html", "/web/offline.html"},
		{"maplibre-gl.js", "/web/maplibre-gl.js"},
		{"maplibre-gl.css", "/web/maplibre-gl.css"},
		{"app.css", "/web/app.css"},
		{"app.js", "/web/app.js"},
		{"offline.js", "/web/offline.js"},
	} {
		body, err := b.get(f.path)
		if err != nil {
			return nil, fmt.Errorf("%w (is the web map built? scripts/build-web)", err)
		}
		p.Files = append(p.Files, File{f.name, body})
	}
	p.Files = append(p.Files,
		File{"pack-data.js", append(append([]byte("window.LABMAP_PACK="), dataJS...), ";\n"...)},
		File{"pack-tiles.js", []byte("window.LABMAP_PACK_TILES=\"" + base64.StdEncoding.EncodeToString(pm.Bytes()) + "\";\n")},
		File{reportName, pdf.Bytes()},
		File{csvName, csv},
	)
	return p, nil
}

func hasZone(zones []data.Zone, id string) bool {
	for _, z := range zones {
		if z.ID == id {
			return true
		}
	}
	return false
}

// builder asks the API in-process.
type builder struct {
	src Source
	ctx context.Context
}

// get answers path as the server answers the public. The request gets a
// context of its own that only follows ctx's cancellation: ctx may carry
// the principal of whoever asked for the pack, and a pack is public.
func (b *builder) get(path string) ([]byte, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := context.AfterFunc(b.ctx, cancel)
	defer stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://pack.invalid"+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	b.src.API.ServeHTTP(rec, req)
	if err := b.ctx.Err(); err != nil {
		return nil, err
	}
	if rec.status != http.StatusOK {
		return nil, fmt.Errorf("pack: GET %s: %d %s", path, rec.status, strings.TrimSpace(rec.body.String()))
	}
	return rec.body.Bytes(), nil
}

func (b *builder) getJSON(path string) (json.RawMessage, error) {
	body, err := b.get(path)
	if err != nil {
		return nil, err
	}
	if !json.Valid(body) {
		return nil, fmt.Errorf("pack: GET %s: not JSON", path)
	}
	return body, nil
}

// data gathers what the offline page answers the app with (see
// api/web/src/offline.js and offlinekeys.js for the keys).
func (b *builder) data(round, baseline data.Round, zone string, zones []data.Zone, plan archive.Plan) (map[string]any, error) {
	d := map[string]any{"round": round, "zone": zone}
	var err error
	get := func(key, path string) {
		if err == nil {
			d[key], err = b.getJSON(path)
		}
	}
	get("config", "/web/config.json")
	get("rounds", "/api/rounds")
	get("zones", "/api/zones")
	var cfg struct {
		Fonts []string `json:"fonts"`
	}
	if err == nil {
		err = json.Unmarshal(d["config"].(json.RawMessage), &cfg)
	}
	if err != nil {
		return nil, err
	}
	// The page asks for glyphs where the config says; the pack's page
	// answers them from the pack under the same path.
	var config map[string]any
	if err := json.Unmarshal(d["config"].(json.RawMessage), &config); err != nil {
		return nil, err
	}
	config["glyphs"] = "labmap-pack://pack/fonts/{fontstack}/{range}.pbf"
	config["basemap"] = nil
	d["config"] = config

	indicators := map[string]json.RawMessage{}
	stats := map[string]json.RawMessage{}
	styles := map[string]any{}
	rounds := []data.Round{round}
	if baseline != round {
		rounds = append(rounds, baseline)
	}
	for _, lang := range []string{"id", "en"} {
		ind, err := b.getJSON("/api/indicators?lang=" + lang)
		if err != nil {
			return nil, err
		}
		indicators[lang] = ind
		for _, r := range rounds {
			for _, level := range []string{"regency", "district", "village"} {
				body, err := b.getJSON(fmt.Sprintf("/api/stats?level=%s&round=%s&lang=%s", level, r, lang))
				if err != nil {
					return nil, err
				}
				stats[statsKey(level, r, lang, "")] = body
			}
			for _, z := range zones {
				body, err := b.getJSON(fmt.Sprintf("/api/stats?level=zone&zone=%s&round=%s&lang=%s", url.QueryEscape(z.ID), r, lang))
				if err != nil {
					return nil, err
				}
				stats[statsKey("zone", r, lang, z.ID)] = body
			}
		}
		var reg struct {
			Indicators []struct {
				Key string `json:"key"`
			} `json:"indicators"`
		}
		if err := json.Unmarshal(ind, &reg); err != nil {
			return nil, fmt.Errorf("pack: /api/indicators: %w", err)
		}
		for _, i := range reg.Indicators {
			for _, layer := range []string{"villages", "districts"} {
				body, err := b.getJSON(fmt.Sprintf("/styles/%s.json?layer=%s&round=%s&lang=%s", i.Key, layer, round, lang))
				if err != nil {
					return nil, err
				}
				s, err := trimStyle(body)
				if err != nil {
					return nil, fmt.Errorf("pack: style %s: %w", i.Key, err)
				}
				styles[styleKey(i.Key, layer, lang)] = s
			}
		}
	}
	d["indicators"], d["stats"], d["styles"] = indicators, stats, styles

	// The TileJSON of every layer the web map's style names, so that its
	// hexagon layers validate; the pack's tiles simply hold none, and the
	// page offers only the levels in levels.
	tj, err := b.getJSON(fmt.Sprintf("/tiles/%s.json?round=%s", webLayers, round))
	if err != nil {
		return nil, err
	}
	var tilejson map[string]any
	if err := json.Unmarshal(tj, &tilejson); err != nil {
		return nil, err
	}
	bd := plan.Metadata.Bounds
	tilejson["bounds"] = []float64{bd.Min[0], bd.Min[1], bd.Max[0], bd.Max[1]}
	tilejson["minzoom"], tilejson["maxzoom"] = MinZoom, MaxZoom
	delete(tilejson, "tiles")
	d["tilejson"] = tilejson
	d["levels"] = []string{"villages", "districts"}

	glyphs := map[string]string{}
	for _, font := range cfg.Fonts {
		for _, rg := range glyphRanges {
			body, err := b.get("/fonts/" + url.PathEscape(font) + "/" + rg + ".pbf")
			if err != nil {
				return nil, err
			}
			glyphs[font+"/"+rg] = base64.StdEncoding.EncodeToString(body)
		}
	}
	d["glyphs"] = glyphs

	// The search flies to a village's bounding box.
	extent, err := b.src.Store.Extent(b.ctx)
	if err != nil {
		return nil, err
	}
	areas, err := b.src.Store.Areas(b.ctx, data.AreaQuery{StatsQuery: data.StatsQuery{Level: data.LevelVillage, Round: round}, Bound: extent})
	if err != nil {
		return nil, err
	}
	villages := map[string][4]float64{}
	for _, a := range areas {
		vb := a.Geometry.Bound()
		villages[a.Code] = [4]float64{vb.Min[0], vb.Min[1], vb.Max[0], vb.Max[1]}
	}
	d["villages"] = villages
	return d, nil
}

// trimStyle keeps what the web map reads from a style: the choropleth's
// paint (layer "areas") and the legend.
func trimStyle(body []byte) (map[string]any, error) {
	var s struct {
		Layers   []map[string]any           `json:"layers"`
		Metadata map[string]json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, err
	}
	out := map[string]any{"metadata": map[string]json.RawMessage{"labmap:legend": s.Metadata["labmap:legend"]}}
	for _, l := range s.Layers {
		if l["id"] == "areas" {
			out["layers"] = []map[string]any{l}
		}
	}
	if out["layers"] == nil {
		return nil, errors.New("no layer named areas")
	}
	return out, nil
}

// statsKey and styleKey are offlinekeys.js's packStatsKey and packStyleKey.
func statsKey(level string, round data.Round, lang, zone string) string {
	return level + "|" + string(round) + "|" + lang + "|" + zone
}

func styleKey(indicator, layer, lang string) string { return indicator + "|" + layer + "|" + lang }

// WriteDir writes the pack's files into dir, creating it.
func (p *Pack) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range p.Files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Body, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// WriteZip writes the pack as a zip whose files sit in one folder, p.Name,
// so that unpacking it gives the folder to open.
func (p *Pack) WriteZip(w io.Writer) error {
	zw := zip.NewWriter(w)
	for _, f := range p.Files {
		// Deflate wins back most of base64's third on the tiles, too.
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: p.Name + "/" + f.Name, Method: zip.Deflate})
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.Body); err != nil {
			return err
		}
	}
	return zw.Close()
}

// recorder keeps an in-process answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
