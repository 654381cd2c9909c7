#!/usr/bin/env bash
# Proves the attack tests guard the lock: removes one check at a time from
# the lock (lock/src) and the protocol (framing, transcripts, scopes) and
# expects the attack tests to fail. Each mutant builds and runs only the
# attack tests (lock/tests/attacks.rs, state_attacks.rs, commissioning.rs;
# for the reassembler also its own tests in protocol/src/framing.rs), not the
# whole lock crate. Restores the files whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - <<'PY'
import os, shutil, subprocess, sys, tempfile

# file, the check, the exact text (once in the file), what replaces it
MUTANTS = [
    ("lock/src/reference.rs", "issuer signature",
     "let claims = token.verify(&issuer).map_err(|e| e.status())?;",
     "let claims = token.claims_unverified().map_err(|e| e.status())?; let _ = &issuer;"),
    ("lock/src/reference.rs", "audience", "if claims.lock_id != self.lock_id {", "if false {"),
    ("lock/src/reference.rs", "clock floor from iat", "self.raise_floor(claims.issued_at);", ""),
    ("lock/src/reference.rs", "iat too far ahead", "if self.too_far_ahead(claims.issued_at) {", "if false {"),
    ("lock/src/reference.rs", "not-before", "if now < claims.not_before {", "if false {"),
    ("lock/src/reference.rs", "decision end", "if now >= claims.decision_end {", "if false {"),
    ("lock/src/reference.rs", "expiry", "if now >= claims.expires {", "if false {"),
    ("lock/src/reference.rs", "list freshness (min epoch)", "if held.epoch < claims.min_epoch {", "if false {"),
    ("lock/src/reference.rs", "revocation", "if held.revokes(&claims.token_id, claims.issued_at) {", "if false {"),
    ("lock/src/store.rs", "revoked before", "issued_at < self.revoked_before || ", ""),
    ("lock/src/reference.rs", "scope", "if !claims.scope.allows(req.command) {", "if false {"),
    ("protocol/src/token.rs", "install scope's commands",
     "Scope::Install => !matches!(command, Command::EnterInstallation),", "Scope::Install => true,"),
    ("lock/src/reference.rs", "mode",
     "if let Err(status) = self.check_mode(checked.scope, req.command) {",
     "if let Err(status) = Result::<(), Status>::Ok(()) {"),
    ("lock/src/reference.rs", "install scope never opens in normal mode",
     "(Scope::Care | Scope::Maintenance, Command::Unlock | Command::Lock, _) => true,",
     "(Scope::Care | Scope::Maintenance | Scope::Install, Command::Unlock | Command::Lock, _) => true,"),
    ("lock/src/reference.rs", "proof of possession",
     ".map_err(|_| Status::ProofOfPossession)?;", ".map_err(|_| Status::ProofOfPossession).ok();"),
    ("protocol/src/transcript.rs", "announced epoch in the request transcript",
     "cbor::uint(announced_epoch),", "cbor::uint(0),"),
    ("protocol/src/transcript.rs", "battery in the receipt", "cbor::uint(u64::from(f.battery)),", ""),
    ("protocol/src/transcript.rs", "mode in the receipt", "cbor::uint(f.mode as u64),", ""),
    ("lock/src/reference.rs", "session nonce",
     "let nonce = self.take_nonce(&req.nonce)?;",
     "let nonce = self.take_nonce(&req.nonce).unwrap_or(req.nonce);"),
    ("lock/src/reference.rs", "session timeout by the tick",
     "&& tick.saturating_sub(session.started_ms) <= SESSION_TIMEOUT_SECS * 1000;", ";"),
    ("lock/src/reference.rs", "request id cache",
     "if let Some(cached) = self.cached(&req.request_id).cloned() {",
     "if let Some(cached) = None::<CachedResult> {"),
    ("lock/src/reference.rs", "request-id horizon",
     "if first_made > hello_time || first_made < self.horizon {", "if first_made > hello_time {"),
    ("lock/src/reference.rs", "request id from the future",
     "if first_made > hello_time || first_made < self.horizon {", "if first_made < self.horizon {"),
    ("lock/src/reference.rs", "cache entry stored before the bolt moves",
     "if self.write_entry(slot, &entry, horizon).is_err() {", "if false {"),
    ("lock/src/reference.rs", "cache restored at boot", "*c = Some(rec.entry);", "let _ = (c, rec.entry);"),
    ("lock/src/reference.rs", "counter restored at boot",
     "lock.counter = lock.counter.max(rec.entry.counter);", ""),
    ("lock/src/reference.rs", "time high-water mark restored at boot",
     "floor = floor.max(rec.entry.lock_time);", ""),
    ("lock/src/reference.rs", "high-water mark follows the RTC", "if now > self.clock.anchor {", "if false {"),
    ("lock/src/reference.rs", "lists restored at boot", "t.list = rec.list;", "let _ = (t, rec.list);"),
    ("lock/src/reference.rs", "roll-forward of a stored command",
     "Command::FinishInstallation => lock.mode = LockMode::Normal,", "Command::FinishInstallation => {}"),
    ("lock/src/persist.rs", "two areas per record", "let half = current.map_or(0, |h| 1 - h);",
     "let half = current.map_or(0, |_| 0);"),
    ("lock/src/persist.rs", "record check", "(check(head) == stored).then(", "(stored.len() == CHECK_LEN).then("),
    ("lock/src/reference.rs", "list for this lock", "if header.lock_id != self.lock_id {", "if false {"),
    ("lock/src/reference.rs", "epoch step bound", "if header.epoch - held > MAX_EPOCH_STEP {", "if false {"),
    ("lock/src/reference.rs", "epochs per issuer", "Some(t) => (t.key.clone(), t.list.epoch),",
     "Some(t) => (t.key.clone(), self.revocation_epoch().max(t.list.epoch)),"),
    ("lock/src/reference.rs", "revocation list signature",
     "let list = RevocationList::verify(bytes, &issuer).map_err(|_| Status::BadRevocationList)?;",
     "let list = RevocationList::read_unverified(bytes).map_err(|_| Status::BadRevocationList)?; let _ = &issuer;"),
    ("lock/src/reference.rs", "list dated too far ahead", "if self.too_far_ahead(list.issued_at) {", "if false {"),
    ("lock/src/reference.rs", "floor stored before pruning",
     "self.save_state().map_err(|_| Status::StorageFault)?;", ""),
    ("lock/src/reference.rs", "issuer update signature",
     "let update = IssuerUpdate::verify(bytes, &signer).map_err(|_| Status::BadIssuerUpdate)?;",
     "let update = IssuerUpdate::read_unverified(bytes).map_err(|_| Status::BadIssuerUpdate)?; let _ = &signer;"),
    ("lock/src/reference.rs", "old issuer update ignored", "if issued_at <= self.issuers_time {", "if false {"),
    ("lock/src/reference.rs", "one signed answer to garbage per session",
     "if session.answered_undecodable {", "if false {"),
    ("lock/src/reference.rs", "one answer per nonce",
     "Ok(Message::Request(_) | Message::Commission(_)) if used => None,",
     "Ok(Message::Request(_) | Message::Commission(_)) if false => None,"),
    ("lock/src/reference.rs", "refusals do not count",
     "self.answer(status, self.bolt, self.counter, now, false, subject)",
     "{ self.counter += 1; self.answer(status, self.bolt, self.counter, now, false, subject) }"),
    ("lock/src/reference.rs", "setup button presence",
     "if !self.hardware.setup_button_recently_pressed() {", "if false {"),
    ("lock/src/reference.rs", "commission lock key",
     "if grant.lock_key_hash != sha256(self.key.public_key().as_bytes()) {", "if false {"),
    ("lock/src/reference.rs", "grant dated too far ahead", "if self.too_far_ahead(grant.issued_at) {", "if false {"),
    ("protocol/src/framing.rs", "duplicate fragment", "if seq == self.last_seq {", "if false {"),
    ("protocol/src/framing.rs", "fragment order", "if seq != expected_seq {", "if false {"),
    ("protocol/src/framing.rs", "overrun", "if self.buf.len() + data.len() > self.expected {", "if false {"),
    ("protocol/src/framing.rs", "message bound",
     "if expected == 0 || expected > MAX_MESSAGE_LEN {", "if expected == 0 {"),
]

