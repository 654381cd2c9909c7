#!/usr/bin/env bash
# Proves the attack tests guard the lock: removes one check at a time from
# lock/src/reference.rs and protocol/src/framing.rs and expects the tests to
# fail. Restores the files whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
files=(lock/src/reference.rs protocol/src/framing.rs)
backup=$(mktemp -d)
for f in "${files[@]}"; do cp "$f" "$backup/$(basename "$f")"; done
restore() { for f in "${files[@]}"; do cp "$backup/$(basename "$f")" "$f"; done; }
trap restore EXIT

# file | check | the exact text | what replaces it
mutants=(
  "lock/src/reference.rs|issuer signature|let claims = token.verify(\&issuer).map_err(\|e\| e.status())?;|let claims = token.claims_unverified().map_err(\|e\| e.status())?; let _ = \&issuer;"
  "lock/src/reference.rs|audience|if claims.lock_id != self.lock_id {|if false {"
  "lock/src/reference.rs|clock floor|self.time_floor = self.time_floor.max(claims.issued_at);|"
  "lock/src/reference.rs|not-before|if now < claims.not_before {|if false {"
  "lock/src/reference.rs|decision end|if now >= claims.decision_end {|if false {"
  "lock/src/reference.rs|expiry|if now >= claims.expires {|if false {"
  "lock/src/reference.rs|revocation|if self.revocations.is_revoked(\&claims.token_id) {|if false {"
  "lock/src/reference.rs|scope|if !claims.scope.allows(req.command) {|if false {"
  "lock/src/reference.rs|mode|if let Err(status) = self.check_mode(scope, req.command) {|if let Err(status) = Result::<(), Status>::Ok(()) {"
  "lock/src/reference.rs|proof of possession|.map_err(\|_\| Status::ProofOfPossession)?;|.map_err(\|_\| Status::ProofOfPossession).ok();"
  "lock/src/reference.rs|session nonce|let nonce = self.take_nonce(\&req.nonce)?;|let nonce = self.take_nonce(\&req.nonce).unwrap_or(req.nonce);"
  "lock/src/reference.rs|request id cache|if let Some(cached) = self.cache.get(\&subject.request_id).cloned() {|if let Some(cached) = None::<CachedResult> {"
  "lock/src/reference.rs|revocation list signature|RevocationList::verify(bytes, \&issuer).map_err(\|_\| Status::BadRevocationList)?;|RevocationList::verify(bytes, \&issuer).unwrap_or(RevocationList { epoch: 0, issued_at: 0, revoked: vec![] });"
  "lock/src/reference.rs|setup button presence|if !self.hardware.setup_button_recently_pressed() {|if false {"
  "lock/src/reference.rs|commission lock key|if grant.lock_key_hash != sha256(self.key.public_key().as_bytes()) {|if false {"
  "protocol/src/framing.rs|duplicate fragment|if seq == self.last_seq {|if false {"
  "protocol/src/framing.rs|fragment order|if seq != expected_seq {|if false {"
  "protocol/src/framing.rs|overrun|if self.buf.len() + data.len() > self.expected {|if false {"
  "protocol/src/framing.rs|message bound|if expected == 0 \|\| expected > MAX_MESSAGE_LEN {|if expected == 0 {"
)

survived=0
for m in "${mutants[@]}"; do
  IFS='|' read -r file name from to <<<"$(printf '%s' "$m" | sed 's/\\|/\x01/g')"
  from=${from//$'\x01'/|}; to=${to//$'\x01'/|}
  restore
  python3 - "$file" "$from" "$to" <<'PY'
import sys
path, old, new = sys.argv[1], sys.argv[2].replace('\\&', '&'), sys.argv[3].replace('\\&', '&')
text = open(path).read()
if text.count(old) != 1:
    sys.exit(f"check not found exactly once in {path}: {old}")
open(path, 'w').write(text.replace(old, new))
PY
  if ! cargo test -q -p nyckelfri-lock -p nyckelfri-protocol --no-run >/dev/null 2>&1; then
    echo "BROKEN:   the mutant for the $name check does not compile"
    survived=$((survived + 1))
  elif cargo test -q -p nyckelfri-lock -p nyckelfri-protocol >/dev/null 2>&1; then
    echo "SURVIVED: removing the $name check fails no test"
    survived=$((survived + 1))
  else
    echo "caught:   removing the $name check fails a test"
  fi
done
restore
echo "${#mutants[@]} checks removed one at a time, $survived survived"
[[ $survived -eq 0 ]]
