package archive

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
)

// PMTiles v3 constants (https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md).
const (
	pmHeaderLen = 127
	// pmRootMax bounds header plus root directory: a reader's first
	// request fetches 16 KiB and must find the root in it.
	pmRootMax = 16384

	pmCompressionGzip = 2
	pmTileTypeMVT     = 1
)

// pmEntry is one directory entry: RunLength consecutive tile ids sharing
// one content, or (RunLength 0) a pointer to a leaf directory.
type pmEntry struct {
	TileID    uint64
	Offset    uint64
	Length    uint32
	RunLength uint32
}

// PMTiles collects tiles and writes a clustered PMTiles v3 archive on
// Close: tiles in Hilbert order, identical tiles stored once, directories
// and tiles gzipped. Tiles are held in memory (gzipped) until then, since
// the archive's layout depends on all of them.
type PMTiles struct {
	w     io.Writer
	md    Metadata
	tiles map[uint64][32]byte // tile id -> content hash
	data  map[[32]byte][]byte // content hash -> gzipped tile
	zmin  int
	zmax  int
}

// NewPMTiles returns a PMTiles writer that writes to w on Close.
func NewPMTiles(w io.Writer, md Metadata) *PMTiles {
	return &PMTiles{w: w, md: md, tiles: map[uint64][32]byte{}, data: map[[32]byte][]byte{}, zmin: math.MaxInt, zmax: -1}
}

// Add stores one tile; mvt is the uncompressed tile as the server sends it.
func (p *PMTiles) Add(z, x, y int, mvt []byte) error {
	if err := checkZXY(z, x, y); err != nil {
		return err
	}
	h := sha256.Sum256(mvt)
	if _, ok := p.data[h]; !ok {
		gz, err := gzipBytes(mvt)
		if err != nil {
			return err
		}
		p.data[h] = gz
	}
	p.tiles[TileID(z, x, y)] = h
	p.zmin, p.zmax = min(p.zmin, z), max(p.zmax, z)
	return nil
}

// Close lays out and writes the archive.
func (p *PMTiles) Close() error {
	ids := make([]uint64, 0, len(p.tiles))
	for id := range p.tiles {
		ids = append(ids, id)
	}
	slices.Sort(ids)

	// Tile data in tile id order; a content already written is pointed to
	// again, and a run of equal consecutive ids becomes one entry.
	var entries []pmEntry
	offsets := map[[32]byte]uint64{}
	var tileData bytes.Buffer
	for _, id := range ids {
		h := p.tiles[id]
		if n := len(entries); n > 0 {
			last := &entries[n-1]
			if last.TileID+uint64(last.RunLength) == id && p.tiles[last.TileID] == h {
				last.RunLength++
				continue
			}
		}
		off, seen := offsets[h]
		if !seen {
			off = uint64(tileData.Len())
			offsets[h] = off
			tileData.Write(p.data[h])
		}
		entries = append(entries, pmEntry{TileID: id, Offset: off, Length: uint32(len(p.data[h])), RunLength: 1})
	}

	meta, err := json.Marshal(p.md.pmtilesJSON())
	if err != nil {
		return fmt.Errorf("pmtiles metadata: %w", err)
	}
	metaGz, err := gzipBytes(meta)
	if err != nil {
		return err
	}
	root, leaves, err := buildDirectories(entries)
	if err != nil {
		return err
	}

	zmin, zmax := p.zmin, p.zmax
	if len(ids) == 0 {
		zmin, zmax = p.md.MinZoom, p.md.MaxZoom
	}
	var addressed uint64
	for _, e := range entries {
		addressed += uint64(e.RunLength)
	}
	hdr := make([]byte, pmHeaderLen)
	copy(hdr, "PMTiles")
	hdr[7] = 3
	le := binary.LittleEndian
	rootOff := uint64(pmHeaderLen)
	metaOff := rootOff + uint64(len(root))
	leafOff := metaOff + uint64(len(metaGz))
	dataOff := leafOff + uint64(len(leaves))
	for i, v := range []uint64{
		rootOff, uint64(len(root)), metaOff, uint64(len(metaGz)), leafOff, uint64(len(leaves)),
		dataOff, uint64(tileData.Len()), addressed, uint64(len(entries)), uint64(len(offsets)),
	} {
		le.PutUint64(hdr[8+8*i:], v)
	}
	hdr[96] = 1 // clustered: tile data is in tile id order
	hdr[97] = pmCompressionGzip
	hdr[98] = pmCompressionGzip
	hdr[99] = pmTileTypeMVT
	hdr[100] = byte(zmin)
	hdr[101] = byte(zmax)
	b := p.md.Bounds
	for i, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
		le.PutUint32(hdr[102+4*i:], uint32(e7(v)))
	}
	hdr[118] = byte(zmin)
	c := b.Center()
	le.PutUint32(hdr[119:], uint32(e7(c[0])))
	le.PutUint32(hdr[123:], uint32(e7(c[1])))

	for _, part := range [][]byte{hdr, root, metaGz, leaves, tileData.Bytes()} {
		if _, err := p.w.Write(part); err != nil {
			return fmt.Errorf("pmtiles: %w", err)
		}
	}
	return nil
}

