// Package gpkg writes OGC GeoPackage 1.3 files: one table of multipolygon
// features in WGS 84 longitude/latitude with typed attribute columns, its
// R-tree spatial index, and QGIS styles in the layer_styles table that QGIS
// and GDAL read, so the file opens styled in QGIS.
package gpkg

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"

	// SQLite through cgo: the binary already needs a C compiler for GEOS and
	// H3, and SQLite's C code runs at full speed under -race.
	_ "github.com/mattn/go-sqlite3"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// ColumnType is a GeoPackage attribute type (GeoPackage 1.3, table 1), the
// declared type that tells GDAL and QGIS what a field holds.
type ColumnType string

// The attribute types labmap writes.
const (
	Text ColumnType = "TEXT"
	// Integer is a 32-bit integer, which GDAL reads as Integer and QGIS as
	// int; Integer64 is SQLite's 64-bit INTEGER (GDAL's Integer64).
	Integer   ColumnType = "MEDIUMINT"
	Integer64 ColumnType = "INTEGER"
	Real      ColumnType = "REAL"
	Boolean   ColumnType = "BOOLEAN"
	Date      ColumnType = "DATE" // ISO 8601 text, YYYY-MM-DD
)

// Column is one attribute of the feature table.
type Column struct {
	Name string
	Type ColumnType
}

// Layer describes the feature table: Table is its name (the layer name in
// QGIS and GDAL), Identifier and Description go to gpkg_contents.
type Layer struct {
	Table       string
	Identifier  string
	Description string
	Columns     []Column
	// Points makes the geometry column a POINT (features added with
	// AddPoint) instead of a MULTIPOLYGON (Add).
	Points bool
}

// geometryType is the layer's geometry type name, as both the column's
// declared type and gpkg_geometry_columns have it.
func (l Layer) geometryType() string {
	if l.Points {
		return "POINT"
	}
	return "MULTIPOLYGON"
}

// Style is one QGIS style of the layer, stored as a layer_styles row: QML for
// QGIS, SLD for other tools. The Default style is the one QGIS applies when
// it opens the layer.
type Style struct {
	Name        string
	Description string
	QML         []byte
	SLD         []byte
	Default     bool
}

// Geometry column name and SRS: GDAL's default name, and EPSG:4326, whose
// GeoPackage geometries are longitude/latitude (x, y) whatever the CRS's
// axis order says.
const (
	GeometryColumn = "geom"
	srsID          = 4326
	// applicationID is "GPKG" as a big-endian 32-bit number; userVersion
	// says GeoPackage 1.3.0.
	applicationID = 0x47504B47
	userVersion   = 10300
)

// wgs84 is the EPSG:4326 definition the standard requires in
// gpkg_spatial_ref_sys (OGC WKT 1).
const wgs84 = `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]`

// Writer fills one GeoPackage file in one transaction: nothing is visible in
// the file until Finish commits.
type Writer struct {
	db     *sql.DB
	tx     *sql.Tx
	insert *sql.Stmt
	rtree  *sql.Stmt
	layer  Layer
	path   string
	fid    int64
	bound  orb.Bound
	blob   []byte
	args   []any
}

