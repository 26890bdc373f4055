// Package auth holds labmap's roles, the principal a request acts as, and
// the bearer tokens that name a principal. It knows no HTTP and no database:
// the api package reads the token from a request, a Store (PostGIS, or a
// demo file) turns it into a Principal, and handlers ask the Principal what
// it may see.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Role is what a principal may see.
type Role string

// The roles, from least to most. Public is every request without a token.
const (
	// RolePublic sees suppressed aggregates only.
	RolePublic Role = "public"
	// RoleAnalyst sees unsuppressed aggregates but no household.
	RoleAnalyst Role = "analyst"
	// RoleStaff sees the households of the villages and zones its token grants.
	RoleStaff Role = "staff"
	// RoleAdmin manages tokens and reads the audit; it sees every household.
	RoleAdmin Role = "admin"
)

// ParseRole reads a role name as given to `labmap token create --role`.
// Public is not a role a token can have: it is the absence of a token.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleAnalyst, RoleStaff, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("role %q: must be analyst, staff or admin", s)
}

// Principal is who a request acts as. The zero value is not valid; use
// Public() or FromContext.
type Principal struct {
	// TokenID is the token's row id; 0 for the public principal.
	TokenID int64 `json:"-"`
	// Name names the token's holder (a team, a person); safe to log.
	Name string `json:"name,omitempty"`
	// Role is what the principal may see.
	Role Role `json:"role"`
	// Zones and Villages are the household grants of a staff token: zone
	// codes (e.g. urban-kertijayan) and village codes (33.26.13.2008).
	Zones    []string `json:"zones,omitempty"`
	Villages []string `json:"villages,omitempty"`
	// Expires is when the token stops working; zero for the public principal.
	Expires time.Time `json:"expires,omitzero"`
}

// Public is the principal of a request without a token.
func Public() Principal { return Principal{Role: RolePublic} }

// IsPublic reports whether p is the unauthenticated principal.
func (p Principal) IsPublic() bool { return p.Role == RolePublic || p.Role == "" }

// CanSeeUnsuppressed reports whether p may see aggregates below the
// suppression threshold (analyst and admin; staff sees households of its
// grant, not the region's unsuppressed figures).
func (p Principal) CanSeeUnsuppressed() bool {
	return p.Role == RoleAnalyst || p.Role == RoleAdmin
}

// CanSeeHouseholds reports whether p may see any household at all; which
// ones is Grants.
func (p Principal) CanSeeHouseholds() bool {
	return p.Role == RoleStaff || p.Role == RoleAdmin
}

// IsAdmin reports whether p may manage tokens and read the audit.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin }

// Grants reports whether p may see the households of the village with
// code villageCode, which belongs to the zones zonesOfVillage: an admin sees
// all; staff sees a village granted by code or through one of its zones.
func (p Principal) Grants(villageCode string, zonesOfVillage []string) bool {
	switch p.Role {
	case RoleAdmin:
		return true
	case RoleStaff:
		if slices.Contains(p.Villages, villageCode) {
			return true
		}
		for _, z := range zonesOfVillage {
			if slices.Contains(p.Zones, z) {
				return true
			}
		}
	}
	return false
}

