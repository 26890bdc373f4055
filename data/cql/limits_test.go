package cql

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestParseWithin(t *testing.T) {
	lim := Limits{Terms: 3, Values: 4, Vertices: 5}
	ring := func(n int) string { // n vertices, closed: (0 0), (1 1), (1 2), ..., (0 0)
		pts := []string{"0 0"}
		for i := 1; i < n-1; i++ {
			pts = append(pts, "1 "+strconv.Itoa(i))
		}
		return "S_INTERSECTS(geometry, POLYGON((" + strings.Join(append(pts, "0 0"), ", ") + ")))"
	}
	for _, tc := range []struct {
		name, text string
		wantPos    int    // -1: accepted
		wantMsg    string // in the error
	}{
		{"terms at the limit", "a = 1 AND b = 2 OR NOT c = 3", -1, ""},
		{"one term too many", "a = 1 AND b = 2 AND c = 3 AND d = 4", 30, "more than 3 terms"},
		{"parentheses are not terms", "((a = 1)) AND (b = 2)", -1, ""},
		{"values at the limit", "a IN (1, 2, 3, 4)", -1, ""},
		{"IN values count one each", "a IN (1, 2, 3, 4, 5)", 18, "more than 4 values"},
		{"values across terms", "a BETWEEN 1 AND 2 AND b IN ('x', 'y', TRUE)", 38, "more than 4 values"},
		{"vertices at the limit", ring(5), -1, ""},
		{"one vertex too many", ring(6), -1, "more than 5 vertices"},
		{"a point is one vertex", "S_INTERSECTS(geometry, POINT(1 2))", -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ParseWithin(tc.text, lim)
			if tc.wantMsg == "" {
				if err != nil || e == nil {
					t.Fatalf("ParseWithin(%q) = %v, %v; want it accepted", tc.text, e, err)
				}
				if _, err := Parse(tc.text); err != nil {
					t.Errorf("Parse refuses what ParseWithin accepts: %v", err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.Contains(se.Msg, tc.wantMsg) || tc.wantPos >= 0 && se.Pos != tc.wantPos {
				t.Fatalf("ParseWithin(%q) = %v; want a *SyntaxError at %d saying %q", tc.text, err, tc.wantPos, tc.wantMsg)
			}
			if _, err := Parse(tc.text); err != nil {
				t.Errorf("Parse, without limits, refuses it too: %v", err)
			}
		})
	}
}
