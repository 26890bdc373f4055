package geo

import (
	"fmt"
	"strconv"
)

// CellParent returns the H3 ancestor of cell at the coarser resolution res:
// the cell anyone with an H3 library computes from a published child, which
// is what a differencing attack on the hexagon layers adds up by. It is bit
// arithmetic on the index (the resolution field set to res, the digits of
// the finer resolutions set to 7, unused), as H3's own cellToParent does,
// without a call into C: the disclosure rule asks it for every cell at every
// coarser resolution.
func CellParent(cell uint64, res int) uint64 {
	unused := uint64(1)<<(uint(MaxH3Res-res)*3) - 1
	return cell&^resMask | uint64(res)<<resOffset | unused
}

// MaxH3Res is H3's finest resolution; an index has one 3-bit digit per
// resolution from 1 to it.
const MaxH3Res = 15

// ParseCell reads an H3 index written as CellString writes it (hexadecimal).
func ParseCell(s string) (uint64, error) {
	c, err := strconv.ParseUint(s, 16, 64)
	if err != nil || c>>59 != 1 { // mode bits 59-62: 1 is a cell
		return 0, fmt.Errorf("H3 cell %q is not a cell index", s)
	}
	return c, nil
}
