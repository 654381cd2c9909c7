-- Orders (routine R1), PostgreSQL flavour. Kept column for column in step
-- with migrations/sqlite/0003_orders.sql: only the type names differ.
-- Times are UTC Unix seconds; flags are 0/1 integers (NULL: not said).

-- Installation orders (R1.1, R1.3, R1.4, R1.7, R1.8) and removal orders
-- (R1.5, R1.11). kind: new_brukare | existing_brukare | entrance | removal.
-- status: open -> scheduled (optional) -> installed | cancelled for
-- installations, open -> scheduled (optional) -> removed | cancelled for
-- removals; declined (a new brukare said no, R1.7) is recorded and closed.
CREATE TABLE orders (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    status           TEXT NOT NULL,
    unit_id          TEXT NOT NULL REFERENCES units(id),
    brukare_id       TEXT NOT NULL REFERENCES brukare(id),
    lock_id          TEXT REFERENCES locks(id),
    decision_id      TEXT,
    brukare_informed BIGINT,
    brukare_accepted BIGINT,
    contact_name     TEXT,
    contact_phone    TEXT,
    address          TEXT,
    note             TEXT,
    created_at       BIGINT NOT NULL,
    created_by       TEXT,
    due_at           BIGINT,
    scheduled_for    BIGINT,
    scheduled_at     BIGINT,
    installed_at     BIGINT,
    removed_at       BIGINT,
    cancelled_at     BIGINT,
    cancel_reason    TEXT,
    closed_by        TEXT,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX orders_unit_status ON orders(unit_id, status, created_at);
CREATE INDEX orders_brukare ON orders(brukare_id, status);
-- At most one open removal order per lock.
CREATE UNIQUE INDEX orders_one_removal_per_lock ON orders(lock_id)
    WHERE kind = 'removal' AND status IN ('open', 'scheduled');
