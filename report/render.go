package report

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strconv"
	"strings"

	"labmap/data"
	"labmap/geo"
	"labmap/tiles"

	"github.com/paulmach/orb"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Colours of the map's furniture (the area colours come from tiles).
var (
	colBackground = color.RGBA{0xff, 0xff, 0xff, 0xff}
	colMapGround  = color.RGBA{0xf4, 0xf4, 0xf0, 0xff}
	colInk        = color.RGBA{0x22, 0x22, 0x22, 0xff}
	colMuted      = color.RGBA{0x66, 0x66, 0x66, 0xff}
	colEdge       = color.RGBA{0xff, 0xff, 0xff, 0xff}
	colHatch      = color.RGBA{0x5a, 0x5a, 0x5a, 0xff}
	colInsetLand  = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	colInsetZone  = color.RGBA{0xc5, 0x1b, 0x7d, 0xff}
)

// hexColour parses a style colour "#rrggbb".
func hexColour(s string) color.RGBA {
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "#"), 16, 32)
	if err != nil || len(s) != 7 {
		return color.RGBA{0xff, 0x00, 0xff, 0xff} // magenta: a bad palette entry shows, never hides
	}
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}
}

// frame projects longitude/latitude into a pixel rectangle in Web Mercator,
// the projection of the tiles, fitted and centred.
type frame struct {
	rect   image.Rectangle
	bound  orb.Bound // projected (metres)
	scale  float64   // pixels per projected metre
	ox, oy float64   // pixel of bound.Min.X, bound.Max.Y
}

func mercator(p orb.Point) orb.Point {
	const r = 6378137.0
	lat := math.Max(-85, math.Min(85, p[1]))
	return orb.Point{r * p[0] * math.Pi / 180, r * math.Log(math.Tan(math.Pi/4+lat*math.Pi/360))}
}

// newFrame fits b (longitude/latitude) into rect with pad pixels to spare.
func newFrame(b orb.Bound, rect image.Rectangle, pad float64) frame {
	pb := orb.Bound{Min: mercator(b.Min), Max: mercator(b.Max)}
	w, h := pb.Max[0]-pb.Min[0], pb.Max[1]-pb.Min[1]
	avW, avH := float64(rect.Dx())-2*pad, float64(rect.Dy())-2*pad
	s := math.Min(avW/math.Max(w, 1), avH/math.Max(h, 1))
	f := frame{rect: rect, bound: pb, scale: s}
	f.ox = float64(rect.Min.X) + (float64(rect.Dx())-w*s)/2
	f.oy = float64(rect.Min.Y) + (float64(rect.Dy())-h*s)/2
	return f
}

// pixel is where p (longitude/latitude) lies in the image.
func (f frame) pixel(p orb.Point) (x, y float64) {
	m := mercator(p)
	return f.ox + (m[0]-f.bound.Min[0])*f.scale, f.oy + (f.bound.Max[1]-m[1])*f.scale
}

// metresPerPixel is the ground distance of one pixel at the frame's centre.
func (f frame) metresPerPixel() float64 {
	cy := (f.bound.Min[1] + f.bound.Max[1]) / 2
	lat := 2*math.Atan(math.Exp(cy/6378137.0)) - math.Pi/2
	return math.Cos(lat) / f.scale
}

// painter draws filled paths onto an image, each rasterised only over its
// own pixel bounds (a rasteriser's cost is its area, not its path's).
type painter struct {
	img *image.RGBA
	r   vector.Rasterizer
}

// path is a set of closed rings in pixels.
type path [][][2]float64

