-- labmap schema 6: households partitioned by province and round, so that an
-- import of one regency or province rewrites only its own rows, and the
-- bookkeeping that lets imports of disjoint regions run side by side.

-- The province of a village code: its first part ("33" of "33.26.01.2001").
CREATE FUNCTION labmap_province(code text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT split_part(code, '.', 1) $$;

-- A partition name's suffix for a list value: the value itself when it is
-- plain digits and letters (province codes), else a digest.
CREATE FUNCTION labmap_part_suffix(v text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v ~ '^[0-9a-z]+$' THEN v ELSE left(md5(v), 12) END $$;

-- labmap_partition creates child as the partition of parent for value, when
-- it does not exist yet. The table is created on its own and then attached:
-- ATTACH PARTITION takes only a SHARE UPDATE EXCLUSIVE lock on the parent,
-- so readers and other imports writing the parent's other partitions go on,
-- where CREATE TABLE ... PARTITION OF would lock them all out until the
-- import commits. Two imports needing the same new partition queue on an
-- advisory lock named after it; the second sees the first's partition once
-- the first commits (each statement of this volatile function takes a new
-- snapshot).
CREATE FUNCTION labmap_partition(parent text, child text, value text, sub text) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_class WHERE relname = child AND relnamespace = current_schema()::regnamespace) THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('labmap partition ' || child, 0));
    IF EXISTS (SELECT 1 FROM pg_class WHERE relname = child AND relnamespace = current_schema()::regnamespace) THEN
        RETURN;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS) %s', child, parent, sub);
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES IN (%L)', parent, child, value);
END
$$;

-- The partition of an aggregate table (or any table partitioned by
-- province) for one province.
CREATE FUNCTION labmap_province_partition(parent text, province text) RETURNS void
    LANGUAGE sql AS $$
    SELECT labmap_partition(parent, parent || '_p' || labmap_part_suffix(province), province, '') $$;

-- Which (province, round) partitions of households exist: the rounds a
-- database holds are listed from here and an EXISTS probe of each, instead
-- of a scan of every household.
CREATE TABLE household_partitions (
    province  text NOT NULL,
    round     date NOT NULL,
    PRIMARY KEY (province, round)
);

-- The households partition of one province and round, and the province's
-- partition above it.
CREATE FUNCTION labmap_households_partition(province text, round date) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    p text := 'households_p' || labmap_part_suffix(province);
BEGIN
    PERFORM labmap_partition('households', p, province, 'PARTITION BY LIST (round)');
    PERFORM labmap_partition(p, p || '_r' || to_char(round, 'YYYYMMDD'), round::text, '');
    INSERT INTO household_partitions VALUES (province, round) ON CONFLICT DO NOTHING;
END
$$;

-- households becomes a table partitioned by province (a real column: a
-- generated column cannot be a partition key), each province partitioned by
-- round. The primary key must hold the partition keys, so the database now
-- enforces one row per (province, round, household_id); the import checks
-- that a household_id appears once per round across provinces.
ALTER TABLE households RENAME TO households_schema5;
ALTER TABLE households_schema5 RENAME CONSTRAINT households_pkey TO households_schema5_pkey;
ALTER INDEX households_geom_idx RENAME TO households_schema5_geom_idx;
ALTER INDEX households_village_idx RENAME TO households_schema5_village_idx;
ALTER INDEX households_id_idx RENAME TO households_schema5_id_idx;
DROP INDEX households_unplaced_idx; -- the village join now runs on a staging table

CREATE TABLE households (
    LIKE households_schema5 INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
    province  text NOT NULL,
    CONSTRAINT households_pkey PRIMARY KEY (province, round, household_id)
) PARTITION BY LIST (province);
CREATE INDEX households_geom_idx ON households USING gist (geom);
CREATE INDEX households_village_idx ON households (village_code, round);
-- The baseline status (a household's first round) is looked up by id.
CREATE INDEX households_id_idx ON households (household_id);
-- An import finds the households of the H3 cells it changed by their res-6
-- cell (see hexagon recomputation in incremental.go).
CREATE INDEX households_h3_r6_idx ON households (h3_r6);

SELECT labmap_households_partition(p, r)
FROM (SELECT DISTINCT labmap_province(village_code) AS p, round AS r FROM households_schema5) x;
INSERT INTO households SELECT o.*, labmap_province(o.village_code) FROM households_schema5 o;
DROP TABLE households_schema5;

-- The rounds that hold households.
CREATE FUNCTION labmap_rounds() RETURNS SETOF date
    LANGUAGE sql STABLE AS $$
    -- One index probe per partition (LIMIT 1 in a lateral join): as an
    -- EXISTS the planner may hash every household instead.
    SELECT DISTINCT p.round FROM household_partitions p
    CROSS JOIN LATERAL (SELECT 1 FROM households h WHERE h.province = p.province AND h.round = p.round LIMIT 1) x
    ORDER BY 1 $$;

-- imported_in comes from a sequence, so that an import need not lock the
-- dataset version until its last phase; it only has to differ between
-- imports.
CREATE SEQUENCE household_import_seq;
SELECT setval('household_import_seq',
    greatest((SELECT version FROM dataset_state), (SELECT coalesce(max(imported_in), 0) FROM households)) + 1, false);

-- The aggregates change shape (villages and districts partitioned by
-- province, per-village cause counts kept): `labmap migrate` rebuilds them
-- right after this.
UPDATE dataset_state SET registry_hash = '';
