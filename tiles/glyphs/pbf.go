package glyphs

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The glyph PBF schema (fontnik's glyphs.proto):
//
//	message glyphs    { repeated fontstack stacks = 1; }
//	message fontstack { required string name = 1; required string range = 2; repeated glyph glyphs = 3; }
//	message glyph     { required uint32 id = 1; optional bytes bitmap = 2; required uint32 width = 3;
//	                    required uint32 height = 4; required sint32 left = 5; required sint32 top = 6;
//	                    required uint32 advance = 7; }
//
// Three messages do not warrant a protobuf code generator and its runtime
// in go.mod; the encoder and decoder below are a few varints and lengths.

const (
	wireVarint = 0
	wireBytes  = 2
)

// Stack is one font stack's glyphs for one range, as in the PBF.
type Stack struct {
	Name   string
	Range  string
	Glyphs []Glyph
}

func appendKey(b []byte, field, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field<<3|wire))
}

func appendUint(b []byte, field int, v uint64) []byte {
	return binary.AppendUvarint(appendKey(b, field, wireVarint), v)
}

func appendSint(b []byte, field int, v int32) []byte {
	return appendUint(b, field, uint64(uint32(v<<1)^uint32(v>>31))) // zigzag
}

func appendBytes(b []byte, field int, p []byte) []byte {
	b = binary.AppendUvarint(appendKey(b, field, wireBytes), uint64(len(p)))
	return append(b, p...)
}

// Encode writes stacks as a glyphs message.
func Encode(stacks []Stack) []byte {
	var out []byte
	for _, s := range stacks {
		var sb []byte
		sb = appendBytes(sb, 1, []byte(s.Name))
		sb = appendBytes(sb, 2, []byte(s.Range))
		for _, g := range s.Glyphs {
			var gb []byte
			gb = appendUint(gb, 1, uint64(g.ID))
			if len(g.Bitmap) > 0 {
				gb = appendBytes(gb, 2, g.Bitmap)
			}
			gb = appendUint(gb, 3, uint64(g.Width))
			gb = appendUint(gb, 4, uint64(g.Height))
			gb = appendSint(gb, 5, g.Left)
			gb = appendSint(gb, 6, g.Top)
			gb = appendUint(gb, 7, uint64(g.Advance))
			sb = appendBytes(sb, 3, gb)
		}
		out = appendBytes(out, 1, sb)
	}
	return out
}

// field is one decoded protobuf field: a varint or a length-delimited body.
type field struct {
	num  int
	wire int
	v    uint64
	body []byte
}

// fields splits a message into its fields; only the two wire types the
// schema uses are accepted.
func fields(b []byte) ([]field, error) {
	var out []field
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, errors.New("bad field key")
		}
		b = b[n:]
		f := field{num: int(key >> 3), wire: int(key & 7)}
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, fmt.Errorf("field %d: bad varint", f.num)
		}
		b = b[n:]
		switch f.wire {
		case wireVarint:
			f.v = v
		case wireBytes:
			if v > uint64(len(b)) {
				return nil, fmt.Errorf("field %d: length %d beyond the message", f.num, v)
			}
			f.body, b = b[:v], b[v:]
		default:
			return nil, fmt.Errorf("field %d: wire type %d not in the glyphs schema", f.num, f.wire)
		}
		out = append(out, f)
	}
	return out, nil
}

// Decode reads a glyphs message, as MapLibre does; tests use it to check
// what the server sends.
func Decode(b []byte) ([]Stack, error) {
	top, err := fields(b)
	if err != nil {
		return nil, fmt.Errorf("glyphs: %w", err)
	}
	var stacks []Stack
	for _, tf := range top {
		if tf.num != 1 || tf.wire != wireBytes {
			continue
		}
		sf, err := fields(tf.body)
		if err != nil {
			return nil, fmt.Errorf("fontstack %d: %w", len(stacks), err)
		}
		var s Stack
		for _, f := range sf {
			switch f.num {
			case 1:
				s.Name = string(f.body)
			case 2:
				s.Range = string(f.body)
			case 3:
				gf, err := fields(f.body)
				if err != nil {
					return nil, fmt.Errorf("fontstack %q glyph %d: %w", s.Name, len(s.Glyphs), err)
				}
				var g Glyph
				for _, f := range gf {
					switch f.num {
					case 1:
						g.ID = uint32(f.v)
					case 2:
						g.Bitmap = f.body
					case 3:
						g.Width = uint32(f.v)
					case 4:
						g.Height = uint32(f.v)
					case 5:
						g.Left = int32(uint32(f.v)>>1) ^ -int32(f.v&1)
					case 6:
						g.Top = int32(uint32(f.v)>>1) ^ -int32(f.v&1)
					case 7:
						g.Advance = uint32(f.v)
					}
				}
				s.Glyphs = append(s.Glyphs, g)
			}
		}
		stacks = append(stacks, s)
	}
	return stacks, nil
}