func (pt *painter) fill(p path, src image.Image) {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, ring := range p {
		for _, q := range ring {
			minX, minY = math.Min(minX, q[0]), math.Min(minY, q[1])
			maxX, maxY = math.Max(maxX, q[0]), math.Max(maxY, q[1])
		}
	}
	bounds := image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX))+1, int(math.Ceil(maxY))+1).Intersect(pt.img.Bounds())
	if bounds.Empty() {
		return
	}
	pt.r.Reset(bounds.Dx(), bounds.Dy())
	pt.r.DrawOp = draw.Over
	x0, y0 := float64(bounds.Min.X), float64(bounds.Min.Y)
	for _, ring := range p {
		if len(ring) < 3 {
			continue
		}
		pt.r.MoveTo(float32(ring[0][0]-x0), float32(ring[0][1]-y0))
		for _, q := range ring[1:] {
			pt.r.LineTo(float32(q[0]-x0), float32(q[1]-y0))
		}
		pt.r.ClosePath()
	}
	pt.r.Draw(pt.img, bounds, src, bounds.Min)
}

// stroke draws the segments of lines (open polylines) width pixels wide,
// as one quad per segment, all wound alike so that overlaps do not cancel.
func (pt *painter) stroke(lines [][][2]float64, width float64, c color.Color) {
	var p path
	hw := width / 2
	for _, l := range lines {
		for i := 1; i < len(l); i++ {
			a, b := l[i-1], l[i]
			dx, dy := b[0]-a[0], b[1]-a[1]
			n := math.Hypot(dx, dy)
			if n == 0 {
				continue
			}
			// Extend each segment by half the width so that joins close.
			ux, uy := dx/n*hw, dy/n*hw
			nx, ny := -uy, ux
			p = append(p, [][2]float64{
				{a[0] - ux + nx, a[1] - uy + ny}, {b[0] + ux + nx, b[1] + uy + ny},
				{b[0] + ux - nx, b[1] + uy - ny}, {a[0] - ux - nx, a[1] - uy - ny},
			})
		}
	}
	if len(p) > 0 {
		pt.fill(p, image.NewUniform(c))
	}
}

func (pt *painter) rect(r image.Rectangle, c color.Color) {
	draw.Draw(pt.img, r, image.NewUniform(c), image.Point{}, draw.Over)
}

// rings is a multipolygon's rings in pixels, exterior rings wound one way
// and holes the other, so that the rasteriser's winding rule leaves holes
// empty whatever the source's orientation.
func (f frame) rings(mp orb.MultiPolygon) path {
	var p path
	for _, poly := range mp {
		for i, ring := range poly {
			pix := make([][2]float64, len(ring))
			for j, q := range ring {
				x, y := f.pixel(q)
				pix[j] = [2]float64{x, y}
			}
			if (signedArea(pix) > 0) != (i == 0) {
				for a, b := 0, len(pix)-1; a < b; a, b = a+1, b-1 {
					pix[a], pix[b] = pix[b], pix[a]
				}
			}
			p = append(p, pix)
		}
	}
	return p
}

func signedArea(r [][2]float64) float64 {
	var s float64
	for i := range r {
		j := (i + 1) % len(r)
		s += r[i][0]*r[j][1] - r[j][0]*r[i][1]
	}
	return s / 2
}

// hatch is the withheld pattern of the web map's legend: dark diagonal
// stripes on the no-value grey.
type hatch struct {
	period, width int
	bg, fg        color.RGBA
}

func (h hatch) ColorModel() color.Model { return color.RGBAModel }
func (h hatch) Bounds() image.Rectangle {
	return image.Rect(-1e9, -1e9, 1e9, 1e9)
}
func (h hatch) At(x, y int) color.Color {
	if ((x+y)%h.period+h.period)%h.period < h.width {
		return h.fg
	}
	return h.bg
}

// fonts are the Go fonts at the sizes one map uses.
type fonts struct {
	regular, bold *opentype.Font
	faces         map[[2]int]font.Face
}

func newFonts() (*fonts, error) {
	reg, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("report: Go Regular: %w", err)
	}
	bold, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("report: Go Bold: %w", err)
	}
	return &fonts{regular: reg, bold: bold, faces: map[[2]int]font.Face{}}, nil
}

