package postgis_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"labmap/data"
	"labmap/geo"

	"github.com/jackc/pgx/v5"
)

// TestDecidedDisclosure checks the outcome of the disclosure rule an import
// keeps beside its version: a server loads it rather than deciding the rule
// at its first request (emptied, the masks open what the rule hides, which
// shows the server reads them), and what it loads is what the server would
// decide itself (with the outcome gone, every answer is the same).
func TestDecidedDisclosure(t *testing.T) {
	ctx := context.Background()
	url := migrated(t)
	res := importFiles(t, url, files(t))
	exec := func(sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	var decided, masks int
	if err := pgxQueryRow(t, url, `SELECT (SELECT count(*) FROM disclosure_decided WHERE version = `+
		strconv.FormatInt(res.DatasetVersion, 10)+`), (SELECT count(*) FROM disclosure_masks)`, &decided, &masks); err != nil {
		t.Fatal(err)
	}
	if decided != len(res.Rounds) || masks == 0 {
		t.Fatalf("the import decided %d rounds of %d, %d masks: the test would prove nothing", decided, len(res.Rounds), masks)
	}
	answers := func() string {
		t.Helper()
		s := openStore(t, url)
		var qs []data.StatsQuery
		for _, r := range res.Rounds {
			for _, l := range []data.Level{data.LevelProvince, data.LevelRegency, data.LevelDistrict, data.LevelVillage, data.LevelZone} {
				qs = append(qs, data.StatsQuery{Level: l, Round: r})
			}
			for _, res := range geo.Resolutions {
				qs = append(qs, data.StatsQuery{Level: data.LevelHexagon, Res: res, Round: r})
			}
		}
		var out []any
		for _, q := range qs {
			rows, err := s.Stats(ctx, q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			out = append(out, rows)
		}
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	stored := answers()
	exec(`UPDATE disclosure_masks SET mask = 0`)
	if answers() == stored {
		t.Error("with the kept masks emptied the answers did not change: the server does not read them")
	}
	exec(`DELETE FROM disclosure_masks; DELETE FROM disclosure_decided`)
	if answers() != stored {
		t.Error("the server's own decision differs from the one the import kept")
	}
}