// Create makes a new GeoPackage at path (which must not exist) with the
// layer's empty feature table, ready for Add.
func Create(ctx context.Context, path string, layer Layer) (w *Writer, err error) {
	if err := checkLayer(layer); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// mode=rwc creates the file; a file already there would keep its tables,
	// so the caller gives a fresh path. The journal lives in memory during
	// the one load transaction: a failed export's file is thrown away.
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=rwc&_journal_mode=MEMORY&_synchronous=OFF")
	if err != nil {
		return nil, fmt.Errorf("%s: open: %w", path, err)
	}
	// One connection: pragmas and the transaction belong to a connection.
	db.SetMaxOpenConns(1)
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	var tables int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&tables); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if tables > 0 {
		return nil, fmt.Errorf("%s: already holds a database; give a new file", path)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: begin: %w", path, err)
	}
	w = &Writer{db: db, tx: tx, layer: layer, path: path, bound: orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}}
	for _, q := range w.schema() {
		if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("%s: create schema: %w", path, err)
		}
	}
	cols := []string{"fid", quote(GeometryColumn)}
	marks := []string{"?", "?"}
	for _, c := range layer.Columns {
		cols = append(cols, quote(c.Name))
		marks = append(marks, "?")
	}
	if w.insert, err = tx.PrepareContext(ctx, fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", quote(layer.Table), strings.Join(cols, ", "), strings.Join(marks, ", "))); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if w.rtree, err = tx.PrepareContext(ctx, fmt.Sprintf("INSERT INTO %s VALUES (?, ?, ?, ?, ?)", quote(w.rtreeName()))); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

func checkLayer(l Layer) error {
	if l.Table == "" {
		return errors.New("layer: no table name")
	}
	seen := map[string]bool{"fid": true, GeometryColumn: true}
	for _, name := range append([]string{l.Table}, columnNames(l.Columns)...) {
		if strings.ContainsAny(name, "\"\x00") || name == "" {
			return fmt.Errorf("layer %s: name %q is not a plain identifier", l.Table, name)
		}
	}
	for _, c := range l.Columns {
		if seen[strings.ToLower(c.Name)] {
			return fmt.Errorf("layer %s: column %q given twice (or reserved)", l.Table, c.Name)
		}
		seen[strings.ToLower(c.Name)] = true
		switch c.Type {
		case Text, Integer, Integer64, Real, Boolean, Date:
		default:
			return fmt.Errorf("layer %s: column %q: type %q is not one of TEXT, MEDIUMINT, INTEGER, REAL, BOOLEAN, DATE", l.Table, c.Name, c.Type)
		}
	}
	return nil
}

func columnNames(cols []Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// quote makes name an SQL identifier; checkLayer has refused quotes in names.
func quote(name string) string { return `"` + name + `"` }

func (w *Writer) rtreeName() string { return "rtree_" + w.layer.Table + "_" + GeometryColumn }

type statement struct {
	sql  string
	args []any
}

// schema is the GeoPackage's tables in creation order: the required
// metadata tables and rows (GeoPackage 1.3 clauses 1.1.2, 1.1.3, 2.1.5), the
// feature table, and the R-tree index with its extension row (clause F.3).
func (w *Writer) schema() []statement {
	t := w.layer.Table
	var cols strings.Builder
	for _, c := range w.layer.Columns {
		fmt.Fprintf(&cols, ", %s %s", quote(c.Name), c.Type)
	}
	return []statement{
		{sql: fmt.Sprintf("PRAGMA application_id = %d", applicationID)},
		{sql: fmt.Sprintf("PRAGMA user_version = %d", userVersion)},
		{sql: `CREATE TABLE gpkg_spatial_ref_sys (
			srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY NOT NULL, organization TEXT NOT NULL,
			organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)`},
		{sql: `INSERT INTO gpkg_spatial_ref_sys VALUES
			('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
			('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
			('WGS 84 geodetic', 4326, 'EPSG', 4326, ?, 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')`, args: []any{wgs84}},
		{sql: `CREATE TABLE gpkg_contents (
			table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',
			last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
			min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
			CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))`},
		{sql: `CREATE TABLE gpkg_geometry_columns (
			table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
			srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
			CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
			CONSTRAINT uk_gc_table_name UNIQUE (table_name),
			CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
			CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))`},
		{sql: `CREATE TABLE gpkg_extensions (
			table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL,
			CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))`},
		{sql: fmt.Sprintf("CREATE TABLE %s (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, %s %s%s)", quote(t), quote(GeometryColumn), w.layer.geometryType(), cols.String())},
		{sql: "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES (?, 'features', ?, ?, ?)",
			args: []any{t, w.layer.Identifier, w.layer.Description, srsID}},
		{sql: "INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)", args: []any{t, GeometryColumn, w.layer.geometryType(), srsID}},
		{sql: fmt.Sprintf("CREATE VIRTUAL TABLE %s USING rtree(id, minx, maxx, miny, maxy)", quote(w.rtreeName()))},
		{sql: "INSERT INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
			args: []any{t, GeometryColumn}},
	}
}

// Add writes one feature: its outline (nil for none) and its attribute
// values in the layer's column order, each nil (NULL), a string, an int,
// an int64, a float64 or a bool.
func (w *Writer) Add(ctx context.Context, geom orb.MultiPolygon, values []any) error {
	if w.layer.Points {
		return fmt.Errorf("%s: feature %d: a polygon in a point layer", w.path, w.fid+1)
	}
	if geom == nil {
		return w.add(ctx, nil, values)
	}
	return w.add(ctx, geom, values)
}

// AddPoint writes one feature of a point layer, as Add does.
func (w *Writer) AddPoint(ctx context.Context, p orb.Point, values []any) error {
	if !w.layer.Points {
		return fmt.Errorf("%s: feature %d: a point in a polygon layer", w.path, w.fid+1)
	}
	return w.add(ctx, p, values)
}

// add writes one feature; geom is nil for none.
func (w *Writer) add(ctx context.Context, geom orb.Geometry, values []any) error {
	if len(values) != len(w.layer.Columns) {
		return fmt.Errorf("%s: feature %d: %d values for %d columns", w.path, w.fid+1, len(values), len(w.layer.Columns))
	}
	w.fid++
	var b orb.Bound
	var geomArg any
	if geom != nil {
		var err error
		if w.blob, b, err = appendGeometry(w.blob[:0], geom); err != nil {
			return fmt.Errorf("%s: feature %d: %w", w.path, w.fid, err)
		}
		geomArg = w.blob
	}
	w.args = append(w.args[:0], w.fid, geomArg)
	for i, v := range values {
		switch v.(type) {
		case nil, string, int, int64, float64, bool:
		default:
			return fmt.Errorf("%s: feature %d: column %s: a %T cannot be stored", w.path, w.fid, w.layer.Columns[i].Name, v)
		}
		w.args = append(w.args, v)
	}
	if _, err := w.insert.ExecContext(ctx, w.args...); err != nil {
		return fmt.Errorf("%s: feature %d: %w", w.path, w.fid, err)
	}
	if geom != nil && !isEmpty(geom) {
		w.bound = w.bound.Union(b)
		if _, err := w.rtree.ExecContext(ctx, w.fid, b.Min[0], b.Max[0], b.Min[1], b.Max[1]); err != nil {
			return fmt.Errorf("%s: feature %d: spatial index: %w", w.path, w.fid, err)
		}
	}
	return nil
}

// Count is how many features Add has written.
func (w *Writer) Count() int64 { return w.fid }

// appendGeometry encodes a GeoPackage geometry blob (clause 2.1.3): the
// "GP" header, version 0, flags (little-endian, an xy envelope), the SRS
// id and the envelope, then the geometry as little-endian WKB.
func appendGeometry(buf []byte, g orb.Geometry) ([]byte, orb.Bound, error) {
	b := g.Bound()
	empty := isEmpty(g)
	flags := byte(0x01) // little-endian
	if empty {
		flags |= 0x10 // empty geometry, no envelope
	} else {
		flags |= 0x02 // envelope [minx, maxx, miny, maxy]
	}
	buf = append(buf, 'G', 'P', 0, flags)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(srsID))
	if !empty {
		for _, v := range []float64{b.Min[0], b.Max[0], b.Min[1], b.Max[1]} {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
	}
	body, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return buf, b, fmt.Errorf("encode WKB: %w", err)
	}
	return append(buf, body...), b, nil
}

// isEmpty reports whether g has no coordinates (a point always has).
func isEmpty(g orb.Geometry) bool {
	mp, ok := g.(orb.MultiPolygon)
	return ok && len(mp) == 0
}

// Finish writes the layer's extent, the R-tree triggers that keep the index
// right when QGIS edits the file, and the styles, then commits and closes
// the file. At most one style may be the default.
func (w *Writer) Finish(ctx context.Context, styles []Style) error {
	defaults := 0
	for _, s := range styles {
		if s.Default {
			defaults++
		}
	}
	if defaults > 1 {
		w.Close()
		return fmt.Errorf("%s: %d default styles; at most one", w.path, defaults)
	}
	if err := w.finish(ctx, styles); err != nil {
		w.Close()
		return err
	}
	w.tx = nil
	return w.Close()
}

func (w *Writer) finish(ctx context.Context, styles []Style) error {
	exec := func(what, q string, args ...any) error {
		if _, err := w.tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%s: %s: %w", w.path, what, err)
		}
		return nil
	}
	var extent []any
	if w.bound.Min[0] <= w.bound.Max[0] {
		extent = []any{w.bound.Min[0], w.bound.Min[1], w.bound.Max[0], w.bound.Max[1]}
	} else {
		extent = []any{nil, nil, nil, nil}
	}
	if err := exec("extent", "UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ?, last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?",
		append(extent, w.layer.Table)...); err != nil {
		return err
	}
	for _, q := range w.rtreeTriggers() {
		if err := exec("spatial index triggers", q); err != nil {
			return err
		}
	}
	if len(styles) > 0 {
		if err := w.writeStyles(ctx, exec, styles); err != nil {
			return err
		}
	}
	w.insert.Close()
	w.rtree.Close()
	if err := w.tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", w.path, err)
	}
	return nil
}

