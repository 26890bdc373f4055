-- labmap schema 4: bearer tokens for the analyst, staff and admin roles.
--
-- Only the SHA-256 of a token is kept: a token is 256 random bits, so its
-- hash cannot be reversed by guessing, and a copy of this table (a backup,
-- a dump) opens nothing. The unique index on the hash is how a request's
-- token is found. Tokens are revoked, never deleted, so the audit can
-- always name who held one.
CREATE TABLE tokens (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (btrim(name) <> ''),
    role       text NOT NULL CHECK (role IN ('analyst', 'staff', 'admin')),
    zones      text[] NOT NULL DEFAULT '{}',
    villages   text[] NOT NULL DEFAULT '{}',
    hash       bytea NOT NULL UNIQUE CHECK (octet_length(hash) = 32),
    created    timestamptz NOT NULL DEFAULT now(),
    expires    timestamptz NOT NULL,
    revoked_at timestamptz,
    last_used  timestamptz,
    -- Only staff tokens are limited to zones or villages, and they must be.
    CHECK ((role = 'staff') = (cardinality(zones) + cardinality(villages) > 0))
);