// face is the regular or bold face at size pixels.
func (fs *fonts) face(size float64, bold bool) font.Face {
	key := [2]int{int(math.Round(size * 4)), 0}
	f := fs.regular
	if bold {
		key[1], f = 1, fs.bold
	}
	if face, ok := fs.faces[key]; ok {
		return face
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: float64(key[0]) / 4, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		// Parsed fonts at a positive size do not fail; fall back to the
		// smallest face rather than lose the map.
		face, _ = opentype.NewFace(fs.regular, &opentype.FaceOptions{Size: 10, DPI: 72})
	}
	fs.faces[key] = face
	return face
}

func textWidth(face font.Face, s string) float64 {
	return float64(font.MeasureString(face, s)) / 64
}

// text draws s with its baseline's left end at x, y; a halo (white, halo
// pixels wide) keeps it readable over any fill.
func (pt *painter) text(face font.Face, s string, x, y float64, c color.Color, halo float64) {
	d := font.Drawer{Dst: pt.img, Face: face}
	if halo > 0 {
		d.Src = image.NewUniform(colBackground)
		for _, o := range [][2]float64{{-1, -1}, {0, -1}, {1, -1}, {-1, 0}, {1, 0}, {-1, 1}, {0, 1}, {1, 1}} {
			d.Dot = fixed.Point26_6{X: fixed.Int26_6((x + o[0]*halo) * 64), Y: fixed.Int26_6((y + o[1]*halo) * 64)}
			d.DrawString(s)
		}
	}
	d.Src = image.NewUniform(c)
	d.Dot = fixed.Point26_6{X: fixed.Int26_6(x * 64), Y: fixed.Int26_6(y * 64)}
	d.DrawString(s)
}

// fillOf is how an area is filled on the map: its class's colour, the
// suppressed grey, the withheld hatch, or the no-value grey.
func (m *model) fillOf(a *data.AreaStats) image.Image {
	if a.Suppressed {
		return image.NewUniform(hexColour(tiles.ColourSuppressed))
	}
	i := data.IndicatorIndex(m.indicator.Key)
	if i < 0 || i >= len(a.Values) {
		return image.NewUniform(hexColour(tiles.ColourNoValue))
	}
	v := a.Values[i]
	if v.Withheld {
		return hatch{period: 8, width: 2, bg: hexColour(tiles.ColourNoValue), fg: colHatch}
	}
	if !v.Valid {
		return image.NewUniform(hexColour(tiles.ColourNoValue))
	}
	if e, ok := classOf(m.ch, m.indicator, v); ok {
		return image.NewUniform(hexColour(e.Colour))
	}
	return image.NewUniform(hexColour(tiles.ColourNoValue))
}

// classOf finds the legend class of a published value, with the bounds the
// styles compare with: from inclusive, to exclusive.
func classOf(ch tiles.Choropleth, ind data.Indicator, v data.Value) (tiles.LegendEntry, bool) {
	for _, e := range ch.Legend {
		if ind.Kind == data.KindCategory {
			if e.Value == v.Text {
				return e, true
			}
			continue
		}
		if (e.From == nil || v.Number >= *e.From) && (e.To == nil || v.Number < *e.To) {
			return e, true
		}
	}
	return tiles.LegendEntry{}, false
}

// mapLayout is where the parts of a map image go.
type mapLayout struct {
	width, height int
	unit          float64 // a size unit: a hundredth of the shorter side
	header        bool
	mapRect       image.Rectangle
	panel         image.Rectangle
}

func newMapLayout(width, height int, header bool) mapLayout {
	u := math.Max(float64(min(width, height))/100, 2)
	l := mapLayout{width: width, height: height, unit: u, header: header}
	top := int(math.Round(u))
	if header {
		top = int(math.Round(8 * u))
	}
	footer := int(math.Round(4 * u))
	panelW := int(math.Round(math.Max(float64(width)*0.27, 30*u)))
	if panelW > width/2 {
		panelW = width / 2
	}
	l.mapRect = image.Rect(int(u), top, width-panelW, height-footer)
	l.panel = image.Rect(width-panelW+int(u), top, width-int(u), height-footer)
	return l
}

