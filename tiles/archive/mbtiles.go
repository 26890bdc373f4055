package archive

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver MBTiles is written with
)

// MBTiles writes an MBTiles 1.3 file of vector tiles: tiles gzipped (as the
// spec requires for pbf and GDAL expects), rows in the TMS scheme (y
// counted from the south), and metadata with the `json` vector_layers
// entry GDAL and QGIS read the layers from.
type MBTiles struct {
	path string
	db   *sql.DB
	tx   *sql.Tx
	ins  *sql.Stmt
	md   Metadata
}

// NewMBTiles creates the file at path, which must not exist yet.
func NewMBTiles(ctx context.Context, path string, md Metadata) (*MBTiles, error) {
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("%s exists", path)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=rwc&_journal_mode=MEMORY&_synchronous=OFF")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m := &MBTiles{path: path, db: db, md: md}
	if err := m.start(ctx); err != nil {
		db.Close()
		os.Remove(path)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func (m *MBTiles) start(ctx context.Context) error {
	for _, q := range []string{
		`CREATE TABLE metadata (name TEXT, value TEXT)`,
		`CREATE UNIQUE INDEX name ON metadata (name)`,
		`CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)`,
		`CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)`,
	} {
		if _, err := m.db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	var err error
	if m.tx, err = m.db.BeginTx(ctx, nil); err != nil {
		return err
	}
	m.ins, err = m.tx.PrepareContext(ctx, `INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)`)
	return err
}

// Add stores one tile, gzipped, at its TMS row.
func (m *MBTiles) Add(z, x, y int, mvt []byte) error {
	if err := checkZXY(z, x, y); err != nil {
		return err
	}
	gz, err := gzipBytes(mvt)
	if err != nil {
		return err
	}
	if _, err := m.ins.Exec(z, x, (1<<z)-1-y, gz); err != nil {
		return fmt.Errorf("%s: tile %d/%d/%d: %w", m.path, z, x, y, err)
	}
	return nil
}

// Close writes the metadata and commits.
func (m *MBTiles) Close() error {
	err := m.finish()
	if cerr := m.db.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", m.path, err)
	}
	return nil
}

func (m *MBTiles) finish() error {
	layers, err := json.Marshal(map[string]any{"vector_layers": m.md.vectorLayers()})
	if err != nil {
		return err
	}
	b := m.md.Bounds
	c := b.Center()
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	rows := [][2]string{
		{"name", m.md.Name},
		{"format", "pbf"},
		{"type", "overlay"},
		{"version", m.md.Version},
		{"description", m.md.Description},
		{"attribution", m.md.Attribution},
		{"minzoom", strconv.Itoa(m.md.MinZoom)},
		{"maxzoom", strconv.Itoa(m.md.MaxZoom)},
		{"bounds", f(b.Min[0]) + "," + f(b.Min[1]) + "," + f(b.Max[0]) + "," + f(b.Max[1])},
		{"center", f(c[0]) + "," + f(c[1]) + "," + strconv.Itoa(m.md.MinZoom)},
		{"json", string(layers)},
	}
	for _, r := range rows {
		if _, err := m.tx.Exec(`INSERT INTO metadata (name, value) VALUES (?, ?)`, r[0], r[1]); err != nil {
			return errors.Join(err, m.tx.Rollback())
		}
	}
	m.ins.Close()
	return m.tx.Commit()
}
