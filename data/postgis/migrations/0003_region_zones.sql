-- labmap schema 3: the region a dataset covers, and zone outlines that
-- follow their villages.

-- The region is named by the data, not by the code: the same binary serves
-- Kabupaten Pekalongan, another regency or a whole province. The import
-- writes it; the regency-level aggregate takes its code and name from it.
ALTER TABLE dataset_state
    ADD COLUMN region_code       text NOT NULL DEFAULT '',
    ADD COLUMN region_name_id    text NOT NULL DEFAULT '',
    ADD COLUMN region_name_en    text NOT NULL DEFAULT '',
    ADD COLUMN region_synthetic  boolean NOT NULL DEFAULT false,
    ADD COLUMN region_source     text NOT NULL DEFAULT '';

-- A database imported before this schema gets the region labmap derives
-- from the village codes (data.RegionOf: the common province.regency
-- prefix). Until now every dataset was named Kabupaten Pekalongan, so that
-- regency keeps its name rather than becoming "Wilayah 33.26".
UPDATE dataset_state s SET region_code = x.code FROM (
    SELECT CASE
        WHEN count(DISTINCT split_part(code, '.', 1) || '.' || split_part(code, '.', 2)) = 1
            THEN min(split_part(code, '.', 1) || '.' || split_part(code, '.', 2))
        WHEN count(DISTINCT split_part(code, '.', 1)) = 1 THEN min(split_part(code, '.', 1))
        ELSE '' END AS code
    FROM villages) x;
UPDATE dataset_state SET
    region_name_id = CASE region_code WHEN '33.26' THEN 'Kabupaten Pekalongan' ELSE trim('Wilayah ' || region_code) END,
    region_name_en = CASE region_code WHEN '33.26' THEN 'Pekalongan Regency' ELSE trim('Region ' || region_code) END;

-- A zone kept across imports (an import without --zones) is redrawn from the
-- new villages when its outline was its villages' polygons side by side, and
-- keeps the polygon its zones file gave otherwise.
ALTER TABLE zones ADD COLUMN outline_from_villages boolean NOT NULL DEFAULT false;

-- The aggregates change shape (hexagon_zones now holds each zone's own
-- figures per H3 cell, and agg_regency the region's code and name): an empty
-- registry hash makes `labmap migrate` rebuild them right after this.
UPDATE dataset_state SET registry_hash = '';
