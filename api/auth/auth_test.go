package auth

import (
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"
)

func TestGrants(t *testing.T) {
	staff := Principal{TokenID: 1, Name: "Tim", Role: RoleStaff, Zones: []string{"urban-kertijayan"}, Villages: []string{"33.26.13.2008"}}
	tests := []struct {
		name    string
		p       Principal
		village string
		zones   []string
		want    bool
	}{
		{"staff, village by zone", staff, "33.26.13.2001", []string{"rural-x", "urban-kertijayan"}, true},
		{"staff, village by code", staff, "33.26.13.2008", nil, true},
		{"staff, other village", staff, "33.26.13.2001", []string{"rural-x"}, false},
		{"admin sees all", Principal{Role: RoleAdmin}, "33.26.13.2001", nil, true},
		{"analyst sees none", Principal{Role: RoleAnalyst}, "33.26.13.2008", []string{"urban-kertijayan"}, false},
		{"public sees none", Public(), "33.26.13.2008", []string{"urban-kertijayan"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Grants(tc.village, tc.zones); got != tc.want {
				t.Errorf("Grants(%q, %v) = %v, want %v", tc.village, tc.zones, got, tc.want)
			}
		})
	}
}

func TestRoleAbilities(t *testing.T) {
	tests := []struct {
		role                          Role
		households, unsuppressed, adm bool
	}{
		{RolePublic, false, false, false},
		{RoleAnalyst, false, true, false},
		{RoleStaff, true, false, false},
		{RoleAdmin, true, true, true},
	}
	for _, tc := range tests {
		t.Run(string(tc.role), func(t *testing.T) {
			p := Principal{Role: tc.role}
			if p.CanSeeHouseholds() != tc.households || p.CanSeeUnsuppressed() != tc.unsuppressed || p.IsAdmin() != tc.adm {
				t.Errorf("%s: households %v unsuppressed %v admin %v", tc.role, p.CanSeeHouseholds(), p.CanSeeUnsuppressed(), p.IsAdmin())
			}
		})
	}
}

func TestContext(t *testing.T) {
	if p := FromContext(context.Background()); !p.IsPublic() {
		t.Fatalf("no principal in context: got %v, want public", p)
	}
	want := Principal{TokenID: 7, Name: "x", Role: RoleAnalyst}
	if got := FromContext(WithPrincipal(context.Background(), want)); got.TokenID != 7 || got.Role != RoleAnalyst {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestNewTokenAndHash(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if a == b {
		t.Fatal("two tokens are equal")
	}
	if !strings.HasPrefix(a, TokenPrefix) || len(a) != len(TokenPrefix)+43 || !WellFormed(a) {
		t.Fatalf("token %q: not lm_ + 43 base64url characters", a)
	}
	sum := sha256.Sum256([]byte(a))
	if string(Hash(a)) != string(sum[:]) {
		t.Fatal("Hash is not the SHA-256 of the token")
	}
	for _, bad := range []string{"", "lm_", a[:len(a)-1], "xx" + a[2:], a + "A", strings.Replace(a, a[5:6], "!", 1)} {
		if WellFormed(bad) {
			t.Errorf("WellFormed(%q) = true", bad)
		}
	}
}

func TestParseExpiry(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"90d", now.AddDate(0, 0, 90), false},
		{"2w", now.AddDate(0, 0, 14), false},
		{"12h", now.Add(12 * time.Hour), false},
		{"2025-12-31", time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC), false},
		{"0d", time.Time{}, true},
		{"-5d", time.Time{}, true},
		{"90", time.Time{}, true},
		{"soon", time.Time{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseExpiry(tc.in, now)
			if (err != nil) != tc.wantErr || !got.Equal(tc.want) {
				t.Errorf("ParseExpiry(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestCreateRequestValidate(t *testing.T) {
	now := time.Now()
	later := now.Add(time.Hour)
	tests := []struct {
		name string
		req  CreateRequest
		ok   bool
	}{
		{"staff with zone", CreateRequest{Name: "Tim", Role: RoleStaff, Zones: []string{"z"}, Expires: later}, true},
		{"analyst", CreateRequest{Name: "A", Role: RoleAnalyst, Expires: later}, true},
		{"staff without grant", CreateRequest{Name: "Tim", Role: RoleStaff, Expires: later}, false},
		{"analyst with zone", CreateRequest{Name: "A", Role: RoleAnalyst, Zones: []string{"z"}, Expires: later}, false},
		{"public role", CreateRequest{Name: "P", Role: RolePublic, Expires: later}, false},
		{"no name", CreateRequest{Role: RoleAdmin, Expires: later}, false},
		{"past expiry", CreateRequest{Name: "A", Role: RoleAdmin, Expires: now.Add(-time.Hour)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.req.Validate(now); (err == nil) != tc.ok {
				t.Errorf("Validate = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
