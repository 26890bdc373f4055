package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestImportZoneFlags: --clear-zones and --zones contradict each other, and
// the help says what an import without --zones does.
func TestImportZoneFlags(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		args []string
		code int
		say  string
	}{
		{"both", []string{"import", "--database-url", "postgres://nowhere/db", "--households", "h.csv", "--villages", "v.geojson",
			"--zones", "z.geojson", "--clear-zones"}, 2, "--clear-zones removes the zones and --zones replaces them: give one or the other"},
		{"help", []string{"help", "import"}, 0, "Without --zones the region's zones are kept (--clear-zones\nremoves them)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(ctx, tc.args, &out, &errb)
			if all := out.String() + errb.String(); code != tc.code || !strings.Contains(all, tc.say) {
				t.Errorf("exit %d, want %d; output %q does not say %q", code, tc.code, all, tc.say)
			}
		})
	}
}
