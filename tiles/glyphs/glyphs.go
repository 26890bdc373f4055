// Package glyphs makes the glyph ranges MapLibre needs to draw text labels
// (signed distance fields in fontnik's PBF format) from the Go fonts, so the
// map's village, kecamatan and zone names come from labmap itself and never
// from a font CDN.
//
// It is a package of its own because it shares nothing with the tiles: no
// store, no dataset version, no geometry; only fonts, a rasteriser and a
// distance transform. Kept apart, the api package wires it to a route and
// its tests run without any data.
package glyphs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// The font names styles use in text-font. The Go fonts are BSD-licensed
// (golang.org/x/image/font/gofont), cover Latin, Latin-1, Latin Extended,
// Greek, Cyrillic and general punctuation, and ship inside the module, so
// nothing is downloaded at build or run time.
const (
	Regular = "Go Regular"
	Bold    = "Go Bold"
)

// RangeSize is the number of code points in one glyph PBF.
const RangeSize = 256

type face struct {
	name     string
	font     *sfnt.Font
	ascender int32
}

// Set is the fonts labmap serves, with each range rendered once, when first
// asked for, and kept: 256 ranges per font stack at most, and only stacks
// made of known fonts (anything else falls back to Regular), so the cache
// is bounded by the fonts, not by requests.
type Set struct {
	faces []face // faces[0] stands in for unknown font names

	mu     sync.Mutex
	ranges map[string]*rangeEntry
}

type rangeEntry struct {
	once sync.Once
	pbf  []byte
	etag string
	err  error
}

// New loads the Go fonts.
func New() (*Set, error) {
	s := &Set{ranges: map[string]*rangeEntry{}}
	for _, f := range []struct {
		name string
		ttf  []byte
	}{{Regular, goregular.TTF}, {Bold, gobold.TTF}} {
		ft, err := sfnt.Parse(f.ttf)
		if err != nil {
			return nil, fmt.Errorf("font %s: %w", f.name, err)
		}
		m, err := ft.Metrics(nil, fixed.I(Size), font.HintingNone)
		if err != nil {
			return nil, fmt.Errorf("font %s: metrics: %w", f.name, err)
		}
		s.faces = append(s.faces, face{name: f.name, font: ft, ascender: int32(m.Ascent.Floor())})
	}
	return s, nil
}

// Fonts lists the font names the set serves; the first is the fallback.
func (s *Set) Fonts() []string {
	out := make([]string, len(s.faces))
	for i, f := range s.faces {
		out[i] = f.name
	}
	return out
}

// ParseRange reads a range as MapLibre asks for it ("0-255", "256-511"):
// a block of RangeSize code points starting at a multiple of RangeSize
// within the Basic Multilingual Plane. It returns the block's first code
// point.
func ParseRange(r string) (int, error) {
	a, b, ok := strings.Cut(r, "-")
	start, err1 := strconv.Atoi(a)
	end, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || start < 0 || start%RangeSize != 0 || end != start+RangeSize-1 || end > 0xFFFF {
		return 0, fmt.Errorf("range %q is not a block of %d code points such as 0-255 or 256-511, up to 65535", r, RangeSize)
	}
	return start, nil
}

// resolve picks the known fonts of a comma-separated font stack, in order
// and without repeats; a stack naming none of them gets the fallback font.
func (s *Set) resolve(stack string) []face {
	var out []face
	for name := range strings.SplitSeq(stack, ",") {
		name = strings.TrimSpace(name)
		for _, f := range s.faces {
			if strings.EqualFold(f.name, name) && !hasFace(out, f.name) {
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		out = s.faces[:1]
	}
	return out
}

func hasFace(list []face, name string) bool {
	for _, f := range list {
		if f.name == name {
			return true
		}
	}
	return false
}

// Range returns the glyph PBF of a font stack (comma-separated font names,
// as in a style's text-font) for the block starting at start, with a strong
// ETag. Each code point comes from the first font of the stack that has it;
// a block no font covers is a valid PBF with no glyphs.
func (s *Set) Range(stack string, start int) (pbf []byte, etag string, err error) {
	if start < 0 || start%RangeSize != 0 || start > 0xFFFF {
		return nil, "", fmt.Errorf("range start %d is not a multiple of %d up to 65535", start, RangeSize)
	}
	faces := s.resolve(stack)
	names := make([]string, len(faces))
	for i, f := range faces {
		names[i] = f.name
	}
	name := strings.Join(names, ",")
	key := name + "\x00" + strconv.Itoa(start)
	s.mu.Lock()
	e, ok := s.ranges[key]
	if !ok {
		e = &rangeEntry{}
		s.ranges[key] = e
	}
	s.mu.Unlock()
	e.once.Do(func() {
		e.pbf, e.err = renderRange(faces, name, start)
		sum := sha256.Sum256(e.pbf)
		e.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
	})
	return e.pbf, e.etag, e.err
}

// renderRange draws every code point of the block that one of faces has.
func renderRange(faces []face, name string, start int) ([]byte, error) {
	stack := Stack{Name: name, Range: fmt.Sprintf("%d-%d", start, start+RangeSize-1)}
	var buf sfnt.Buffer
	for cp := start; cp < start+RangeSize; cp++ {
		for _, f := range faces {
			gi, err := f.font.GlyphIndex(&buf, rune(cp))
			if err != nil {
				return nil, fmt.Errorf("font %s: U+%04X: %w", f.name, cp, err)
			}
			if gi == 0 {
				continue // not in this font; try the next one
			}
			g, err := render(f.font, &buf, rune(cp), gi, f.ascender)
			if err != nil {
				return nil, fmt.Errorf("font %s: U+%04X: %w", f.name, cp, err)
			}
			stack.Glyphs = append(stack.Glyphs, g)
			break
		}
	}
	return Encode([]Stack{stack}), nil
}
