-- labmap schema 7: regencies and provinces, the levels above the kecamatan.
-- Their outlines are the dissolved union of the districts below, computed in
-- Go as the memory store computes them (data.AdminAreas), so both stores
-- draw the same shapes; the import keeps them (refreshAdminAreas), and
-- `labmap migrate` fills them for a database imported before this schema.
-- A regency's name is its import's region name when the import covered
-- that regency; a province's is Kemendagri's.
CREATE TABLE regencies (
    code     text PRIMARY KEY,
    name_id  text NOT NULL,
    name_en  text NOT NULL,
    geom     geometry(MultiPolygon, 4326),
    -- distinct household_id of the regency over all rounds, counted by the
    -- import that touched it: the dataset's count is their sum, so an
    -- import of one regency never counts the whole database.
    households  integer NOT NULL DEFAULT 0
);
CREATE INDEX regencies_geom_idx ON regencies USING gist (geom);

CREATE TABLE provinces (
    code     text PRIMARY KEY,
    name_id  text NOT NULL,
    name_en  text NOT NULL,
    geom     geometry(MultiPolygon, 4326)
);
CREATE INDEX provinces_geom_idx ON provinces USING gist (geom);

-- The aggregates gain two levels, and agg_regency (one row for the whole
-- region) gives way to agg_regencies: rebuild them.
DROP TABLE IF EXISTS agg_regency;
UPDATE dataset_state SET registry_hash = '';
