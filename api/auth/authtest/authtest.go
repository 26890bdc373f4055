// Package authtest checks that an auth.Store behaves as the api relies on:
// the same table of cases runs against the PostGIS store and the demo file
// store, so the two cannot drift apart.
package authtest

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"labmap/api/auth"
)

// Clock is a settable clock for stores that take one.
type Clock struct{ T time.Time }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return c.T }

// Conformance runs the token cases against a fresh store from open, which
// must read the time from clock. stored, when not nil, returns the bytes the
// store keeps for each token (so the test can check that they are the
// token's SHA-256 and never the token).
func Conformance(t *testing.T, open func(t *testing.T, clock *Clock) auth.Store, stored func(t *testing.T, s auth.Store) [][]byte) {
	ctx := context.Background()
	clock := &Clock{T: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)}
	s := open(t, clock)
	mk := func(name string, role auth.Role, zones []string, ttl time.Duration) (string, auth.Principal) {
		t.Helper()
		tok, p, err := s.Create(ctx, auth.CreateRequest{Name: name, Role: role, Zones: zones, Expires: clock.T.Add(ttl)})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if p.Name != name || p.Role != role || p.TokenID == 0 {
			t.Fatalf("create %s: principal %+v", name, p)
		}
		return tok, p
	}
	staff, staffP := mk("Tim Kertijayan", auth.RoleStaff, []string{"urban-kertijayan"}, 90*24*time.Hour)
	analyst, _ := mk("Analis", auth.RoleAnalyst, nil, 24*time.Hour)
	shortLived, _ := mk("short", auth.RoleAdmin, nil, time.Hour)
	revoked, _ := mk("to revoke", auth.RoleAdmin, nil, 24*time.Hour)
	if err := s.Revoke(ctx, "to revoke"); err != nil {
		t.Fatalf("revoke by name: %v", err)
	}
	clock.T = clock.T.Add(2 * time.Hour) // shortLived is now expired

	tampered := []byte(staff)
	if tampered[10] == 'A' {
		tampered[10] = 'B'
	} else {
		tampered[10] = 'A'
	}
	other, _ := auth.NewToken()
	tests := []struct {
		name    string
		token   string
		wantErr error
		want    auth.Role
	}{
		{"staff", staff, nil, auth.RoleStaff},
		{"analyst", analyst, nil, auth.RoleAnalyst},
		{"expired", shortLived, auth.ErrExpired, ""},
		{"revoked", revoked, auth.ErrRevoked, ""},
		{"tampered (one character)", string(tampered), auth.ErrUnknownToken, ""},
		{"unknown", other, auth.ErrUnknownToken, ""},
		{"not a token", "hello", auth.ErrUnknownToken, ""},
		{"empty", "", auth.ErrUnknownToken, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.Lookup(ctx, tc.token)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Lookup: error %v, want %v", err, tc.wantErr)
			}
			if err == nil && p.Role != tc.want {
				t.Fatalf("Lookup: role %s, want %s", p.Role, tc.want)
			}
		})
	}
	p, _ := s.Lookup(ctx, staff)
	if p.TokenID != staffP.TokenID || len(p.Zones) != 1 || p.Zones[0] != "urban-kertijayan" || !p.Expires.Equal(staffP.Expires) {
		t.Errorf("staff principal %+v, created as %+v", p, staffP)
	}

	t.Run("list", func(t *testing.T) {
		list, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 4 {
			t.Fatalf("List: %d tokens, want 4", len(list))
		}
		var sawRevoked bool
		for _, ti := range list {
			if ti.Name == "to revoke" {
				sawRevoked = !ti.RevokedAt.IsZero()
			}
		}
		if !sawRevoked {
			t.Error("List: the revoked token shows no revocation")
		}
	})
	t.Run("revoke by id, unknown, ambiguous", func(t *testing.T) {
		if err := s.Revoke(ctx, "no such token"); err == nil {
			t.Error("revoking an unknown name succeeded")
		}
		mk("twin", auth.RoleAnalyst, nil, time.Hour)
		_, twin := mk("twin", auth.RoleAnalyst, nil, time.Hour)
		if err := s.Revoke(ctx, "twin"); err == nil {
			t.Error("revoking an ambiguous name succeeded")
		}
		if err := s.Revoke(ctx, itoa(twin.TokenID)); err != nil {
			t.Errorf("revoke by id: %v", err)
		}
		if err := s.Revoke(ctx, itoa(staffP.TokenID)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Lookup(ctx, staff); !errors.Is(err, auth.ErrRevoked) {
			t.Errorf("staff after revoke by id: %v, want revoked", err)
		}
	})
	if stored != nil {
		t.Run("only the SHA-256 is stored", func(t *testing.T) {
			kept := stored(t, s)
			if len(kept) == 0 {
				t.Fatal("no stored hashes")
			}
			want := map[string]bool{}
			for _, tok := range []string{staff, analyst, shortLived, revoked} {
				want[string(auth.Hash(tok))] = true
			}
			for _, h := range kept {
				for _, tok := range []string{staff, analyst, shortLived, revoked} {
					if string(h) == tok || len(h) != 32 {
						t.Fatalf("stored value %q is not a SHA-256", h)
					}
				}
				delete(want, string(h))
			}
			if len(want) != 0 {
				t.Errorf("%d tokens' SHA-256 not found among the stored values", len(want))
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