TESTS = ["cargo", "test", "-q", "-p", "nyckelfri-lock",
         "--test", "attacks", "--test", "state_attacks", "--test", "commissioning"]

FRAMING_TESTS = ["cargo", "test", "-q", "-p", "nyckelfri-protocol", "--lib", "framing::"]

files = sorted({m[0] for m in MUTANTS})
backup = tempfile.mkdtemp()
for i, f in enumerate(files):
    shutil.copy(f, os.path.join(backup, str(i)))

def restore():
    for i, f in enumerate(files):
        shutil.copy(os.path.join(backup, str(i)), f)

survived = 0
try:
    for path, name, old, new in MUTANTS:
        restore()
        text = open(path).read()
        if text.count(old) != 1:
            sys.exit(f"check not found exactly once in {path}: {old}")
        open(path, "w").write(text.replace(old, new))
        quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # A scrambled message fails its signature at the lock anyway, so the
        # reassembler's checks show only in its own attack tests.
        tests = [TESTS] + ([FRAMING_TESTS] if path.endswith("framing.rs") else [])
        if any(subprocess.run(t + ["--no-run"], **quiet).returncode != 0 for t in tests):
            print(f"BROKEN:   the mutant for the {name} check does not compile")
            survived += 1
        elif all(subprocess.run(t, **quiet).returncode == 0 for t in tests):
            print(f"SURVIVED: removing the {name} check fails no attack test")
            survived += 1
        else:
            print(f"caught:   removing the {name} check fails an attack test")
finally:
    restore()
    shutil.rmtree(backup)
print(f"{len(MUTANTS)} checks removed one at a time, {survived} survived")
sys.exit(1 if survived else 0)
PY
