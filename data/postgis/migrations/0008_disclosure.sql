-- labmap schema 8: the outcome of the disclosure rule, decided by the import
-- that commits a dataset version (see decideDisclosure). An instance at that
-- version loads it instead of running the rule over the whole database at
-- its first request. Only the latest version's outcome is kept; an instance
-- with another threshold, or a database whose outcome is missing, runs the
-- rule itself as before.
CREATE TABLE disclosure_decided (
    version        bigint NOT NULL,
    round          date NOT NULL,
    k              integer NOT NULL,
    registry_hash  text NOT NULL,
    PRIMARY KEY (version, round, k)
);
-- Rows whose mask is more than the primary rule gives (data.AreaMask).
CREATE TABLE disclosure_masks (
    version  bigint NOT NULL,
    round    date NOT NULL,
    k        integer NOT NULL,
    level    text NOT NULL,
    res      smallint NOT NULL,
    zone     text NOT NULL,
    code     text NOT NULL,
    mask     bigint NOT NULL
);
CREATE INDEX disclosure_masks_idx ON disclosure_masks (version, round, k);
