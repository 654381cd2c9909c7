#!/usr/bin/env python3
"""An independent reader of the protocol test vectors (PROTOCOL.md §12),
written from PROTOCOL.md alone: its own decoder for the CBOR profile (§1.4),
the transcripts as §4 builds them, and ES256 checks with Python's
`cryptography`. It checks every Hello and Result decode and re-encode to
the same bytes, every receipt transcript rebuilt from the Hello and the
Result equals the recorded one and verifies under the lock's key, and every
request transcript rebuilt from the Hello the phone saw verifies under the
device (or stranger) key; tokens verify under their issuer.

    python3 tests/vectors/check.py            # check every vector
    python3 tests/vectors/check.py --annotate valid-unlock.json
                                              # print its messages annotated
"""

import hashlib
import json
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

DIR = Path(__file__).parent


class Bad(Exception):
    pass


# ---------------------------------------------------------------- CBOR profile

class Tag:
    def __init__(self, tag, value):
        self.tag, self.value = tag, value


def decode(data, max_depth=16):
    pos = 0

    def take(n):
        nonlocal pos
        if pos + n > len(data):
            raise Bad("truncated")
        out = data[pos:pos + n]
        pos += n
        return out

    def head():
        first = take(1)[0]
        major, info = first >> 5, first & 0x1F
        if info < 24:
            return major, info, info
        if info <= 27:
            n = 1 << (info - 24)
            arg = int.from_bytes(take(n), "big")
            if arg < {1: 24, 2: 0x100, 4: 0x10000, 8: 0x100000000}[n]:
                raise Bad("head not in shortest form")
            return major, info, arg
        raise Bad("indefinite length or reserved head")

    def item(depth, outermost):
        major, info, arg = head()
        if major == 0:
            return arg
        if major == 1:
            return -1 - arg
        if major in (2, 3):
            raw = take(arg)
            return raw if major == 2 else raw.decode("utf-8")
        if major in (4, 5):
            if depth + 1 > max_depth:
                raise Bad("nested deeper than 16")
            if major == 4:
                return [item(depth + 1, False) for _ in range(arg)]
            out = {}
            for _ in range(arg):
                k = item(depth + 1, False)
                if not isinstance(k, (int, str)) or k in out:
                    raise Bad("bad or repeated map key")
                out[k] = item(depth + 1, False)
            return out
        if major == 6:
            if not outermost or arg != 18:
                raise Bad("tag")
            return Tag(18, item(depth, False))
        if info == 20:
            return False
        if info == 21:
            return True
        if info == 22:
            return None
        raise Bad("simple value")

    v = item(0, True)
    if pos != len(data):
        raise Bad("trailing bytes")
    return v


def enc_head(major, arg):
    if arg < 24:
        return bytes([major << 5 | arg])
    for n, info in ((1, 24), (2, 25), (4, 26), (8, 27)):
        if arg < 1 << (8 * n):
            return bytes([major << 5 | info]) + arg.to_bytes(n, "big")
    raise Bad("too large")


def encode(v):
    if v is False:
        return b"\xf4"
    if v is True:
        return b"\xf5"
    if v is None:
        return b"\xf6"
    if isinstance(v, int):
        return enc_head(0, v) if v >= 0 else enc_head(1, -1 - v)
    if isinstance(v, bytes):
        return enc_head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return enc_head(3, len(b)) + b
    if isinstance(v, list):
        return enc_head(4, len(v)) + b"".join(encode(x) for x in v)
    if isinstance(v, dict):
        return enc_head(5, len(v)) + b"".join(encode(k) + encode(x) for k, x in v.items())
    if isinstance(v, Tag):
        return enc_head(6, v.tag) + encode(v.value)
    raise Bad(f"cannot encode {v!r}")


# ---------------------------------------------------------------- crypto

def key(sec1):
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sec1)


