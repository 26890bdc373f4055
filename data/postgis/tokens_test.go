package postgis_test

import (
	"context"
	"testing"

	"labmap/api/auth"
	"labmap/api/auth/authtest"
	"labmap/data/postgis"
	"labmap/data/postgis/pgtest"

	"github.com/jackc/pgx/v5"
)

func TestTokenStore(t *testing.T) {
	var url string
	authtest.Conformance(t, func(t *testing.T, clock *authtest.Clock) auth.Store {
		url = pgtest.NewDatabase(t)
		ctx := context.Background()
		if _, err := postgis.Migrate(ctx, url, quiet); err != nil {
			t.Fatal(err)
		}
		s, err := postgis.OpenTokens(ctx, url, clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}, func(t *testing.T, _ auth.Store) [][]byte {
		// Read the table itself, not through the store.
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		rows, _ := conn.Query(ctx, `SELECT hash FROM tokens`)
		hashes, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			t.Fatal(err)
		}
		var lm int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM tokens t WHERE position(convert_to('lm_', 'UTF8') in t.hash) = 1 OR row_to_json(t)::text LIKE '%lm\_%'`).Scan(&lm); err != nil {
			t.Fatal(err)
		}
		if lm != 0 {
			t.Errorf("%d token rows hold something that looks like a token", lm)
		}
		return hashes
	})
}
