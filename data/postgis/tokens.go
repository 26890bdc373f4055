package postgis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"labmap/api/auth"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TokenStore is the auth.Store of a PostGIS database: the tokens table of
// migration 0004. It lives in this package, not a subpackage, because it
// shares the store's pool, its migrations and its classification of
// connection failures as data.ErrUnavailable (a server answers 503 when it
// cannot check a token, not 401).
type TokenStore struct {
	pool  *pgxpool.Pool
	now   func() time.Time
	owned bool // the pool is the TokenStore's own (OpenTokens) and Close closes it
}

var _ auth.Store = (*TokenStore)(nil)

// Tokens returns the token store over s's pool, reading the time from now
// (nil: time.Now).
func (s *Store) Tokens(now func() time.Time) *TokenStore {
	if now == nil {
		now = time.Now
	}
	return &TokenStore{pool: s.pool, now: now}
}

// OpenTokens opens a token store of its own on url, for `labmap token`,
// which needs no aggregates and no listener.
func OpenTokens(ctx context.Context, url string, now func() time.Time) (*TokenStore, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("--database-url: %w", err)
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	if err := checkSchema(ctx, pool); err != nil && !errors.Is(err, errRegistryChanged) {
		pool.Close()
		return nil, classify(err)
	}
	if now == nil {
		now = time.Now
	}
	return &TokenStore{pool: pool, now: now, owned: true}, nil
}

// Close closes the pool of a store from OpenTokens; Tokens' stores share
// their Store's pool and leave it open.
func (t *TokenStore) Close() {
	if t.owned {
		t.pool.Close()
	}
}

// lastUsedEvery bounds the writes Lookup makes: last_used is moved on at
// most once a minute per token, not on every tile request.
const lastUsedEvery = time.Minute

// Lookup implements auth.Store.
func (t *TokenStore) Lookup(ctx context.Context, token string) (auth.Principal, error) {
	if !auth.WellFormed(token) {
		return auth.Principal{}, auth.ErrUnknownToken
	}
	var (
		p        auth.Principal
		revoked  *time.Time
		lastUsed *time.Time
		role     string
	)
	err := t.pool.QueryRow(ctx, `SELECT id, name, role, zones, villages, expires, revoked_at, last_used
		FROM tokens WHERE hash = $1`, auth.Hash(token)).
		Scan(&p.TokenID, &p.Name, &role, &p.Zones, &p.Villages, &p.Expires, &revoked, &lastUsed)
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.Principal{}, auth.ErrUnknownToken
	}
	if err != nil {
		return auth.Principal{}, fmt.Errorf("look up token: %w", classify(err))
	}
	p.Role = auth.Role(role)
	now := t.now()
	switch {
	case revoked != nil:
		return auth.Principal{}, auth.ErrRevoked
	case !now.Before(p.Expires):
		return auth.Principal{}, auth.ErrExpired
	}
	if lastUsed == nil || now.Sub(*lastUsed) >= lastUsedEvery {
		if _, err := t.pool.Exec(ctx, `UPDATE tokens SET last_used = $2 WHERE id = $1`, p.TokenID, now); err != nil {
			return auth.Principal{}, fmt.Errorf("token %d: record use: %w", p.TokenID, classify(err))
		}
	}
	return p, nil
}

// Create implements auth.Store.
func (t *TokenStore) Create(ctx context.Context, req auth.CreateRequest) (string, auth.Principal, error) {
	now := t.now()
	if err := req.Validate(now); err != nil {
		return "", auth.Principal{}, err
	}
	tok, err := auth.NewToken()
	if err != nil {
		return "", auth.Principal{}, err
	}
	zones, villages := req.Zones, req.Villages
	if zones == nil {
		zones = []string{}
	}
	if villages == nil {
		villages = []string{}
	}
	p := auth.Principal{Name: req.Name, Role: req.Role, Zones: req.Zones, Villages: req.Villages}
	err = t.pool.QueryRow(ctx, `INSERT INTO tokens (name, role, zones, villages, hash, created, expires)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, expires`,
		req.Name, string(req.Role), zones, villages, auth.Hash(tok), now, req.Expires).Scan(&p.TokenID, &p.Expires)
	if err != nil {
		return "", auth.Principal{}, fmt.Errorf("create token %q: %w", req.Name, classify(err))
	}
	return tok, p, nil
}

// List implements auth.Store.
func (t *TokenStore) List(ctx context.Context) ([]auth.TokenInfo, error) {
	rows, err := t.pool.Query(ctx, `SELECT id, name, role, zones, villages, expires, created, revoked_at, last_used
		FROM tokens ORDER BY created DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", classify(err))
	}
	defer rows.Close()
	var out []auth.TokenInfo
	for rows.Next() {
		var (
			ti                auth.TokenInfo
			role              string
			revoked, lastUsed *time.Time
		)
		if err := rows.Scan(&ti.TokenID, &ti.Name, &role, &ti.Zones, &ti.Villages, &ti.Expires, &ti.Created, &revoked, &lastUsed); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		ti.Role = auth.Role(role)
		if revoked != nil {
			ti.RevokedAt = *revoked
		}
		if lastUsed != nil {
			ti.LastUsed = *lastUsed
		}
		out = append(out, ti)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", classify(err))
	}
	return out, nil
}

// Revoke implements auth.Store. A name held by several tokens is refused,
// so that one mistyped command cannot cut off a whole team.
func (t *TokenStore) Revoke(ctx context.Context, idOrName string) error {
	id, err := strconv.ParseInt(idOrName, 10, 64)
	if err != nil {
		id = 0 // no token has id 0: match by name only
	}
	tx, err := t.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("revoke token: %w", classify(err))
	}
	defer tx.Rollback(context.Background())
	rows, err := tx.Query(ctx, `SELECT id FROM tokens WHERE id = $1 OR name = $2 FOR UPDATE`, id, idOrName)
	if err != nil {
		return fmt.Errorf("revoke token: %w", classify(err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("revoke token: %w", classify(err))
	}
	switch {
	case len(ids) == 0:
		return fmt.Errorf("no token has id or name %q", idOrName)
	case len(ids) > 1:
		return fmt.Errorf("%d tokens are named %q: revoke one by its id (labmap token list)", len(ids), idOrName)
	}
	if _, err := tx.Exec(ctx, `UPDATE tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1`, ids[0], t.now()); err != nil {
		return fmt.Errorf("revoke token %d: %w", ids[0], classify(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("revoke token %d: %w", ids[0], classify(err))
	}
	return nil
}