func e7(deg float64) int32 { return int32(math.Round(deg * 1e7)) }

// buildDirectories returns the gzipped root directory and the leaf
// directories section. All entries go in the root when it fits in the
// first 16 KiB; otherwise they are split into leaves, larger each try,
// until the root of leaf pointers fits.
func buildDirectories(entries []pmEntry) (root, leaves []byte, err error) {
	root, err = encodeDirectory(entries)
	if err != nil {
		return nil, nil, err
	}
	if pmHeaderLen+len(root) <= pmRootMax {
		return root, nil, nil
	}
	for leafSize := 4096; ; leafSize = leafSize * 6 / 5 {
		var pointers []pmEntry
		var section bytes.Buffer
		for chunk := range slices.Chunk(entries, leafSize) {
			leaf, err := encodeDirectory(chunk)
			if err != nil {
				return nil, nil, err
			}
			pointers = append(pointers, pmEntry{TileID: chunk[0].TileID, Offset: uint64(section.Len()), Length: uint32(len(leaf))})
			section.Write(leaf)
		}
		if root, err = encodeDirectory(pointers); err != nil {
			return nil, nil, err
		}
		if pmHeaderLen+len(root) <= pmRootMax {
			return root, section.Bytes(), nil
		}
	}
}

// encodeDirectory serialises entries as the spec's columns of varints
// (delta tile ids, run lengths, lengths, offsets with 0 meaning "right
// after the previous entry"), gzipped.
func encodeDirectory(entries []pmEntry) ([]byte, error) {
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(entries)))
	var last uint64
	for _, e := range entries {
		b = binary.AppendUvarint(b, e.TileID-last)
		last = e.TileID
	}
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(e.RunLength))
	}
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(e.Length))
	}
	for i, e := range entries {
		if i > 0 && e.Offset == entries[i-1].Offset+uint64(entries[i-1].Length) {
			b = binary.AppendUvarint(b, 0)
		} else {
			b = binary.AppendUvarint(b, e.Offset+1)
		}
	}
	return gzipBytes(b)
}

// TileID is the PMTiles v3 tile id of z/x/y: the tiles of all lower zooms
// counted first, then the position along the zoom's Hilbert curve.
func TileID(z, x, y int) uint64 {
	base := ((uint64(1) << (2 * uint(z))) - 1) / 3
	n := uint64(1) << uint(z)
	tx, ty := uint64(x), uint64(y)
	var d uint64
	for s := n / 2; s > 0; s /= 2 {
		var rx, ry uint64
		if tx&s != 0 {
			rx = 1
		}
		if ty&s != 0 {
			ry = 1
		}
		d += s * s * ((3 * rx) ^ ry)
		// Rotate the quadrant; flipping against n-1 flips the same low
		// bits as against s-1, and only those are read from here on.
		if ry == 0 {
			if rx == 1 {
				tx, ty = n-1-tx, n-1-ty
			}
			tx, ty = ty, tx
		}
	}
	return base + d
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func checkZXY(z, x, y int) error {
	if z < 0 || z > 30 {
		return fmt.Errorf("tile %d/%d/%d: zoom outside 0..30", z, x, y)
	}
	n := 1 << z
	if x < 0 || x >= n || y < 0 || y >= n {
		return fmt.Errorf("tile %d/%d/%d: x or y outside 0..%d", z, x, y, n-1)
	}
	return nil
}
