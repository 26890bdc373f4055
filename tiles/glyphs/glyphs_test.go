package glyphs

import (
	"bytes"
	"sync"
	"testing"
)

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		in    string
		start int
		ok    bool
	}{
		{"0-255", 0, true},
		{"256-511", 256, true},
		{"65280-65535", 65280, true},
		{"1-256", 0, false},
		{"0-511", 0, false},
		{"65536-65791", 0, false},
		{"-256-0", 0, false},
		{"0_255", 0, false},
		{"a-b", 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			start, err := ParseRange(tc.in)
			if (err == nil) != tc.ok || start != tc.start {
				t.Fatalf("ParseRange(%q) = %d, %v; want %d, ok=%v", tc.in, start, err, tc.start, tc.ok)
			}
		})
	}
}

func glyphOf(t *testing.T, stacks []Stack, id rune) (Glyph, bool) {
	t.Helper()
	if len(stacks) != 1 {
		t.Fatalf("%d font stacks in the PBF, want 1", len(stacks))
	}
	for _, g := range stacks[0].Glyphs {
		if g.ID == uint32(id) {
			return g, true
		}
	}
	return Glyph{}, false
}

func TestRange(t *testing.T) {
	set, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		stack   string
		start   int
		present []rune // glyphs that must be drawn (with a bitmap)
		blank   []rune // glyphs with an advance and no bitmap
		empty   bool   // no glyph at all
		font    string // the stack name the PBF carries
	}{
		{"basic latin", Regular, 0, []rune("AKgj09?"), []rune(" "), false, Regular},
		{"latin-1", Bold, 0, []rune("éÉñÜ°×"), nil, false, Bold},
		{"general punctuation", Regular, 0x2000, []rune("–—‘’“”…•"), nil, false, Regular},
		{"composite stack", Bold + "," + Regular, 0, []rune("A"), nil, false, Bold + "," + Regular},
		{"unknown font falls back", "Open Sans Regular,Arial Unicode MS Regular", 0, []rune("A"), nil, false, Regular},
		{"uncovered block is empty", Regular, 0xAC00, nil, nil, true, Regular},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pbf, etag, err := set.Range(tc.stack, tc.start)
			if err != nil {
				t.Fatal(err)
			}
			if len(etag) < 10 || etag[0] != '"' {
				t.Errorf("etag %q is not a quoted strong tag", etag)
			}
			stacks, err := Decode(pbf)
			if err != nil {
				t.Fatal(err)
			}
			if got := stacks[0].Name; got != tc.font {
				t.Errorf("stack name %q, want %q", got, tc.font)
			}
			if want := rangeName(tc.start); stacks[0].Range != want {
				t.Errorf("range %q, want %q", stacks[0].Range, want)
			}
			if tc.empty && len(stacks[0].Glyphs) != 0 {
				t.Errorf("%d glyphs in a block the Go fonts do not cover", len(stacks[0].Glyphs))
			}
			for _, r := range tc.present {
				g, ok := glyphOf(t, stacks, r)
				if !ok {
					t.Errorf("%q missing", r)
					continue
				}
				checkGlyph(t, r, g)
			}
			for _, r := range tc.blank {
				g, ok := glyphOf(t, stacks, r)
				if !ok || len(g.Bitmap) != 0 || g.Advance == 0 {
					t.Errorf("%q: present %v, %d bitmap bytes, advance %d; want an advance and no bitmap", r, ok, len(g.Bitmap), g.Advance)
				}
			}
			again, etag2, _ := set.Range(tc.stack, tc.start)
			if !bytes.Equal(again, pbf) || etag2 != etag {
				t.Error("a second request gave other bytes or another ETag")
			}
		})
	}
}