// mapFrame is the projection of a map of the model in layout l.
func (m *model) mapFrame(l mapLayout) frame {
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, a := range m.villages {
		b = b.Union(a.Geometry.Bound())
	}
	if len(m.villages) == 0 {
		b = orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}
	}
	return newFrame(b, l.mapRect, 2*l.unit)
}

// renderMap draws the model's map in width × height pixels; header adds the
// title and round above it (the PDF prints its own).
func (m *model) renderMap(width, height int, header bool) (*image.RGBA, error) {
	fs, err := newFonts()
	if err != nil {
		return nil, err
	}
	l := newMapLayout(width, height, header)
	u := l.unit
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	pt := &painter{img: img}
	pt.rect(img.Bounds(), colBackground)
	pt.rect(l.mapRect, colMapGround)
	f := m.mapFrame(l)

	// Clip the map's drawing to its rectangle by drawing into a sub-image.
	sub := &painter{img: img.SubImage(l.mapRect).(*image.RGBA)}
	var edges [][][2]float64
	for i := range m.villages {
		a := &m.villages[i]
		rings := f.rings(a.Geometry)
		sub.fill(rings, m.fillOf(&a.AreaStats))
		for _, r := range rings {
			edges = append(edges, append(r, r[0]))
		}
	}
	sub.stroke(edges, math.Max(u*0.12, 1), colEdge)
	m.drawZoneOutlines(sub, f, u)
	m.drawLabels(sub, fs, f, u)
	m.drawScaleBar(pt, fs, f, l)
	m.drawNorthArrow(pt, fs, l)
	if header {
		pt.text(fs.face(3*u, true), m.title(), u, 3.6*u, colInk, 0)
		pt.text(fs.face(2*u, false), m.subtitle(), u, 6.4*u, colMuted, 0)
	}
	y := m.drawLegend(pt, fs, l)
	if m.zone != nil {
		m.drawInset(pt, l, y+u)
	}
	pt.text(fs.face(1.5*u, false), m.sourceLine(), u, float64(height)-1.4*u, colMuted, 0)
	return img, nil
}

// title names the map: the indicator over the zone or region.
func (m *model) title() string {
	return m.indicator.Label.In(m.lang) + " — " + m.placeName()
}

// placeName is the zone's name with its kind, or the region's name.
func (m *model) placeName() string {
	if m.zone == nil {
		return m.region.Name.In(m.lang)
	}
	return fmt.Sprintf("%s (%s, %s)", m.zone.Name, text(m.lang, "zone"), text(m.lang, string(m.zone.Kind)))
}

// subtitle is the round in words and, for synthetic data, the short notice.
func (m *model) subtitle() string {
	s := text(m.lang, "surveyRound") + ": " + FormatRound(m.round, m.lang)
	if m.synthetic {
		s += " · " + text(m.lang, "syntheticShort")
	}
	return s
}

func (m *model) sourceLine() string {
	s := text(m.lang, "source") + ": " + m.region.Source
	if m.region.Source == "" {
		s = "labmap"
	} else {
		s += " · labmap"
	}
	return s
}

func (m *model) drawZoneOutlines(pt *painter, f frame, u float64) {
	for _, z := range m.zoneOutlines {
		var lines [][][2]float64
		for _, r := range f.rings(z.outline) {
			lines = append(lines, append(r, r[0]))
		}
		colour := colInk
		for _, zc := range tiles.ZoneColours() {
			if zc.Kind == string(z.kind) {
				colour = hexColour(zc.Colour)
			}
		}
		pt.stroke(lines, math.Max(u*0.7, 2), colBackground)
		pt.stroke(lines, math.Max(u*0.35, 1), colour)
	}
}

