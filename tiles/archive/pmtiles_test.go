package archive

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// The expected ids are those of the pmtiles npm package's zxyToTileId
// (the reader the offline pack uses), computed with it once.
func TestTileID(t *testing.T) {
	for _, tc := range []struct {
		name    string
		z, x, y int
		want    uint64
	}{
		{"z0", 0, 0, 0, 0},
		{"z1 north-west", 1, 0, 0, 1},
		{"z1 south-west", 1, 0, 1, 2},
		{"z1 south-east", 1, 1, 1, 3},
		{"z1 north-east", 1, 1, 0, 4},
		{"z2 first", 2, 0, 0, 5},
		{"z12", 12, 3423, 1763, 19078479},
		{"z15", 15, 26000, 16000, 1226627327},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := TileID(tc.z, tc.x, tc.y); got != tc.want {
				t.Errorf("TileID(%d, %d, %d) = %d, want %d", tc.z, tc.x, tc.y, got, tc.want)
			}
		})
	}
}

// TestDirectoriesSplitIntoLeaves writes more entries than a root directory
// holds and reads the leaves back.
func TestDirectoriesSplitIntoLeaves(t *testing.T) {
	for _, tc := range []struct {
		name       string
		entries    int
		wantLeaves bool
	}{
		{"small root only", 100, false},
		{"large with leaves", 60000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var entries []pmEntry
			for i := range tc.entries {
				// Scattered ids and offsets defeat the delta encoding, as
				// a real sparse archive does.
				entries = append(entries, pmEntry{TileID: uint64(i) * 7919, Offset: uint64(i) * 104729, Length: uint32(1000 + i%977), RunLength: 1})
			}
			root, leaves, err := buildDirectories(entries)
			if err != nil {
				t.Fatal(err)
			}
			if pmHeaderLen+len(root) > pmRootMax {
				t.Errorf("root directory is %d bytes; header and root must fit in %d", len(root), pmRootMax)
			}
			if (len(leaves) > 0) != tc.wantLeaves {
				t.Fatalf("leaves: %d bytes, want leaves %v", len(leaves), tc.wantLeaves)
			}
			got := decodeDirectory(t, root)
			if !tc.wantLeaves {
				if len(got) != len(entries) {
					t.Fatalf("root has %d entries, want %d", len(got), len(entries))
				}
				return
			}
			var all []pmEntry
			for _, p := range got {
				if p.RunLength != 0 {
					t.Fatalf("root entry %+v is not a leaf pointer", p)
				}
				all = append(all, decodeDirectory(t, leaves[p.Offset:p.Offset+uint64(p.Length)])...)
			}
			if len(all) != len(entries) {
				t.Fatalf("leaves hold %d entries, want %d", len(all), len(entries))
			}
			for i := range all {
				if all[i] != entries[i] {
					t.Fatalf("entry %d = %+v, want %+v", i, all[i], entries[i])
				}
			}
		})
	}
}

// decodeDirectory reads a gzipped directory as the spec describes it.
func decodeDirectory(t *testing.T, gz []byte) []pmEntry {
	t.Helper()
	raw := gunzip(t, gz)
	r := bytes.NewReader(raw)
	next := func() uint64 {
		v, err := binary.ReadUvarint(r)
		if err != nil {
			t.Fatalf("directory: %v", err)
		}
		return v
	}
	n := next()
	out := make([]pmEntry, n)
	var id uint64
	for i := range out {
		id += next()
		out[i].TileID = id
	}
	for i := range out {
		out[i].RunLength = uint32(next())
	}
	for i := range out {
		out[i].Length = uint32(next())
	}
	for i := range out {
		v := next()
		if v == 0 && i > 0 {
			out[i].Offset = out[i-1].Offset + uint64(out[i-1].Length)
		} else {
			out[i].Offset = v - 1
		}
	}
	return out
}
