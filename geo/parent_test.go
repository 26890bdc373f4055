package geo

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// TestCellParent compares the bit arithmetic with H3's own cellToParent.
func TestCellParent(t *testing.T) {
	for _, p := range []orb.Point{{109.66, -6.94}, {109.55, -7.1}, {-73.98, 40.75}, {0, 0}} {
		for fine := MinRes; fine <= MaxRes; fine++ {
			c := Cell(p, fine)
			for res := 0; res <= fine; res++ {
				if got, want := CellParent(c, res), uint64(h3.Cell(c).Parent(res)); got != want {
					t.Errorf("%v r%d -> r%d: %x, want %x", p, fine, res, got, want)
				}
			}
			got, err := ParseCell(CellString(c))
			if err != nil || got != c {
				t.Errorf("ParseCell(%s) = %x, %v", CellString(c), got, err)
			}
		}
	}
	for _, bad := range []string{"", "zz", "0", "ffffffffffffffff"} {
		if _, err := ParseCell(bad); err == nil {
			t.Errorf("ParseCell(%q) accepted", bad)
		}
	}
}