// rtreeTriggers are GeoPackage 1.3's R-tree triggers (clause F.3). They are
// created after the load because they call ST_* functions that GDAL and
// QGIS provide and plain SQLite does not; the load fills the index itself.
func (w *Writer) rtreeTriggers() []string {
	t, g, r := quote(w.layer.Table), quote(GeometryColumn), quote(w.rtreeName())
	name := func(suffix string) string { return quote(w.rtreeName() + "_" + suffix) }
	values := func(row string) string {
		return fmt.Sprintf("INSERT OR REPLACE INTO %s VALUES (%s.fid, ST_MinX(%s.%s), ST_MaxX(%s.%s), ST_MinY(%s.%s), ST_MaxY(%s.%s))",
			r, row, row, g, row, g, row, g, row, g)
	}
	return []string{
		fmt.Sprintf("CREATE TRIGGER %s AFTER INSERT ON %s WHEN (NEW.%s NOT NULL AND NOT ST_IsEmpty(NEW.%s)) BEGIN %s; END",
			name("insert"), t, g, g, values("NEW")),
		fmt.Sprintf("CREATE TRIGGER %s AFTER UPDATE OF %s ON %s WHEN OLD.fid = NEW.fid AND (NEW.%s NOTNULL AND NOT ST_IsEmpty(NEW.%s)) BEGIN %s; END",
			name("update1"), g, t, g, g, values("NEW")),
		fmt.Sprintf("CREATE TRIGGER %s AFTER UPDATE OF %s ON %s WHEN OLD.fid = NEW.fid AND (NEW.%s ISNULL OR ST_IsEmpty(NEW.%s)) BEGIN DELETE FROM %s WHERE id = OLD.fid; END",
			name("update2"), g, t, g, g, r),
		fmt.Sprintf("CREATE TRIGGER %s AFTER UPDATE ON %s WHEN OLD.fid != NEW.fid AND (NEW.%s NOTNULL AND NOT ST_IsEmpty(NEW.%s)) BEGIN DELETE FROM %s WHERE id = OLD.fid; %s; END",
			name("update3"), t, g, g, r, values("NEW")),
		fmt.Sprintf("CREATE TRIGGER %s AFTER UPDATE ON %s WHEN OLD.fid != NEW.fid AND (NEW.%s ISNULL OR ST_IsEmpty(NEW.%s)) BEGIN DELETE FROM %s WHERE id IN (OLD.fid, NEW.fid); END",
			name("update4"), t, g, g, r),
		fmt.Sprintf("CREATE TRIGGER %s AFTER DELETE ON %s WHEN OLD.%s NOT NULL BEGIN DELETE FROM %s WHERE id = OLD.fid; END",
			name("delete"), t, g, r),
	}
}

