package api

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// logLines is a log sink that keeps every line and offers each on lines.
type logLines struct {
	mu    sync.Mutex
	all   []string
	lines chan string
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.all = append(l.all, string(p))
	l.mu.Unlock()
	select {
	case l.lines <- string(p):
	default:
	}
	return len(p), nil
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "")
}

func await[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second): // a guard against hanging, not a synchronisation
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}
