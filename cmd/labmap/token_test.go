package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"labmap/api"
	"labmap/api/auth"
	"labmap/data/demo"
	"labmap/data/memory"
	"labmap/data/postgis"
	"labmap/data/postgis/pgtest"
)

// TestTokenCommands runs create, list and revoke against PostGIS and
// against a demo tokens file, then checks each token where it matters: in
// a server's answer to it.
func TestTokenCommands(t *testing.T) {
	ctx := context.Background()
	backends := []struct {
		name string
		flag func(t *testing.T) []string
	}{
		{"postgis", func(t *testing.T) []string {
			url := pgtest.NewDatabase(t)
			if _, err := postgis.Migrate(ctx, url, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			return []string{"--database-url", url}
		}},
		{"tokens file", func(t *testing.T) []string {
			return []string{"--tokens-file", filepath.Join(t.TempDir(), "tokens.json")}
		}},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			where := be.flag(t)
			cli := func(wantCode int, args ...string) (string, string) {
				t.Helper()
				var out, errb bytes.Buffer
				if code := run(ctx, append(args, where...), &out, &errb); code != wantCode {
					t.Fatalf("labmap %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, wantCode, &out, &errb)
				}
				return out.String(), errb.String()
			}
			tok, msg := cli(0, "token", "create", "--role", "staff", "--name", "Tim Kertijayan", "--zones", "urban-kertijayan", "--expires", "90d")
			tok = strings.TrimSpace(tok)
			if !auth.WellFormed(tok) {
				t.Fatalf("create printed %q, not a token", tok)
			}
			if !strings.Contains(msg, "only time the token is shown") || strings.Contains(msg, tok) {
				t.Errorf("create's message: %q", msg)
			}
			analyst, _ := cli(0, "token", "create", "--role", "analyst", "--name", "Bappeda")
			analyst = strings.TrimSpace(analyst)

			list, _ := cli(0, "token", "list")
			for _, want := range []string{"Tim Kertijayan", "staff", "zones urban-kertijayan", "Bappeda", "analyst", "active"} {
				if !strings.Contains(list, want) {
					t.Errorf("list lacks %q:\n%s", want, list)
				}
			}
			if strings.Contains(list, tok) || strings.Contains(list, analyst) {
				t.Errorf("list shows a token:\n%s", list)
			}

			var store auth.Store
			if where[0] == "--database-url" {
				s, err := postgis.OpenTokens(ctx, where[1], nil)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				store = s
			} else {
				s, err := auth.OpenFileStore(where[1], nil)
				if err != nil {
					t.Fatal(err)
				}
				store = s
			}
			if p, err := store.Lookup(ctx, tok); err != nil || p.Role != auth.RoleStaff || p.Name != "Tim Kertijayan" {
				t.Fatalf("lookup of the created token: %+v, %v", p, err)
			}

			cli(0, "token", "revoke", "Tim Kertijayan")
			if _, err := store.Lookup(ctx, tok); err == nil {
				t.Fatal("the revoked token still works")
			}
			if p, err := store.Lookup(ctx, analyst); err != nil || p.Role != auth.RoleAnalyst {
				t.Fatalf("revoking one token touched another: %v", err)
			}
			list, _ = cli(0, "token", "list")
			if !strings.Contains(list, "revoked") {
				t.Errorf("list does not show the revocation:\n%s", list)
			}
			_, errText := cli(1, "token", "revoke", "nobody")
			if !strings.Contains(errText, `"nobody"`) {
				t.Errorf("revoking an unknown token: %q", errText)
			}
		})
	}
}

func TestTokenCommandErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tokens.json")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no store", []string{"token", "list"}, "--database-url"},
		{"both stores", []string{"token", "list", "--database-url", "postgres://x", "--tokens-file", file}, "not both"},
		{"no role", []string{"token", "create", "--name", "x", "--tokens-file", file}, "--role"},
		{"public role", []string{"token", "create", "--role", "public", "--name", "x", "--tokens-file", file}, "--role"},
		{"staff without zones", []string{"token", "create", "--role", "staff", "--name", "x", "--tokens-file", file}, "--zones"},
		{"bad expiry", []string{"token", "create", "--role", "admin", "--name", "x", "--expires", "soon", "--tokens-file", file}, "--expires"},
		{"revoke without a name", []string{"token", "revoke", "--tokens-file", file}, "NAME|ID"},
		{"unknown subcommand", []string{"token", "rotate"}, "rotate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(context.Background(), tc.args, &out, &errb); code != 2 || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errb.String(), tc.want)
			}
		})
	}
}

// TestServeTokens checks the memory store's two cases: with a tokens file a
// staff token signs in and the log says it is a demo; without one the token
// is refused with a message naming --tokens-file.
func TestServeTokens(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "tokens.json")
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"token", "create", "--role", "staff", "--name", "Tim", "--zones", "urban-kertijayan", "--tokens-file", file}, &out, &errb); code != 0 {
		t.Fatalf("create: %s", &errb)
	}
	tok := strings.TrimSpace(out.String())
	ds, err := demo.Generate(demo.Options{Households: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	store, err := memory.New(ds, memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, wantLog, wantBody string
		status                        int
	}{
		{"with a tokens file", file, "DEMO token file", `"role":"staff"`, 200},
		{"without", "", "no token store", "--tokens-file", 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logged bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logged, nil))
			tokens, err := serveTokens(store, tc.file, log)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(logged.String(), tc.wantLog) {
				t.Errorf("log %q lacks %q", logged.String(), tc.wantLog)
			}
			h := api.New(store, slog.New(slog.DiscardHandler), api.Options{Tokens: tokens})
			r := httptest.NewRequest(http.MethodGet, "/api/whoami", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			body, _ := io.ReadAll(w.Body)
			if w.Code != tc.status || !strings.Contains(string(body), tc.wantBody) {
				t.Errorf("whoami: %d %s; want %d with %q", w.Code, body, tc.status, tc.wantBody)
			}
		})
	}
}
