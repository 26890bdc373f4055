package data

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// InputFile is an input file opened for reading. A gzip-compressed file
// (villages.geojson.gz, households.csv.gz: how boundary files and large
// exports are often shared) is recognised by its magic bytes, whatever its
// name, and decompressed as it is read, so every reader accepts both.
type InputFile struct {
	f    *os.File
	disk countingReader // bytes of the file read from disk, for progress
	r    io.Reader
	size int64
}

// OpenInput opens name for reading, decompressing it when it is gzipped.
func OpenInput(name string) (*InputFile, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	in := &InputFile{f: f}
	in.disk.r = f
	if st, err := f.Stat(); err == nil {
		in.size = st.Size()
	}
	br := bufio.NewReader(&in.disk)
	in.r = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		in.r = zr
	}
	return in, nil
}

// Read reads the file's (decompressed) content.
func (in *InputFile) Read(p []byte) (int, error) { return in.r.Read(p) }

// Close closes the file.
func (in *InputFile) Close() error { return in.f.Close() }

// Size is the file's size on disk, compressed or not.
func (in *InputFile) Size() int64 { return in.size }

// Consumed is how many bytes of the file on disk have been read so far; with
// Size it gives the share done, compressed or not.
func (in *InputFile) Consumed() int64 { return in.disk.n.Load() }

// countingReader counts the bytes read through it; the count may be read
// from another goroutine.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
