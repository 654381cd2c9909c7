-- Lock state that holds (issue 15), PostgreSQL flavour. Kept column for
-- column in step with migrations/sqlite/0006_lock_revocation.sql.

-- One revocation list per lock and issuer key: its entries are only tokens
-- for that lock (aud), so locks never share a list's capacity, and each
-- issuer key has its own rising epoch per lock. `signed` is NULL after a
-- change made without the issuer key (CSV import): the next reader signs it.
-- `revoked_before`: every token of this issuer for the lock issued (iat)
-- before it is revoked; set when the lock's revoked tokens would not fit.
CREATE TABLE lock_revocations (
    lock_id        TEXT NOT NULL,
    issuer_kid     BYTEA NOT NULL,
    epoch          BIGINT NOT NULL,
    issued_at      BIGINT NOT NULL,
    revoked_before BIGINT NOT NULL DEFAULT 0,
    entries        BIGINT NOT NULL DEFAULT 0,
    signed         BYTEA,
    PRIMARY KEY (lock_id, issuer_kid)
);
CREATE INDEX lock_revocations_unsigned ON lock_revocations(lock_id) WHERE signed IS NULL;

-- Each revoked token's lock and issue time, for its lock's list.
ALTER TABLE revoked_tokens ADD COLUMN lock_id TEXT;
ALTER TABLE revoked_tokens ADD COLUMN issued_at BIGINT;
UPDATE revoked_tokens SET
    lock_id = (SELECT t.lock_id FROM issued_tokens t WHERE t.token_id = revoked_tokens.token_id),
    issued_at = (SELECT t.issued_at FROM issued_tokens t WHERE t.token_id = revoked_tokens.token_id);
CREATE INDEX revoked_tokens_lock ON revoked_tokens(lock_id, expires);
-- The server builds and signs each lock's list at its next start.

-- The revocation table's epoch is now a revision of all lists (it rises
-- with every change); its own signed list is no longer used.
UPDATE revocation SET signed = NULL;

-- Grants are issued only for a lock key on an open installation order.
ALTER TABLE locks ADD COLUMN order_id TEXT REFERENCES orders(id);
