-- labmap schema 9: where each dataset version changed the public rows, so
-- that an instance keeps the tiles an import of another region left as they
-- were (see recordChanges). One row per extent; a version whose changes
-- cannot be told (a full rebuild, a rule the import did not decide) has one
-- row with level '*'. k is the threshold the disclosure outcome was compared
-- under: an instance with another threshold decides the rule itself, so for
-- it any row may have changed.
CREATE TABLE dataset_changes (
    version  bigint NOT NULL,
    k        integer NOT NULL,
    level    text NOT NULL,
    res      smallint NOT NULL,
    west     double precision NOT NULL,
    south    double precision NOT NULL,
    east     double precision NOT NULL,
    north    double precision NOT NULL
);
CREATE INDEX dataset_changes_version ON dataset_changes (version);