// writeStyles creates layer_styles as QGIS does when it saves a style into
// a GeoPackage, and lists it in gpkg_contents as an attributes table so
// GDAL shows it as a layer too.
func (w *Writer) writeStyles(ctx context.Context, exec func(what, q string, args ...any) error, styles []Style) error {
	if err := exec("layer_styles", `CREATE TABLE layer_styles (
		id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
		f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256),
		styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, description TEXT,
		owner TEXT(30), ui TEXT(30),
		update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))`); err != nil {
		return err
	}
	if err := exec("layer_styles", "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS styles of the layers')"); err != nil {
		return err
	}
	for _, s := range styles {
		if err := exec("style "+s.Name, `INSERT INTO layer_styles
			(f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, ui)
			VALUES ('', '', ?, ?, ?, ?, ?, ?, ?, '', '')`,
			w.layer.Table, GeometryColumn, s.Name, string(s.QML), string(s.SLD), s.Default, s.Description); err != nil {
			return err
		}
	}
	return nil
}

// Close abandons an unfinished file (its transaction is rolled back, so the
// caller should remove it) or releases a finished one. It is safe to call
// after Finish.
func (w *Writer) Close() error {
	if w.tx != nil {
		w.tx.Rollback()
		w.tx = nil
	}
	if w.db == nil {
		return nil
	}
	err := w.db.Close()
	w.db = nil
	if err != nil {
		return fmt.Errorf("%s: close: %w", w.path, err)
	}
	return nil
}
