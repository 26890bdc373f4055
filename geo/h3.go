// Package geo holds the pure geometry labmap needs: H3 cells and their
// boundaries, unions of cells into polygons, a point-in-polygon index and
// polygon validity checks. It does no I/O.
package geo

import (
	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// MinRes and MaxRes bound the H3 resolutions that labmap aggregates into.
const (
	MinRes = 6
	MaxRes = 10
)

// Resolutions lists the H3 resolutions that labmap aggregates into, coarse first.
var Resolutions = [...]int{6, 7, 8, 9, 10}

// Cell returns the H3 cell at res that holds the point.
func Cell(p orb.Point, res int) uint64 {
	return uint64(h3.LatLngToCell(h3.LatLng{Lat: p.Lat(), Lng: p.Lon()}, res))
}

// CellSet is the cells of one point at resolutions 6 to 10, indexed by res-MinRes.
type CellSet [MaxRes - MinRes + 1]uint64

// Cells returns the cells of the point at every aggregation resolution. Each
// is computed from the point itself rather than as the parent of the finest
// cell: H3 children do not tile their parent exactly, and a household near a
// cell edge must land in the cell that any other H3 tool gives for its point.
func Cells(p orb.Point) CellSet {
	var cs CellSet
	for _, r := range Resolutions {
		cs[r-MinRes] = Cell(p, r)
	}
	return cs
}

// H3 index layout: resolution in bits 52-55.
const (
	resOffset = 52
	resMask   = uint64(0xf) << resOffset
)

// Resolution returns the resolution encoded in an H3 cell index.
func Resolution(cell uint64) int { return int((cell & resMask) >> resOffset) }

// CellCenter returns the centre of an H3 cell.
func CellCenter(cell uint64) orb.Point {
	ll := h3.CellToLatLng(h3.Cell(cell))
	return orb.Point{ll.Lng, ll.Lat}
}

// CellPolygon returns the boundary of an H3 cell as a closed counter-clockwise ring.
func CellPolygon(cell uint64) orb.Polygon {
	b := h3.CellToBoundary(h3.Cell(cell))
	ring := make(orb.Ring, 0, len(b)+1)
	for _, ll := range b {
		ring = append(ring, orb.Point{ll.Lng, ll.Lat})
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}
}

// CellString formats an H3 index the way every H3 tool prints it.
func CellString(cell uint64) string { return h3.Cell(cell).String() }
