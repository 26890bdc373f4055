package postgis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"

	"labmap/data"

	"github.com/jackc/pgx/v5"
)

// regionCode is a province, regency, district or village code: what a
// removal may name.
var regionCode = regexp.MustCompile(`^[0-9]{2}(\.[0-9]{2}){0,2}(\.[0-9]{4})?$`)

// RemoveRegion removes a region — a province, regency or district, by its
// code — in one transaction: its households of every round, its villages,
// districts and zones, its regency and province rows when nothing else is
// left in them. The rest of the database is refreshed as after an import
// of the region (finishRegion): the other regions' rows stay as they were,
// the hexagons its households held are recomputed from the households left
// in them, and the version moves on. The result is the database an import
// of everything but the region would have made.
func RemoveRegion(ctx context.Context, url, code string, opt ImportOptions) (ImportResult, error) {
	var res ImportResult
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if !regionCode.MatchString(code) {
		return res, fmt.Errorf("remove region %q: not a province, regency or district code (such as 33 or 33.25)", code)
	}
	sc := scope(code)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return res, fmt.Errorf("remove region %s: connect: %w", code, classify(err))
	}
	defer conn.Close(context.Background())
	if err := checkSchemaVersion(ctx, conn); err != nil {
		return res, fmt.Errorf("remove region %s: %w", code, err)
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if err := lockScope(ctx, tx, sc, log); err != nil {
			return err
		}
		before, err := scopeAreas(ctx, tx, sc)
		if err != nil {
			return err
		}
		if len(before.villages) == 0 {
			return errNothingThere
		}
		if err := noteRegionBoxes(ctx, tx, sc); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE import_cells (res smallint, cell bigint, PRIMARY KEY (res, cell)) ON COMMIT DROP`); err != nil {
			return fmt.Errorf("note cells: %w", err)
		}
		cells := hexGrouping(", ", func(r int) string { return fmt.Sprintf("(%[1]d, d.h3_r%[1]d)", r) })
		noted, err := tx.Exec(ctx, `WITH d AS (DELETE FROM households WHERE province = $2 AND `+sqlHolds("village_code", 1)+` RETURNING *)
			INSERT INTO import_cells SELECT DISTINCT x.res, x.cell FROM d CROSS JOIN LATERAL (VALUES `+cells+`) x(res, cell)
			ON CONFLICT DO NOTHING`, string(sc), sc.province())
		if err != nil {
			return fmt.Errorf("remove households: %w", err)
		}
		log.Info("households removed", "cells noted", noted.RowsAffected())
		if err := replaceAreas(ctx, tx, data.Dataset{}, sc); err != nil {
			return err
		}
		if err := sumScope(stepper(ctx, tx, log), sc.province(), before.villages); err != nil {
			return err
		}
		res.DatasetVersion, res.Households, err = finishRegion(ctx, tx, log, finish{
			scope: sc, zones: before.zones, opt: opt,
		})
		return err
	})
	if errors.Is(err, errNothingThere) {
		return ImportResult{}, fmt.Errorf("remove region %s: the database holds no village there", code)
	}
	if err != nil {
		return ImportResult{}, fmt.Errorf("remove region %s: %w", code, classify(err))
	}
	return res, nil
}

var errNothingThere = errors.New("no village in the region")
