package auth

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"
)

// FileToken is one token of a demo tokens file: its SHA-256 in hex and the
// principal it names. The file holds no token, so it can be shown around.
type FileToken struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Zones     []string  `json:"zones,omitempty"`
	Villages  []string  `json:"villages,omitempty"`
	SHA256    string    `json:"sha256"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// FileStore is the demo token store: tokens kept in a JSON file beside a
// server that has no database. It exists so the demo can show the staff
// and analyst views; the system of record for tokens is PostGIS, where
// tokens are listed, revoked and audited with the data they open.
// Lookups do not record last use (the file is not rewritten per request).
type FileStore struct {
	path string
	now  func() time.Time

	mu     sync.Mutex
	tokens []FileToken
	stamp  fileStamp // of the file tokens were read from
}

// fileStamp tells whether the file changed since it was read: a token
// created or revoked by `labmap token` in another process takes effect in a
// running server without a restart.
type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{fi.ModTime(), fi.Size()}
}

// OpenFileStore reads the tokens file at path; a missing file is an empty
// store that Create will write. now is the clock (nil: time.Now).
func OpenFileStore(path string, now func() time.Time) (*FileStore, error) {
	if now == nil {
		now = time.Now
	}
	s := &FileStore{path: path, now: now}
	tokens, stamp, err := readTokensFile(path)
	if err != nil {
		return nil, err
	}
	s.tokens, s.stamp = tokens, stamp
	return s, nil
}

// readTokensFile reads and checks a tokens file; a missing file has none.
func readTokensFile(path string) ([]FileToken, fileStamp, error) {
	stamp := stampOf(path)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fileStamp{}, nil
	}
	if err != nil {
		return nil, stamp, fmt.Errorf("--tokens-file: %w", err)
	}
	var tokens []FileToken
	if err := json.Unmarshal(b, &tokens); err != nil {
		return nil, stamp, fmt.Errorf("--tokens-file %s: not a JSON array of tokens: %w", path, err)
	}
	seen := map[string]bool{}
	for i, t := range tokens {
		h, err := hex.DecodeString(t.SHA256)
		if err != nil || len(h) != 32 {
			return nil, stamp, fmt.Errorf("--tokens-file %s: token %d (%q): sha256 must be 64 hex digits", path, i+1, t.Name)
		}
		if seen[t.SHA256] {
			return nil, stamp, fmt.Errorf("--tokens-file %s: token %d (%q): sha256 repeats an earlier token", path, i+1, t.Name)
		}
		seen[t.SHA256] = true
		if _, err := ParseRole(string(t.Role)); err != nil {
			return nil, stamp, fmt.Errorf("--tokens-file %s: token %d (%q): %w", path, i+1, t.Name, err)
		}
		if t.Expires.IsZero() {
			return nil, stamp, fmt.Errorf("--tokens-file %s: token %d (%q): expires is required", path, i+1, t.Name)
		}
	}
	return tokens, stamp, nil
}

// refresh rereads the file when it changed on disk. A file that became
// unreadable or invalid keeps the tokens last read: the server goes on, and
// `labmap token` reports the file's error to whoever broke it. s.mu is held.
func (s *FileStore) refresh() {
	if stampOf(s.path) == s.stamp {
		return
	}
	if tokens, stamp, err := readTokensFile(s.path); err == nil {
		s.tokens, s.stamp = tokens, stamp
	}
}

// Len is the number of tokens in the file, revoked and expired included.
func (s *FileStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tokens)
}

func (t FileToken) principal() Principal {
	return Principal{TokenID: t.ID, Name: t.Name, Role: t.Role, Zones: t.Zones, Villages: t.Villages, Expires: t.Expires}
}

// Lookup implements Store.
func (s *FileStore) Lookup(_ context.Context, token string) (Principal, error) {
	if !WellFormed(token) {
		return Principal{}, ErrUnknownToken
	}
	h := hex.EncodeToString(Hash(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh()
	for _, t := range s.tokens {
		if t.SHA256 != h {
			continue
		}
		switch {
		case !t.RevokedAt.IsZero():
			return Principal{}, ErrRevoked
		case !s.now().Before(t.Expires):
			return Principal{}, ErrExpired
		}
		return t.principal(), nil
	}
	return Principal{}, ErrUnknownToken
}

// Create implements Store, writing the file anew.
func (s *FileStore) Create(_ context.Context, req CreateRequest) (string, Principal, error) {
	if err := req.Validate(s.now()); err != nil {
		return "", Principal{}, err
	}
	tok, err := NewToken()
	if err != nil {
		return "", Principal{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh()
	var id int64
	for _, t := range s.tokens {
		id = max(id, t.ID)
	}
	t := FileToken{ID: id + 1, Name: req.Name, Role: req.Role, Zones: req.Zones, Villages: req.Villages,
		SHA256: hex.EncodeToString(Hash(tok)), Created: s.now().UTC().Truncate(time.Second), Expires: req.Expires.UTC()}
	next := append(slices.Clip(s.tokens), t)
	if err := s.write(next); err != nil {
		return "", Principal{}, err
	}
	s.tokens = next
	return tok, t.principal(), nil
}

// List implements Store.
func (s *FileStore) List(context.Context) ([]TokenInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh()
	out := make([]TokenInfo, 0, len(s.tokens))
	for i := len(s.tokens) - 1; i >= 0; i-- {
		t := s.tokens[i]
		out = append(out, TokenInfo{Principal: t.principal(), Created: t.Created, RevokedAt: t.RevokedAt})
	}
	return out, nil
}

// Revoke implements Store, writing the file anew.
func (s *FileStore) Revoke(_ context.Context, idOrName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh()
	id, byID := strconv.ParseInt(idOrName, 10, 64)
	var hits []int
	for i, t := range s.tokens {
		if (byID == nil && t.ID == id) || t.Name == idOrName {
			hits = append(hits, i)
		}
	}
	switch {
	case len(hits) == 0:
		return fmt.Errorf("no token has id or name %q", idOrName)
	case len(hits) > 1:
		return fmt.Errorf("%d tokens are named %q: revoke one by its id (labmap token list)", len(hits), idOrName)
	}
	next := slices.Clone(s.tokens)
	if next[hits[0]].RevokedAt.IsZero() {
		next[hits[0]].RevokedAt = s.now().UTC().Truncate(time.Second)
	}
	if err := s.write(next); err != nil {
		return err
	}
	s.tokens = next
	return nil
}

// write replaces the file through a temporary file and a rename, so a
// server reading it never sees half a file.
func (s *FileStore) write(tokens []FileToken) error {
	b, err := json.MarshalIndent(tokens, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(s.path), ".tokens-*.json")
	if err != nil {
		return fmt.Errorf("write tokens file: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write tokens file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write tokens file: %w", err)
	}
	if err := os.Rename(f.Name(), s.path); err != nil {
		return fmt.Errorf("write tokens file: %w", err)
	}
	s.stamp = stampOf(s.path)
	return nil
}

// NoTokens is the token store of a server without one (the memory store
// without --tokens-file): every token is refused with ErrNoTokens, so a
// staff member learns what the server lacks instead of "invalid token".
type NoTokens struct{}

// Lookup implements Store.
func (NoTokens) Lookup(context.Context, string) (Principal, error) { return Principal{}, ErrNoTokens }

// Create implements Store.
func (NoTokens) Create(context.Context, CreateRequest) (string, Principal, error) {
	return "", Principal{}, ErrNoTokens
}

// List implements Store.
func (NoTokens) List(context.Context) ([]TokenInfo, error) { return nil, nil }

// Revoke implements Store.
func (NoTokens) Revoke(context.Context, string) error { return ErrNoTokens }
