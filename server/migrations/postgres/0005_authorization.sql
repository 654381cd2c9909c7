-- Authorization in one place (issue 14), PostgreSQL flavour. Kept column
-- for column in step with migrations/sqlite/0005_authorization.sql: only
-- the type names (and the append-only triggers' syntax) differ.

-- Temporary staff: after ends_at their sessions, enrollment codes and keys
-- stop (NULL: no end).
ALTER TABLE staff ADD COLUMN ends_at BIGINT;

-- The technician an order is booked for: install, demonstration, removal
-- and maintenance keys go to this person only, from scheduled_for until
-- the order closes.
ALTER TABLE orders ADD COLUMN scheduled_to TEXT REFERENCES staff(id);
CREATE INDEX orders_scheduled_to ON orders(scheduled_to, status);

-- The order a technician's key was issued for (NULL for care keys), so
-- that closing the order revokes it; and the staff member's keys, so that
-- an end date or a change of role or unit revokes theirs.
ALTER TABLE issued_tokens ADD COLUMN order_id TEXT;
CREATE INDEX issued_tokens_order ON issued_tokens(order_id, expires);
CREATE INDEX issued_tokens_staff ON issued_tokens(staff_id, expires);
CREATE INDEX issued_tokens_device_lock ON issued_tokens(device_id, lock_id);

-- Events are stored whether or not they are accepted: a rejected one (no
-- key for its lock, not the caller's visit, a receipt that does not
-- verify) is kept for the managers and acts on nothing.
ALTER TABLE events ADD COLUMN unit_id TEXT;
ALTER TABLE events ADD COLUMN status TEXT NOT NULL DEFAULT 'accepted';
ALTER TABLE events ADD COLUMN reject_reason TEXT;
ALTER TABLE events ADD COLUMN receipt_verified BIGINT NOT NULL DEFAULT 0;
CREATE INDEX events_status_unit ON events(status, unit_id, received_at);

-- The audit log: every desk write (with the record before and after),
-- every read of a brukare's personal data, every use of the admin token.
-- Append-only: the triggers refuse UPDATE, DELETE and TRUNCATE.
CREATE TABLE audit_log (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    staff_id    TEXT,
    device_id   TEXT,
    role        TEXT,
    operation   TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_kind TEXT,
    target_id   TEXT,
    unit_id     TEXT,
    before      TEXT,
    after       TEXT
);
CREATE INDEX audit_log_staff ON audit_log(staff_id, seq);
CREATE INDEX audit_log_at ON audit_log(at);

-- The brukare whose personal data an entry read or changed.
CREATE TABLE audit_subjects (
    audit_id   TEXT NOT NULL REFERENCES audit_log(id),
    brukare_id TEXT NOT NULL,
    PRIMARY KEY (audit_id, brukare_id)
);
CREATE INDEX audit_subjects_brukare ON audit_subjects(brukare_id);

-- Flavour-specific from here: the append-only triggers.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_subjects_no_change BEFORE UPDATE OR DELETE ON audit_subjects
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_subjects_no_truncate BEFORE TRUNCATE ON audit_subjects
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
