package data

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenInput(t *testing.T) {
	const text = "household_id,round\nH1,2023-03-01\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(text))
	zw.Close()
	tests := []struct {
		name    string
		content []byte
		want    string
		err     string
	}{
		{"plain.csv", []byte(text), text, ""},
		{"compressed.csv.gz", gz.Bytes(), text, ""},
		// The magic bytes decide, not the name.
		{"compressed-but-named.csv", gz.Bytes(), text, ""},
		{"empty.csv", nil, "", ""},
		{"broken.csv.gz", append([]byte{0x1f, 0x8b}, "not gzip at all"...), "", "broken.csv.gz: gzip:"},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			if err := os.WriteFile(path, tc.content, 0o644); err != nil {
				t.Fatal(err)
			}
			in, err := OpenInput(path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			got, err := io.ReadAll(in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("read %q, want %q", got, tc.want)
			}
			if in.Size() != int64(len(tc.content)) || in.Consumed() != in.Size() {
				t.Errorf("size %d, consumed %d, want both %d", in.Size(), in.Consumed(), len(tc.content))
			}
		})
	}
}
