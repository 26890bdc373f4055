// Package testsignal holds what tests wait on: a log sink that
// hands each line to the test as it is written, and a receive guarded
// against hanging. It imports nothing of labmap, so any test can use it.
package testsignal

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// Lines is a log sink that keeps every line and offers each on C (without
// blocking the writer when nobody reads).
type Lines struct {
	mu  sync.Mutex
	all []string
	C   chan string
}

// NewLines returns a sink whose channel buffers n lines.
func NewLines(n int) *Lines { return &Lines{C: make(chan string, n)} }

// Write implements io.Writer for slog handlers.
func (l *Lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.all = append(l.all, string(p))
	l.mu.Unlock()
	select {
	case l.C <- string(p):
	default:
	}
	return len(p), nil
}

// String is every line written so far.
func (l *Lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "")
}

// Await receives from ch, failing the test if nothing comes within a
// generous bound: a guard against a hang, not a synchronisation.
func Await[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}