func (m *model) drawLabels(pt *painter, fs *fonts, f frame, u float64) {
	face := fs.face(math.Max(1.25*u, 9), false)
	var placed []image.Rectangle
	for _, a := range m.villages {
		p, ok := geo.PointOnSurface(a.Geometry)
		if !ok {
			continue
		}
		x, y := f.pixel(p)
		w := textWidth(face, a.Name)
		h := 1.25 * u
		r := image.Rect(int(x-w/2), int(y-h/2), int(x+w/2), int(y+h/2)).Inset(-int(u / 3))
		if !r.In(pt.img.Bounds()) {
			continue
		}
		collide := false
		for _, q := range placed {
			if q.Overlaps(r) {
				collide = true
				break
			}
		}
		if collide {
			continue
		}
		placed = append(placed, r)
		pt.text(face, a.Name, x-w/2, y+h*0.35, colInk, math.Max(u*0.12, 1))
	}
}

// niceLength rounds a distance in metres down to 1, 2 or 5 times a power of ten.
func niceLength(m float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(m)))
	for _, k := range []float64{5, 2, 1} {
		if k*p <= m {
			return k * p
		}
	}
	return p
}

func (m *model) drawScaleBar(pt *painter, fs *fonts, f frame, l mapLayout) {
	u := l.unit
	mpp := f.metresPerPixel()
	length := niceLength(float64(l.mapRect.Dx()) * 0.2 * mpp)
	px := length / mpp
	x0 := float64(l.mapRect.Min.X) + 1.5*u
	y0 := float64(l.mapRect.Max.Y) - 1.5*u
	pt.rect(image.Rect(int(x0-u/2), int(y0-2.8*u), int(x0+px+u*5), int(y0+u/2)), color.RGBA{0xcc, 0xcc, 0xcc, 0xcc})
	pt.rect(image.Rect(int(x0), int(y0-u*0.5), int(x0+px/2), int(y0)), colInk)
	pt.rect(image.Rect(int(x0+px/2), int(y0-u*0.5), int(x0+px), int(y0)), colMuted)
	label := strconv.FormatFloat(length, 'f', -1, 64) + " m"
	if length >= 1000 {
		label = strconv.FormatFloat(length/1000, 'f', -1, 64) + " km"
	}
	pt.text(fs.face(1.4*u, false), "0", x0-0.3*u, y0-0.9*u, colInk, 0)
	pt.text(fs.face(1.4*u, false), label, x0+px-0.5*u, y0-0.9*u, colInk, 0)
}

func (m *model) drawNorthArrow(pt *painter, fs *fonts, l mapLayout) {
	u := l.unit
	cx := float64(l.mapRect.Max.X) - 3*u
	top := float64(l.mapRect.Min.Y) + 2*u
	h := 4 * u
	pt.fill(path{{{cx, top}, {cx + 1.2*u, top + h}, {cx, top + h*0.75}}}, image.NewUniform(colInk))
	pt.fill(path{{{cx, top}, {cx, top + h*0.75}, {cx - 1.2*u, top + h}}}, image.NewUniform(colMuted))
	face := fs.face(1.8*u, true)
	n := text(m.lang, "north")
	pt.text(face, n, cx-textWidth(face, n)/2, top+h+2*u, colInk, math.Max(u*0.12, 1))
}

// legendRow is one row of the legend: a swatch and its label.
type legendRow struct {
	fill    image.Image
	outline color.Color
	label   string
}

func (m *model) legendRows() []legendRow {
	var rows []legendRow
	for _, e := range m.ch.Legend {
		rows = append(rows, legendRow{fill: image.NewUniform(hexColour(e.Colour)), label: e.Label})
	}
	k := strconv.Itoa(m.k)
	rows = append(rows, legendRow{fill: image.NewUniform(hexColour(tiles.ColourSuppressed)), label: strings.ReplaceAll(text(m.lang, "suppressed"), "{k}", k)})
	if m.indicator.Sensitive {
		rows = append(rows, legendRow{fill: hatch{period: 8, width: 2, bg: hexColour(tiles.ColourNoValue), fg: colHatch}, label: strings.ReplaceAll(text(m.lang, "withheld"), "{k}", k)})
	}
	rows = append(rows, legendRow{fill: image.NewUniform(hexColour(tiles.ColourNoValue)), label: text(m.lang, "noValue")})
	if len(m.zoneOutlines) > 0 {
		rows = append(rows, legendRow{outline: colInk, label: text(m.lang, "zoneOutline")})
	}
	return rows
}

