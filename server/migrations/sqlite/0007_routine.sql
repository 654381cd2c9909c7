-- The routine where it matters (issue 16), SQLite flavour. Kept column for
-- column in step with migrations/postgres/0007_routine.sql: only the type
-- names differ. Times are UTC Unix seconds; flags are 0/1 integers.

-- A unit's settings: its office hours (the routine's weekend, R2.13, and
-- evenings, R2.12, run from them), the night patrol's phone number (the
-- worker calls it after hours) and the unit's own routine for acute key
-- handling (R2.8), in Swedish and optionally English.
ALTER TABLE units ADD COLUMN office_opens TEXT NOT NULL DEFAULT '07:00';
ALTER TABLE units ADD COLUMN office_closes TEXT NOT NULL DEFAULT '17:00';
ALTER TABLE units ADD COLUMN night_patrol_phone TEXT;
ALTER TABLE units ADD COLUMN acute_key_routine TEXT;
ALTER TABLE units ADD COLUMN acute_key_routine_en TEXT;

-- Who a message reached when it was sent: the staff of its role serving
-- its unit (their own or through staff_units) at that moment.
CREATE TABLE message_recipients (
    message_id TEXT NOT NULL REFERENCES messages(id),
    staff_id   TEXT NOT NULL REFERENCES staff(id),
    PRIMARY KEY (message_id, staff_id)
);
CREATE INDEX message_recipients_staff ON message_recipients(staff_id);

-- A major outage (R2.3, R2.4, R2.14, R2.16): the municipality's, declared
-- and ended by the alarm group. At most one open at a time.
CREATE TABLE major_outages (
    id             TEXT PRIMARY KEY,
    status         TEXT NOT NULL,
    summary        TEXT NOT NULL,
    declared_at    INTEGER NOT NULL,
    declared_by    TEXT,
    suggestion_id  TEXT,
    ended_at       INTEGER,
    ended_by       TEXT,
    updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX major_outages_one_open ON major_outages(status) WHERE status = 'open';

-- Its start, each update and its end, as everyone was told (R2.4: "uppdaterar
-- alla kontinuerligt").
CREATE TABLE major_outage_updates (
    id              TEXT PRIMARY KEY,
    major_outage_id TEXT NOT NULL REFERENCES major_outages(id),
    kind            TEXT NOT NULL,
    text            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    created_by      TEXT
);
CREATE INDEX major_outage_updates_outage ON major_outage_updates(major_outage_id, created_at);

-- What automatic detection suggests to the alarm group: many locks down
-- across the municipality within a window. At most one open suggestion.
CREATE TABLE major_outage_suggestions (
    id          TEXT PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    first_at    INTEGER NOT NULL,
    locks       INTEGER NOT NULL,
    unit_ids    TEXT NOT NULL,
    outage_ids  TEXT NOT NULL,
    status      TEXT NOT NULL,
    resolved_at INTEGER,
    resolved_by TEXT
);
CREATE UNIQUE INDEX major_outage_suggestions_one_open ON major_outage_suggestions(status) WHERE status = 'open';

-- Outage cases: the message that told the night patrol (R2.12, R2.13), the
-- alarm group's repair (R2.10, before the coordinator documents it), and
-- the major outage the case is part of.
ALTER TABLE outages ADD COLUMN night_patrol_message_id TEXT;
ALTER TABLE outages ADD COLUMN repaired_at INTEGER;
ALTER TABLE outages ADD COLUMN repaired_by TEXT;
ALTER TABLE outages ADD COLUMN repair_note TEXT;
ALTER TABLE outages ADD COLUMN major_outage_id TEXT REFERENCES major_outages(id);
CREATE INDEX outages_major ON outages(major_outage_id);

-- The head of operations' deviation for a major outage (R2.16).
ALTER TABLE deviations ADD COLUMN major_outage_id TEXT REFERENCES major_outages(id);

-- The unit managers (external providers' too) and the head of operations
-- who get a major outage's emails (R2.4, R2.14): a contact list, since
-- external providers' managers are not staff here.
CREATE TABLE manager_contacts (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    email        TEXT NOT NULL UNIQUE,
    organisation TEXT NOT NULL,
    role         TEXT NOT NULL,
    external     INTEGER NOT NULL,
    active       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);

-- Emails for the SMTP relay: written in the transaction that decides them,
-- sent (and retried) by the scheduler. A claim keeps two instances from
-- sending one email twice.
CREATE TABLE emails (
    id              TEXT PRIMARY KEY,
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    major_outage_id TEXT REFERENCES major_outages(id),
    update_id       TEXT,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    claimed_until   INTEGER,
    sent_at         INTEGER,
    last_error      TEXT
);
CREATE INDEX emails_pending ON emails(sent_at, created_at);

-- The scheduler's date-driven actions, each done once whichever instance
-- runs it: the claim is inserted in the transaction that acts.
CREATE TABLE scheduler_claims (
    key        TEXT PRIMARY KEY,
    claimed_at INTEGER NOT NULL
);

-- Removal orders say why (decision_ended, service_ended: R1.5, R1.11); the
-- alarm group records whom they contacted before removing (R1.12).
ALTER TABLE orders ADD COLUMN reason TEXT;
ALTER TABLE orders ADD COLUMN receipt_id TEXT;
CREATE TABLE order_contacts (
    id           TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL REFERENCES orders(id),
    party        TEXT NOT NULL,
    contacted_at INTEGER NOT NULL,
    note         TEXT,
    recorded_by  TEXT,
    recorded_at  INTEGER NOT NULL
);
CREATE INDEX order_contacts_order ON order_contacts(order_id, contacted_at);

-- R1.9: the brukare's signed receipt and responsibility agreement, as the
-- server verified it (hash, the technician device's signature, consent),
-- linked to the installation order. A lock goes into service with one.
CREATE TABLE installation_receipts (
    id             TEXT PRIMARY KEY,
    lock_id        TEXT NOT NULL REFERENCES locks(id),
    brukare_id     TEXT NOT NULL REFERENCES brukare(id),
    order_id       TEXT REFERENCES orders(id),
    content        TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    signature      TEXT NOT NULL,
    device_id      TEXT NOT NULL REFERENCES devices(id),
    staff_id       TEXT NOT NULL REFERENCES staff(id),
    consent        TEXT NOT NULL,
    witnessed_by   TEXT,
    witness_reason TEXT,
    signed_at      INTEGER NOT NULL,
    verified_at    INTEGER NOT NULL
);
CREATE INDEX installation_receipts_lock ON installation_receipts(lock_id, brukare_id);
ALTER TABLE locks ADD COLUMN receipt_id TEXT REFERENCES installation_receipts(id);
