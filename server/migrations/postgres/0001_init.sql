-- Nyckelfri server schema, PostgreSQL flavour. Kept column for column in step
-- with migrations/sqlite/0001_init.sql: only the type names differ
-- (BIGINT/BYTEA here, INTEGER/BLOB there). Times are UTC Unix seconds.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE units (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    coordinator_phone     TEXT NOT NULL,
    day_key_location      TEXT NOT NULL,
    night_key_location    TEXT NOT NULL,
    night_patrol_deadline TEXT NOT NULL,
    time_zone             TEXT NOT NULL,
    created_at            BIGINT NOT NULL
);

CREATE TABLE staff (
    id         TEXT PRIMARY KEY,
    unit_id    TEXT NOT NULL REFERENCES units(id),
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX staff_unit ON staff(unit_id);

CREATE TABLE enrollment_codes (
    code_hash  TEXT PRIMARY KEY,
    staff_id   TEXT NOT NULL REFERENCES staff(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    staff_id    TEXT NOT NULL REFERENCES staff(id),
    public_key  BYTEA NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX devices_staff ON devices(staff_id);

CREATE TABLE challenges (
    id         TEXT PRIMARY KEY,
    device_id  TEXT NOT NULL REFERENCES devices(id),
    challenge  BYTEA NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX challenges_expires ON challenges(expires_at);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    device_id  TEXT NOT NULL REFERENCES devices(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_device ON sessions(device_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE brukare (
    id           TEXT PRIMARY KEY,
    unit_id      TEXT NOT NULL REFERENCES units(id),
    display_name TEXT NOT NULL,
    address      TEXT NOT NULL,
    entry_notes  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX brukare_unit ON brukare(unit_id);

CREATE TABLE decisions (
    id         TEXT PRIMARY KEY,
    brukare_id TEXT NOT NULL REFERENCES brukare(id),
    starts_at  BIGINT NOT NULL,
    ends_at    BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX decisions_brukare ON decisions(brukare_id);

CREATE TABLE visits (
    id           TEXT PRIMARY KEY,
    brukare_id   TEXT NOT NULL REFERENCES brukare(id),
    decision_id  TEXT NOT NULL REFERENCES decisions(id),
    staff_id     TEXT NOT NULL REFERENCES staff(id),
    starts_at    BIGINT NOT NULL,
    ends_at      BIGINT NOT NULL,
    service      TEXT NOT NULL,
    cancelled_at BIGINT
);
CREATE INDEX visits_staff_time ON visits(staff_id, starts_at);
CREATE INDEX visits_brukare ON visits(brukare_id);

CREATE TABLE shifts (
    id        TEXT PRIMARY KEY,
    unit_id   TEXT NOT NULL REFERENCES units(id),
    staff_id  TEXT NOT NULL REFERENCES staff(id),
    kind      TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at   BIGINT NOT NULL
);
CREATE INDEX shifts_staff_time ON shifts(staff_id, starts_at);

CREATE TABLE locks (
    id              TEXT PRIMARY KEY,
    public_key      BYTEA NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    brukare_id      TEXT REFERENCES brukare(id),
    commissioned_at BIGINT NOT NULL,
    installed_at    BIGINT,
    removed_at      BIGINT
);
CREATE INDEX locks_brukare ON locks(brukare_id);

CREATE TABLE issued_tokens (
    token_id     BYTEA PRIMARY KEY,
    device_id    TEXT NOT NULL REFERENCES devices(id),
    staff_id     TEXT NOT NULL,
    lock_id      TEXT NOT NULL,
    decision_id  TEXT NOT NULL,
    scope        BIGINT NOT NULL,
    not_before   BIGINT NOT NULL,
    expires      BIGINT NOT NULL,
    decision_end BIGINT NOT NULL,
    issued_at    BIGINT NOT NULL,
    token        BYTEA NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX issued_tokens_device ON issued_tokens(device_id, expires);
CREATE INDEX issued_tokens_decision ON issued_tokens(decision_id, expires);
CREATE INDEX issued_tokens_expires ON issued_tokens(expires);

-- The one current revocation list: its epoch only rises.
CREATE TABLE revocation (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    epoch     BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    entries   BIGINT NOT NULL,
    signed    BYTEA
);
INSERT INTO revocation (id, epoch, issued_at, entries, signed) VALUES (1, 0, 0, 0, NULL);

CREATE TABLE revoked_tokens (
    token_id   BYTEA PRIMARY KEY,
    expires    BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);

CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    device_id    TEXT NOT NULL,
    staff_id     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    occurred_at  BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    lock_id      TEXT,
    visit_id     TEXT,
    routine_step TEXT,
    receipt      BYTEA,
    data         TEXT NOT NULL
);
CREATE INDEX events_received ON events(received_at);

CREATE TABLE messages (
    id            TEXT PRIMARY KEY,
    to_role       TEXT NOT NULL,
    unit_id       TEXT,
    from_staff_id TEXT,
    from_role     TEXT,
    routine_step  TEXT,
    subject       TEXT NOT NULL,
    body          TEXT NOT NULL,
    brukare_id    TEXT,
    lock_id       TEXT,
    created_at    BIGINT NOT NULL,
    deadline_at   BIGINT
);
CREATE INDEX messages_role ON messages(to_role, created_at);

CREATE TABLE message_reads (
    message_id TEXT NOT NULL REFERENCES messages(id),
    staff_id   TEXT NOT NULL REFERENCES staff(id),
    read_at    BIGINT NOT NULL,
    PRIMARY KEY (message_id, staff_id)
);