def verify(sec1, msg, sig):
    if len(sig) != 64:
        return False
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    try:
        key(sec1).verify(der, msg, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def kid(sec1):
    return hashlib.sha256(sec1).digest()[:8]


def cose_verify(token, sec1):
    """§2.1, §2.2: tag 18, [protected {1: -7, 4: kid}, {}, payload, sig]."""
    v = decode(token)
    if not isinstance(v, Tag) or not isinstance(v.value, list) or len(v.value) != 4:
        raise Bad("not a tagged COSE_Sign1")
    protected, unprotected, payload, sig = v.value
    header = decode(protected)
    if header != {1: -7, 4: header.get(4)} or len(header[4]) != 8 or unprotected != {}:
        raise Bad("envelope")
    tbs = encode(["Signature1", protected, b"", payload])
    return header[4], decode(payload), verify(sec1, tbs, sig)


# ---------------------------------------------------------------- transcripts

def issuers(hello):
    return [[i[0], i[1]] for i in hello[5]]


def receipt(step, hello, result):
    """§4.2."""
    s = step["receipt_subject"]
    return encode([
        "nyckelfri/receipt/v2", step["receipt_lock_id"], hello[3], issuers(hello),
        bytes.fromhex(s["token_hash"]), s["command"], bytes.fromhex(s["request_id"]),
        result[3], result[7], result[8], result[4], result[9], result[5], result[6],
    ])


def check(name, v, keys):
    pub = {n: bytes.fromhex(keys[n]["public"]) for n in keys if n != "warning"}
    hello = None
    answers = 0
    for i, step in enumerate(v["steps"]):
        at = f"{name} step {i}"
        if step["do"] == "connect":
            raw = bytes.fromhex(step["hello"])
            hello = decode(raw)
            assert encode(hello) == raw, f"{at}: Hello not in its one encoding"
            assert hello[:2] == [2, 1] and len(hello) == 10, at
        elif step["do"] in ("disconnect", "reboot", "power_loss", "factory_reset"):
            hello = None
        if step["do"] not in ("send", "send_fragments") or step.get("expect") is None:
            continue
        raw = bytes.fromhex(step["result"])
        result = decode(raw)
        assert encode(result) == raw and result[:2] == [2, 3] and len(result) == 11, at
        e = step["expect"]
        assert (result[3], result[7], result[8], result[5]) == (
            e["code"], e["counter"], e["lock_time"], e["battery"]), at
        t = receipt(step, hello, result)
        assert t.hex() == step["receipt_transcript"], f"{at}: receipt transcript"
        assert verify(pub["lock"], t, result[10]), f"{at}: receipt signature"
        if step.get("kind") == "request":
            r = step["request"]
            seen = decode(bytes.fromhex(r["seen_hello"]))
            token = bytes.fromhex(r["token"])
            token_kid, claims, _ = cose_verify(token, pub["issuer"])
            for n in ("issuer", "issuer2"):
                if kid(pub[n]) == token_kid:
                    assert cose_verify(token, pub[n])[2] or e["status"] == "bad_signature", at
            assert claims[-65540] == r["token_claims"]["min_epoch"], at
            announced = next((x[1] for x in seen[5] if x[0] == token_kid), 0)
            assert announced == r["announced_epoch"], at
            req = decode(bytes.fromhex(step["message"]))
            rt = encode(["nyckelfri/request/v2", seen[2], seen[3], announced,
                         hashlib.sha256(token).digest(), req[4], req[5]])
            assert rt.hex() == r["transcript"], f"{at}: request transcript"
            signer = pub["device"] if r["signed_by"] == "device" else pub["stranger"]
            assert verify(signer, rt, req[6]), f"{at}: device signature"
        answers += 1
    return answers


# ---------------------------------------------------------------- annotation

def annotate(raw, labels, indent=3):
    """Prints a CBOR array one element per line, with `labels`."""
    v = decode(raw)
    items = v.value if isinstance(v, Tag) else v
    print(f"{raw[:1].hex():<36}# array({len(items)})")
    for x, label in zip(items, labels):
        b = encode(x)
        h = b.hex()
        shown = h if len(h) <= 34 else h[:16] + "…" + h[-8:]
        print(f"{' ' * indent}{shown:<{36 - indent}}# {label}")


def main():
    keys = json.loads((DIR / "keys.json").read_text())
    if len(sys.argv) == 3 and sys.argv[1] == "--annotate":
        v = json.loads((DIR / sys.argv[2]).read_text())
        for step in v["steps"]:
            if step["do"] == "connect":
                print("Hello", step["hello"])
            elif step["do"] == "send" and step.get("expect"):
                print("sent", step["message"])
                print("result", step["result"])
                print("receipt transcript", step["receipt_transcript"])
                if "request" in step:
                    print("request transcript", step["request"]["transcript"])
                    print("token", step["request"]["token"])
        return
    total = 0
    files = sorted(p for p in DIR.glob("*.json") if p.name != "keys.json")
    for p in files:
        total += check(p.name, json.loads(p.read_text()), keys)
    print(f"{len(files)} vectors, {total} answers: every transcript rebuilt and every signature verified")


if __name__ == "__main__":
    main()
