package glyphs

import (
	"image"
	"math"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// The parameters of the glyph PBFs MapLibre reads, as fontnik makes them:
// glyphs drawn at 24 px with a 3 px border, distances spread over 8 px and
// the outline at 3/4 of the byte range (MapLibre's shader draws the edge at
// 192/256).
const (
	Size   = 24
	Buffer = 3
	Radius = 8.0
	Cutoff = 0.25
)

// inf stands for "no edge seen yet" in the distance transform.
const inf = 1e20

// Glyph is one character's signed distance field and metrics in the units
// MapLibre expects: pixels at Size, Top from the font's ascender (so a
// capital's top is a small negative number), Bitmap of (Width+2·Buffer) ×
// (Height+2·Buffer) bytes, rows top first, empty for blank glyphs.
type Glyph struct {
	ID      uint32
	Bitmap  []byte
	Width   uint32
	Height  uint32
	Left    int32
	Top     int32
	Advance uint32
}

// render draws glyph index gi of f as a signed distance field. ascender is
// the font's ascent at Size, in whole pixels.
func render(f *sfnt.Font, buf *sfnt.Buffer, id rune, gi sfnt.GlyphIndex, ascender int32) (Glyph, error) {
	ppem := fixed.I(Size)
	adv, err := f.GlyphAdvance(buf, gi, ppem, 0)
	if err != nil {
		return Glyph{}, err
	}
	g := Glyph{ID: uint32(id), Advance: uint32(max(adv.Round(), 0))}
	segs, err := f.LoadGlyph(buf, gi, ppem, nil)
	if err != nil {
		return Glyph{}, err
	}
	if len(segs) == 0 {
		return g, nil // a space: metrics only
	}
	// Whole-pixel box around the outline, y down as sfnt gives it.
	b := segs.Bounds()
	x0, y0 := b.Min.X.Floor(), b.Min.Y.Floor()
	x1, y1 := b.Max.X.Ceil(), b.Max.Y.Ceil()
	if x1 <= x0 || y1 <= y0 {
		return g, nil
	}
	g.Width, g.Height = uint32(x1-x0), uint32(y1-y0)
	g.Left = int32(x0)
	g.Top = int32(-y0) - ascender
	w, h := x1-x0+2*Buffer, y1-y0+2*Buffer

	r := vector.NewRasterizer(w, h)
	dx, dy := float32(Buffer-x0), float32(Buffer-y0)
	pt := func(p fixed.Point26_6) (float32, float32) {
		return float32(p.X)/64 + dx, float32(p.Y)/64 + dy
	}
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			r.MoveTo(pt(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			r.LineTo(pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			bx, by := pt(s.Args[0])
			cx, cy := pt(s.Args[1])
			r.QuadTo(bx, by, cx, cy)
		case sfnt.SegmentOpCubeTo:
			bx, by := pt(s.Args[0])
			cx, cy := pt(s.Args[1])
			ex, ey := pt(s.Args[2])
			r.CubeTo(bx, by, cx, cy, ex, ey)
		}
	}
	r.ClosePath()
	alpha := image.NewAlpha(image.Rect(0, 0, w, h))
	r.Draw(alpha, alpha.Bounds(), image.Opaque, image.Point{})
	g.Bitmap = distanceField(alpha.Pix, w, h)
	return g, nil
}

// distanceField turns coverage (0 outside, 255 inside, anti-aliased in
// between) into a signed distance field: squared distances to the nearest
// outside and inside pixel by two exact Euclidean distance transforms, an
// anti-aliased pixel seeded with its sub-pixel offset from the edge, then
// 255 − 255·(d/Radius + Cutoff), so the edge sits at 191 and the inside
// climbs to 255.
func distanceField(coverage []byte, w, h int) []byte {
	outer := make([]float64, w*h)
	inner := make([]float64, w*h)
	for i, c := range coverage {
		a := float64(c) / 255
		switch {
		case a >= 1:
			outer[i], inner[i] = 0, inf
		case a <= 0:
			outer[i], inner[i] = inf, 0
		default:
			d := 0.5 - a
			if d > 0 {
				outer[i], inner[i] = d*d, 0
			} else {
				outer[i], inner[i] = 0, d*d
			}
		}
	}
	t := newTransform(max(w, h))
	t.grid(outer, w, h)
	t.grid(inner, w, h)
	out := make([]byte, w*h)
	for i := range out {
		d := math.Sqrt(outer[i]) - math.Sqrt(inner[i])
		v := math.Round(255 - 255*(d/Radius+Cutoff))
		out[i] = byte(min(max(v, 0), 255))
	}
	return out
}

// transform holds the scratch arrays of the one-dimensional distance
// transform of Felzenszwalb and Huttenlocher (lower envelope of parabolas),
// reused for every row and column.
type transform struct {
	f, d, z []float64
	v       []int
}

func newTransform(n int) *transform {
	return &transform{f: make([]float64, n), d: make([]float64, n), z: make([]float64, n+1), v: make([]int, n)}
}

// grid replaces squared seed distances in g (w × h) by squared Euclidean
// distances to the nearest seed: columns first, then rows.
func (t *transform) grid(g []float64, w, h int) {
	for x := range w {
		for y := range h {
			t.f[y] = g[y*w+x]
		}
		t.line(h)
		for y := range h {
			g[y*w+x] = t.d[y]
		}
	}
	for y := range h {
		copy(t.f[:w], g[y*w:(y+1)*w])
		t.line(w)
		copy(g[y*w:(y+1)*w], t.d[:w])
	}
}

// line computes d[q] = min over p of (q−p)² + f[p] for q < n.
func (t *transform) line(n int) {
	f, d, z, v := t.f, t.d, t.z, t.v
	k := 0
	v[0] = 0
	z[0], z[1] = -inf, inf
	for q := 1; q < n; q++ {
		// z[0] is −∞, so k never drops below 0.
		s := t.meet(q, v[k])
		for s <= z[k] {
			k--
			s = t.meet(q, v[k])
		}
		k++
		v[k] = q
		z[k], z[k+1] = s, inf
	}
	k = 0
	for q := range n {
		for z[k+1] < float64(q) {
			k++
		}
		p := v[k]
		d[q] = float64((q-p)*(q-p)) + f[p]
	}
}

// meet is where the parabolas rooted at q and p intersect.
func (t *transform) meet(q, p int) float64 {
	return ((t.f[q] + float64(q*q)) - (t.f[p] + float64(p*p))) / float64(2*(q-p))
}
