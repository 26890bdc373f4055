package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// TestServeOpsFlags: limits that cannot work are refused before anything
// is loaded, naming the flag.
func TestServeOpsFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--write-timeout", "20s"}, "--write-timeout"}, // below the 30s request timeout
		{[]string{"--request-timeout", "2m"}, "--write-timeout"},
		{[]string{"--idle-timeout", "0s"}, "--idle-timeout"},
		{[]string{"--read-header-timeout", "-1s"}, "--read-header-timeout"},
		{[]string{"--queue-wait", "0s"}, "--queue-wait"},
		{[]string{"--max-header-bytes", "100"}, "--max-header-bytes"},
		{[]string{"--max-in-flight", "-2"}, "--max-in-flight"},
		{[]string{"--replica-url", "postgres://127.0.0.1:1/labmap"}, "--replica-url"}, // without --database-url
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			err := runServe(context.Background(), tc.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}
