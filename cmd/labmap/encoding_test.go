package main

import (
	"context"
	"labmap/internal/testsignal"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEncodingFlag: a Windows-1252 households file is refused with the fix,
// read with --encoding or LABMAP_ENCODING, and a bad name is a usage error.
func TestEncodingFlag(t *testing.T) {
	dir := t.TempDir()
	villages := filepath.Join(dir, "villages.geojson")
	households := filepath.Join(dir, "households.csv")
	sq := `[[[109.6,-6.95],[109.7,-6.95],[109.7,-6.9],[109.6,-6.9],[109.6,-6.95]]]`
	if err := os.WriteFile(villages, []byte(`{"type":"FeatureCollection","features":[`+
		`{"type":"Feature","properties":{"KDEPUM":"3326142009","nama":"Kertijayan"},"geometry":{"type":"Polygon","coordinates":`+sq+`}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// Windows-1252, semicolons and decimal commas, as Indonesian Excel saves it.
	csv := "sep=;\r\nhousehold_id;round;lon;lat;village_code;head_name;members;poverty_status\r\n" +
		"H1;2023-03-01;109,65;-6,92;3326142009;Kertijayan \x96 Buaran;4;poor\r\n"
	if err := os.WriteFile(households, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"check", "--villages", villages, "--households", households, "--village-code-field", "KDEPUM", "--village-name-field", "nama"}
	tests := []struct {
		name    string
		args    []string
		env     string
		code    int
		mention string
	}{
		{"refused with the fix", args, "", 1, households + `: line 3, field head_name: "Kertijayan \x96 Buaran" is not valid UTF-8 (byte 0x96); read as Windows-1252 it is "Kertijayan – Buaran": ` +
			`the file looks like Windows-1252 (Excel's "CSV" on Windows): read it with --encoding windows-1252, or save it as "CSV UTF-8"`},
		{"--encoding", append(args, "--encoding", "windows-1252"), "", 0, "1 household rows"},
		{"LABMAP_ENCODING", args, "cp1252", 0, "1 household rows"},
		{"unknown encoding", append(args, "--encoding", "ebcdic"), "", 2, `encoding "ebcdic" is not one of utf-8, windows-1252, utf-16`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("LABMAP_ENCODING", tc.env)
			}
			var out, errb testsignal.Lines
			code := run(context.Background(), tc.args, &out, &errb)
			all := out.String() + errb.String()
			if code != tc.code || !strings.Contains(all, tc.mention) {
				t.Fatalf("exit %d, want %d; output does not mention %q:\n%s", code, tc.code, tc.mention, all)
			}
		})
	}
}
