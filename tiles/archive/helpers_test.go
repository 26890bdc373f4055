package archive

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

// Gunzip is gunzip for the package's external tests.
var Gunzip = gunzip

// gunzip decompresses b, failing the test on an error.
func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}