// String is what a log line says of p: the token's name and id, never
// the token (a Principal does not hold it).
func (p Principal) String() string {
	if p.IsPublic() {
		return "public"
	}
	return fmt.Sprintf("%s token %d %q", p.Role, p.TokenID, p.Name)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal ctx carries, or Public() when none.
func FromContext(ctx context.Context) Principal {
	if p, ok := ctx.Value(principalKey{}).(Principal); ok {
		return p
	}
	return Public()
}

// Errors a Store's Lookup returns; the api answers each with 401.
var (
	// ErrUnknownToken: no token has this hash (mistyped, tampered, or never issued).
	ErrUnknownToken = errors.New("unknown token")
	// ErrExpired: the token's expiry has passed.
	ErrExpired = errors.New("token expired")
	// ErrRevoked: the token was revoked.
	ErrRevoked = errors.New("token revoked")
	// ErrNoTokens: this server has no token store (the memory store
	// without --tokens-file), so no token can be valid.
	ErrNoTokens = errors.New("this server has no token store: start it with --database-url, or --tokens-file for a demo")
)

// CreateRequest describes a token to issue.
type CreateRequest struct {
	Name     string
	Role     Role
	Zones    []string
	Villages []string
	// Expires is the absolute expiry; it must be in the future.
	Expires time.Time
}

// Validate checks r as `labmap token create` would.
func (r CreateRequest) Validate(now time.Time) error {
	if strings.TrimSpace(r.Name) == "" {
		return errors.New("--name: a token needs a name (who holds it)")
	}
	if _, err := ParseRole(string(r.Role)); err != nil {
		return fmt.Errorf("--role: %w", err)
	}
	if r.Role == RoleStaff && len(r.Zones) == 0 && len(r.Villages) == 0 {
		return errors.New("--zones/--villages: a staff token needs at least one zone or village to see")
	}
	if r.Role != RoleStaff && (len(r.Zones) > 0 || len(r.Villages) > 0) {
		return fmt.Errorf("--zones/--villages: only staff tokens are limited to zones or villages (role %s)", r.Role)
	}
	if !r.Expires.After(now) {
		return errors.New("--expires: the expiry must be in the future")
	}
	return nil
}

// TokenInfo is what `labmap token list` shows of a token: never the token
// or its hash.
type TokenInfo struct {
	Principal
	Created   time.Time
	RevokedAt time.Time // zero while valid
	LastUsed  time.Time // zero if never used
}

// Store finds principals by token and manages tokens.
type Store interface {
	// Lookup returns the principal of token, or ErrUnknownToken,
	// ErrExpired or ErrRevoked (other errors: the store failed).
	Lookup(ctx context.Context, token string) (Principal, error)
	// Create issues a new token; the token is returned once and only its
	// hash is kept.
	Create(ctx context.Context, req CreateRequest) (token string, p Principal, err error)
	// List returns every token, newest first.
	List(ctx context.Context) ([]TokenInfo, error)
	// Revoke revokes the token with this id (digits) or name; it fails
	// when none or more than one token has that name.
	Revoke(ctx context.Context, idOrName string) error
}

// TokenPrefix starts every labmap token, so a leaked one is recognisable
// (secret scanners, log greps) and not mistaken for another system's.
const TokenPrefix = "lm_"

// tokenBytes is the token's randomness: 256 bits.
const tokenBytes = 32

// NewToken returns a fresh token: TokenPrefix and 32 random bytes in
// unpadded base64url (46 characters in all, safe in headers and shells).
func NewToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token randomness: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// WellFormed reports whether s has a token's shape, so that a request
// with garbage is refused without a store lookup.
func WellFormed(s string) bool {
	if !strings.HasPrefix(s, TokenPrefix) {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s[len(TokenPrefix):])
	return err == nil && len(b) == tokenBytes
}

// Hash is what a store keeps of a token: its SHA-256.
//
// A fast hash is enough here, unlike for passwords: argon2id and its kind
// are slow so that guessing a low-entropy password from its hash costs
// much per guess. A token is 256 bits from the system's random source, so
// there is nothing to guess — 2^256 SHA-256 evaluations is out of reach at
// any speed — and a slow hash would only make every request slower and
// hand a brute-forcer a way to load the server. A plain hash also lets the
// store find a token by an indexed equality, without a per-row salt.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// ParseExpiry reads a --expires value: a duration in days (90d), hours
// (12h) or weeks (4w), or a date (2025-12-31, end of that day UTC),
// relative to now.
func ParseExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Add(24*time.Hour - time.Second), nil
	}
	if len(s) >= 2 {
		var n int
		if _, err := fmt.Sscanf(s[:len(s)-1], "%d", &n); err == nil && n > 0 && fmt.Sprint(n) == s[:len(s)-1] {
			switch s[len(s)-1] {
			case 'd':
				return now.AddDate(0, 0, n), nil
			case 'w':
				return now.AddDate(0, 0, 7*n), nil
			case 'h':
				return now.Add(time.Duration(n) * time.Hour), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("--expires %q: give days (90d), weeks (4w), hours (12h) or a date (2025-12-31)", s)
}
