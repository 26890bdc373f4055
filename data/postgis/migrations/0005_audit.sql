-- labmap schema 5: the audit of household reads.
--
-- Every read of households (OGC API items, a single household, a household
-- tile) appends one row in the transaction that read them, so a committed
-- read always has its row; a read that fails appends a row with ok = false.
-- labmap never changes or removes a row: the trigger below refuses UPDATE,
-- DELETE and TRUNCATE for everyone, so a change needs a superuser to drop it
-- first, which itself shows in the database's own logs.
CREATE TABLE audit (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    token_id    bigint REFERENCES tokens (id),
    token_name  text NOT NULL,
    endpoint    text NOT NULL,
    query       text NOT NULL DEFAULT '',
    rows        integer NOT NULL CHECK (rows >= 0),
    client_addr text NOT NULL DEFAULT '',
    ok          boolean NOT NULL,
    error       text NOT NULL DEFAULT ''
);
CREATE INDEX audit_at_idx ON audit (at);
CREATE INDEX audit_token_idx ON audit (token_name, at);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit rows cannot be changed or removed (%)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