// unitLabel names the indicator's unit for the legend.
func (m *model) unitLabel() string {
	return text(m.lang, "unit_"+string(m.indicator.Unit))
}

// drawLegend draws the legend in the panel and returns the y below it.
func (m *model) drawLegend(pt *painter, fs *fonts, l mapLayout) float64 {
	u := l.unit
	x := float64(l.panel.Min.X)
	y := float64(l.panel.Min.Y) + 2*u
	maxW := float64(l.panel.Dx())
	pt.text(fs.face(1.9*u, true), text(m.lang, "legend"), x, y, colInk, 0)
	y += 2.4 * u
	for _, line := range wrap(fs.face(1.5*u, false), m.indicator.Label.In(m.lang)+" ("+m.unitLabel()+")", maxW) {
		pt.text(fs.face(1.5*u, false), line, x, y, colMuted, 0)
		y += 1.9 * u
	}
	y += 0.4 * u
	face := fs.face(1.45*u, false)
	sw := 2.4 * u
	for _, r := range m.legendRows() {
		lines := wrap(face, r.label, maxW-sw-u)
		box := image.Rect(int(x), int(y-1.4*u), int(x+sw), int(y-1.4*u+1.6*u))
		if r.outline != nil {
			pt.rect(box, colBackground)
			pt.stroke([][][2]float64{{{x, y - 0.6*u}, {x + sw, y - 0.6*u}}}, math.Max(u*0.3, 1), r.outline)
		} else {
			pt.fill(path{{{float64(box.Min.X), float64(box.Min.Y)}, {float64(box.Max.X), float64(box.Min.Y)}, {float64(box.Max.X), float64(box.Max.Y)}, {float64(box.Min.X), float64(box.Max.Y)}}}, r.fill)
		}
		for _, line := range lines {
			pt.text(face, line, x+sw+u*0.8, y, colInk, 0)
			y += 1.8 * u
		}
		y += 0.4 * u
	}
	return y
}

// wrap breaks s into lines no wider than w.
func wrap(face font.Face, s string, w float64) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		try := word
		if line != "" {
			try = line + " " + word
		}
		if line != "" && textWidth(face, try) > w {
			lines = append(lines, line)
			line = word
			continue
		}
		line = try
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// drawInset draws the regency's districts with the zone marked, below the
// legend, as far down as the panel allows.
func (m *model) drawInset(pt *painter, l mapLayout, y float64) {
	u := l.unit
	top := int(y)
	r := image.Rect(l.panel.Min.X, top, l.panel.Max.X, min(l.panel.Max.Y, top+int(l.panel.Dx()*3/4)))
	if r.Dy() < int(8*u) {
		return
	}
	pt.rect(r, colMapGround)
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, a := range m.all {
		b = b.Union(a.Geometry.Bound())
	}
	f := newFrame(b, r, u)
	sub := &painter{img: pt.img.SubImage(r).(*image.RGBA)}
	for _, a := range m.all {
		sub.fill(f.rings(a.Geometry), image.NewUniform(colInsetLand))
	}
	for _, z := range m.zoneOutlines {
		sub.fill(f.rings(z.outline), image.NewUniform(colInsetZone))
	}
	pt.stroke([][][2]float64{{{float64(r.Min.X), float64(r.Min.Y)}, {float64(r.Max.X), float64(r.Min.Y)}, {float64(r.Max.X), float64(r.Max.Y)}, {float64(r.Min.X), float64(r.Max.Y)}, {float64(r.Min.X), float64(r.Min.Y)}}}, 1, colMuted)
}

func encodePNG(w io.Writer, img image.Image) error {
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(w, img); err != nil {
		return fmt.Errorf("report: writing PNG: %w", err)
	}
	return nil
}
