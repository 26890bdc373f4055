package data

import (
	"context"

	"github.com/paulmach/orb"
)

// Changes says where the public rows of a dataset may differ between two
// versions: per level (and per resolution for hexagons) the extents, in
// lon/lat, outside which every row, its outline and its disclosure outcome
// are as they were. A tile that meets none of its layers' extents is the
// same tile at both versions, so a cache may keep it across an import of
// another region.
//
// The extents are generous: an import of one regency also lists the
// neighbours whose shared arcs it may move. They are never too small; when
// the log cannot say (an import that rebuilt everything, a rule decided by
// the server itself), Everything is set.
type Changes struct {
	Everything bool
	extents    map[changeKey][]orb.Bound
}

type changeKey struct {
	level Level
	res   int
}

// ChangedEverywhere is the change of a version that may have changed any
// row.
func ChangedEverywhere() *Changes { return &Changes{Everything: true} }

// Add records that rows of level (res for hexagons, else ignored) may have
// changed within b.
func (c *Changes) Add(level Level, res int, b orb.Bound) {
	if c.extents == nil {
		c.extents = map[changeKey][]orb.Bound{}
	}
	k := keyOfChange(level, res)
	c.extents[k] = append(c.extents[k], b)
}

// Touches reports whether rows of level (at res, for hexagons) that meet
// b may have changed.
func (c *Changes) Touches(level Level, res int, b orb.Bound) bool {
	if c.Everything {
		return true
	}
	for _, e := range c.extents[keyOfChange(level, res)] {
		if e.Intersects(b) {
			return true
		}
	}
	return false
}

func keyOfChange(level Level, res int) changeKey {
	if level != LevelHexagon {
		res = 0
	}
	return changeKey{level, res}
}

// ChangeLog is a store that can say where its data changed between two
// dataset versions, from < to. A store that cannot (the memory store, whose
// data never change while it serves) does not implement it, and caches drop
// everything at a new version.
type ChangeLog interface {
	Changes(ctx context.Context, from, to int64) (*Changes, error)
}
