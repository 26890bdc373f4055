package auth_test

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"labmap/api/auth"
	"labmap/api/auth/authtest"
)

func TestFileStore(t *testing.T) {
	var path string
	authtest.Conformance(t, func(t *testing.T, clock *authtest.Clock) auth.Store {
		path = filepath.Join(t.TempDir(), "tokens.json")
		s, err := auth.OpenFileStore(path, clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, func(t *testing.T, _ auth.Store) [][]byte {
		// Read the file as a server would, not the store's memory.
		s, err := auth.OpenFileStore(path, nil)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), auth.TokenPrefix) {
			t.Errorf("the tokens file contains a token: %s", b)
		}
		if s.Len() != 6 {
			t.Errorf("reopened file has %d tokens, want 6 (four, then two twins)", s.Len())
		}
		var out [][]byte
		var raw []auth.FileToken
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		for _, ft := range raw {
			h, err := hex.DecodeString(ft.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, h)
		}
		return out
	})
}

func TestOpenFileStoreErrors(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"not json", "lm_abc", "not a JSON array"},
		{"bad hash", `[{"name":"x","role":"staff","sha256":"abc","expires":"2030-01-01T00:00:00Z"}]`, `token 1 ("x"): sha256 must be 64 hex digits`},
		{"bad role", `[{"name":"x","role":"root","sha256":"` + strings.Repeat("ab", 32) + `","expires":"2030-01-01T00:00:00Z"}]`, `token 1 ("x"): role "root"`},
		{"no expiry", `[{"name":"x","role":"admin","sha256":"` + strings.Repeat("ab", 32) + `"}]`, "expires is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokens.json")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := auth.OpenFileStore(path, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--tokens-file") {
				t.Fatalf("error %v, want one naming --tokens-file and %q", err, tc.want)
			}
		})
	}
}
