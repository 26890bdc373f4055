// Package tiles will hold tile math, layer definitions, MVT encoding and the
// tile cache; the first tile endpoints arrive with the vector-tile work.
package tiles