func rangeName(start int) string {
	s, _ := Decode(Encode([]Stack{{Range: itoa(start) + "-" + itoa(start+RangeSize-1)}}))
	return s[0].Range
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// checkGlyph checks what MapLibre relies on: a bitmap of the buffered size,
// metrics of a 24 px glyph, dark (inside) values in the middle of a filled
// letter's stroke and light (outside) values at the border.
func checkGlyph(t *testing.T, r rune, g Glyph) {
	t.Helper()
	w, h := int(g.Width)+2*Buffer, int(g.Height)+2*Buffer
	if len(g.Bitmap) != w*h {
		t.Fatalf("%q: %d bitmap bytes, want (%d+6)×(%d+6) = %d", r, len(g.Bitmap), g.Width, g.Height, w*h)
	}
	if g.Width == 0 || g.Width > Size*2 || g.Height == 0 || g.Height > Size*2 {
		t.Errorf("%q: %d×%d px is not a 24 px glyph", r, g.Width, g.Height)
	}
	if g.Advance < g.Width/2 || g.Advance > Size*2 {
		t.Errorf("%q: advance %d for a glyph %d px wide", r, g.Advance, g.Width)
	}
	// Corners of the buffered bitmap lie at least Buffer px from the ink.
	for _, i := range []int{0, w - 1, (h - 1) * w, h*w - 1} {
		if g.Bitmap[i] >= 128 {
			t.Errorf("%q: corner value %d, want outside (< 128)", r, g.Bitmap[i])
		}
	}
	var hi int
	for _, v := range g.Bitmap {
		hi = max(hi, int(v))
	}
	if hi < 192 {
		t.Errorf("%q: highest value %d, want the inside of the stroke above the 192 edge", r, hi)
	}
}

func TestCapitalA(t *testing.T) {
	set, err := New()
	if err != nil {
		t.Fatal(err)
	}
	pbf, _, err := set.Range(Regular, 0)
	if err != nil {
		t.Fatal(err)
	}
	stacks, err := Decode(pbf)
	if err != nil {
		t.Fatal(err)
	}
	a, ok := glyphOf(t, stacks, 'A')
	if !ok {
		t.Fatal("no A")
	}
	x, _ := glyphOf(t, stacks, 'x')
	g, _ := glyphOf(t, stacks, 'g')
	// At 24 px a capital is about 17 px tall and sits on the baseline: its
	// top is above the x-height's, and a descender reaches below.
	if a.Height < 14 || a.Height > 20 {
		t.Errorf("A is %d px tall, want about 17", a.Height)
	}
	if a.Top >= 0 || a.Top < -12 || x.Top >= a.Top {
		t.Errorf("tops A %d, x %d: want small negative numbers (from the ascender), A higher than x", a.Top, x.Top)
	}
	if bottom := func(gl Glyph) int32 { return gl.Top - int32(gl.Height) }; bottom(g) >= bottom(a) {
		t.Errorf("g's bottom %d is not below A's %d", bottom(g), bottom(a))
	}
	// The stroke's inside lies above the 192 edge; paper a few pixels
	// away (inside A's counter, beside its legs) falls below 64.
	w := int(a.Width) + 2*Buffer
	var inside, outside int
	for _, v := range a.Bitmap {
		switch {
		case v > 192:
			inside++
		case v < 64:
			outside++
		}
	}
	if inside == 0 || outside == 0 {
		t.Errorf("A: %d values > 192 and %d < 64; want both inside and outside", inside, outside)
	}
	// The top-left corner of A's box is empty paper: below the edge.
	if v := a.Bitmap[Buffer*w+Buffer]; v >= 192 {
		t.Errorf("A: top-left of the box is %d, want outside", v)
	}
}

func TestDistanceField(t *testing.T) {
	// A filled 10×10 square in a 20×20 bitmap: the centre is 5 px inside,
	// the corner 5√2 px outside, the edge pixels at the 191 threshold.
	const n = 20
	cov := make([]byte, n*n)
	for y := 5; y < 15; y++ {
		for x := 5; x < 15; x++ {
			cov[y*n+x] = 255
		}
	}
	df := distanceField(cov, n, n)
	for _, tc := range []struct {
		name   string
		x, y   int
		lo, hi int
	}{
		{"centre", 10, 10, 250, 255},
		{"just inside", 5, 10, 191, 230},
		{"just outside", 4, 10, 150, 191},
		{"far corner", 0, 0, 0, 10},
		{"3 px out", 10, 17, 60, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if v := int(df[tc.y*n+tc.x]); v < tc.lo || v > tc.hi {
				t.Errorf("(%d,%d) = %d, want %d..%d", tc.x, tc.y, v, tc.lo, tc.hi)
			}
		})
	}
}

func TestEncodeDecode(t *testing.T) {
	in := []Stack{{Name: "Go Regular", Range: "0-255", Glyphs: []Glyph{
		{ID: 65, Bitmap: []byte{1, 2, 3, 4}, Width: 1, Height: 1, Left: -3, Top: -20, Advance: 15},
		{ID: 32, Advance: 6},
	}}}
	out, err := Decode(Encode(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || len(out[0].Glyphs) != 2 {
		t.Fatalf("decoded %+v", out)
	}
	a := out[0].Glyphs[0]
	if a.ID != 65 || a.Left != -3 || a.Top != -20 || a.Advance != 15 || !bytes.Equal(a.Bitmap, []byte{1, 2, 3, 4}) {
		t.Errorf("decoded %+v", a)
	}
	if _, err := Decode([]byte{0x0a, 0x05, 0x01}); err == nil {
		t.Error("a truncated message decoded without error")
	}
}

// TestRangeConcurrent asks for the same and different ranges at once: one
// render per range, the same bytes for everyone (run with -race).
func TestRangeConcurrent(t *testing.T) {
	set, err := New()
	if err != nil {
		t.Fatal(err)
	}
	starts := []int{0, 0, 256, 0, 256, 0x2000}
	got := make([][]byte, len(starts))
	var wg sync.WaitGroup
	for i, start := range starts {
		wg.Go(func() {
			got[i], _, _ = set.Range(Regular, start)
		})
	}
	wg.Wait()
	for i := range starts {
		for j := range starts {
			if starts[i] == starts[j] && !bytes.Equal(got[i], got[j]) {
				t.Fatalf("range %d gave two different answers", starts[i])
			}
		}
	}
	if len(set.ranges) != 3 {
		t.Errorf("%d cached ranges, want 3", len(set.ranges))
	}
}
