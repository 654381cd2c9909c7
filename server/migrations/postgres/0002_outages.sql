-- Outages (routine R2), PostgreSQL flavour. Kept column for column in step
-- with migrations/sqlite/0002_outages.sql: only the type names differ.
-- Times are UTC Unix seconds; flags are 0/1 integers.

-- Messages to the alarm group say from when they take the case (R2.11,
-- R2.13), and messages about an outage name its case.
ALTER TABLE messages ADD COLUMN handle_from BIGINT;
ALTER TABLE messages ADD COLUMN outage_id TEXT;

-- Several locks of one unit down at once (R2.3, R2.4, R2.14, R2.16).
-- At most one open cluster per unit.
CREATE TABLE outage_clusters (
    id         TEXT PRIMARY KEY,
    unit_id    TEXT NOT NULL REFERENCES units(id),
    reason     TEXT NOT NULL,
    opened_at  BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    closed_at  BIGINT
);
CREATE UNIQUE INDEX outage_clusters_one_open ON outage_clusters(unit_id) WHERE closed_at IS NULL;

-- One case per failed lock (R2.6-R2.13). The id is the report id of the
-- report that opened it. At most one open case per lock.
CREATE TABLE outages (
    id                         TEXT PRIMARY KEY,
    unit_id                    TEXT NOT NULL REFERENCES units(id),
    lock_id                    TEXT REFERENCES locks(id),
    brukare_id                 TEXT REFERENCES brukare(id),
    visit_id                   TEXT,
    cause                      TEXT NOT NULL,
    status                     TEXT NOT NULL,
    opened_at                  BIGINT NOT NULL,
    reported_at                BIGINT NOT NULL,
    reported_by                TEXT NOT NULL,
    weekend_or_holiday         BIGINT NOT NULL,
    night                      BIGINT NOT NULL,
    night_patrol_deadline_at   BIGINT NOT NULL,
    night_patrol_messaged_at   BIGINT,
    night_patrol_messaged_by   TEXT,
    alarm_group_informed_at    BIGINT,
    alarm_group_informed_by    TEXT,
    alarm_group_handle_from    BIGINT,
    needs_assessor_messaged_at BIGINT,
    needs_assessor_messaged_by TEXT,
    cluster_id                 TEXT REFERENCES outage_clusters(id),
    working_at                 BIGINT,
    closed_at                  BIGINT,
    closed_by                  TEXT,
    close_note                 TEXT,
    updated_at                 BIGINT NOT NULL
);
CREATE UNIQUE INDEX outages_one_open_per_lock ON outages(lock_id) WHERE status = 'open';
CREATE INDEX outages_unit_status ON outages(unit_id, status, opened_at);
CREATE INDEX outages_brukare ON outages(brukare_id, status);
CREATE INDEX outages_cluster ON outages(cluster_id);

-- The workers' reports (R2.9), each attached to one case; a later
-- revision of a report (same report id, new event) updates it.
CREATE TABLE outage_reports (
    report_id          TEXT PRIMARY KEY,
    outage_id          TEXT NOT NULL REFERENCES outages(id),
    event_id           TEXT NOT NULL,
    staff_id           TEXT NOT NULL,
    device_id          TEXT NOT NULL,
    lock_id            TEXT,
    brukare_id         TEXT,
    visit_id           TEXT,
    cause              TEXT NOT NULL,
    occurred_at        BIGINT NOT NULL,
    received_at        BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    weekend_or_holiday BIGINT NOT NULL,
    night              BIGINT NOT NULL,
    steps              TEXT NOT NULL
);
CREATE INDEX outage_reports_outage ON outage_reports(outage_id);

-- Deviation reports expected (R2.5): a minor one per case, written by the
-- worker (R2.15); a major one per cluster, written by the head of
-- operations (R2.16).
CREATE TABLE deviations (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    unit_id       TEXT NOT NULL REFERENCES units(id),
    cluster_id    TEXT REFERENCES outage_clusters(id),
    assigned_role TEXT NOT NULL,
    assigned_to   TEXT,
    created_at    BIGINT NOT NULL,
    status        TEXT NOT NULL,
    reported_at   BIGINT,
    reported_by   TEXT
);
CREATE INDEX deviations_unit ON deviations(unit_id, created_at);
CREATE UNIQUE INDEX deviations_one_per_cluster ON deviations(cluster_id);

CREATE TABLE deviation_outages (
    deviation_id TEXT NOT NULL REFERENCES deviations(id),
    outage_id    TEXT NOT NULL REFERENCES outages(id),
    PRIMARY KEY (deviation_id, outage_id)
);
CREATE INDEX deviation_outages_outage ON deviation_outages(outage_id);
