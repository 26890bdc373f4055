-- labmap schema 1: the system of record (areas and households) and the
-- bookkeeping of imports. The aggregate tables (agg_*) are not here: they are
-- derived data, generated from the indicator registry and rebuilt by every
-- import (see aggregate.go).

CREATE EXTENSION IF NOT EXISTS postgis;

-- One row: which dataset the aggregates describe, so servers can tell when to
-- drop their caches, and which registry built the aggregates.
CREATE TABLE dataset_state (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version        bigint NOT NULL DEFAULT 0,
    imported_at    timestamptz,
    households     integer NOT NULL DEFAULT 0, -- distinct household_id over all rounds
    registry_hash  text NOT NULL DEFAULT ''
);
INSERT INTO dataset_state DEFAULT VALUES;

CREATE TABLE districts (
    code  text PRIMARY KEY,
    name  text NOT NULL,
    ord   integer NOT NULL,
    geom  geometry(MultiPolygon, 4326)
);
CREATE INDEX districts_geom_idx ON districts USING gist (geom);

CREATE TABLE villages (
    code           text PRIMARY KEY,
    name           text NOT NULL,
    district_code  text NOT NULL,
    kelurahan      boolean NOT NULL DEFAULT false,
    ord            integer NOT NULL,
    geom           geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX villages_geom_idx ON villages USING gist (geom);
CREATE INDEX villages_district_idx ON villages (district_code);

CREATE TABLE zones (
    id    text PRIMARY KEY,
    name  text NOT NULL,
    kind  text NOT NULL CHECK (kind IN ('urban', 'coastal', 'forest')),
    ord   integer NOT NULL,
    geom  geometry(MultiPolygon, 4326)
);
CREATE INDEX zones_geom_idx ON zones USING gist (geom);

CREATE TABLE zone_villages (
    zone_id       text NOT NULL REFERENCES zones (id) ON DELETE CASCADE,
    village_code  text NOT NULL,
    ord           integer NOT NULL,
    PRIMARY KEY (zone_id, village_code)
);
CREATE INDEX zone_villages_village_idx ON zone_villages (village_code);

-- One row per household per survey round: the data contract, plus the H3
-- cells of the point (computed in Go at import; there is no h3-pg here) and
-- the dataset version of the import that wrote the row. The status at a
-- household's first round, which "lifted" compares with, is derived when the
-- aggregates are built rather than stored, so importing an earlier round
-- never has to rewrite later ones. The primary key is deferrable so that an
-- import can COPY a round in beside the rows it replaces and delete those
-- before it commits.
CREATE TABLE households (
    household_id            text NOT NULL,
    round                   date NOT NULL,
    geom                    geometry(Point, 4326) NOT NULL,
    members                 integer NOT NULL CHECK (members >= 1),
    poverty_status          text NOT NULL CHECK (poverty_status IN ('extreme', 'poor', 'vulnerable', 'non_poor')),
    village_code            text NOT NULL, -- '' only inside an import, until the village join
    head_name               text,
    occupation              text,
    welfare_decile          smallint CHECK (welfare_decile BETWEEN 1 AND 10),
    causes                  text[] NOT NULL DEFAULT '{}',
    house_uninhabitable     boolean,
    house_repaired          boolean,
    latrine                 text CHECK (latrine IN ('own', 'shared', 'none')),
    water_source            text,
    electricity             boolean,
    chronic_ill             integer NOT NULL DEFAULT 0,
    chronic_ill_treated     integer NOT NULL DEFAULT 0,
    disabled                integer NOT NULL DEFAULT 0,
    disabled_assisted       integer NOT NULL DEFAULT 0,
    children_school_age     integer NOT NULL DEFAULT 0,
    children_out_of_school  integer NOT NULL DEFAULT 0,
    health_km               real,
    programs                text[] NOT NULL DEFAULT '{}',
    h3_r6                   bigint NOT NULL,
    h3_r7                   bigint NOT NULL,
    h3_r8                   bigint NOT NULL,
    h3_r9                   bigint NOT NULL,
    h3_r10                  bigint NOT NULL,
    imported_in             bigint NOT NULL,
    CONSTRAINT households_pkey PRIMARY KEY (round, household_id) DEFERRABLE INITIALLY IMMEDIATE
);
CREATE INDEX households_geom_idx ON households USING gist (geom);
CREATE INDEX households_village_idx ON households (village_code, round);
CREATE INDEX households_id_idx ON households (household_id);
-- Rows of an import still waiting for the village join; empty between imports.
CREATE INDEX households_unplaced_idx ON households (imported_in) WHERE village_code = '';

-- H3 cells that hold households, with boundaries and centres built in Go
-- with h3-go. Cells never change shape, so rows are only ever added.
CREATE TABLE h3_cells (
    cell    bigint PRIMARY KEY,
    res     smallint NOT NULL,
    h3      text NOT NULL,
    center  geometry(Point, 4326) NOT NULL,
    geom    geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX h3_cells_geom_idx ON h3_cells USING gist (geom);
