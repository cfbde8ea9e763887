#!/usr/bin/env python3
"""Independent check of testdata/ciphertext-v1.json against
docs/ciphertext-format.md, written from the document rather than from the Go
code. Needs Python 3 and the 'cryptography' package (for AES-GCM only; the
KDF is spelled out below with hmac/hashlib).

    python3 internal/hsm/testdata/verify_ciphertext_v1.py
"""
import hashlib
import hmac
import json
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def kbkdf(key, label, context, length):
    """NIST SP 800-108 counter mode, HMAC-SHA256, OpenSSL KBKDF layout."""
    out = b""
    i = 1
    while len(out) < length:
        msg = struct.pack(">I", i) + label + b"\x00" + context + struct.pack(">I", length * 8)
        out += hmac.new(key, msg, hashlib.sha256).digest()
        i += 1
    return out[:length]


def encode_context(ec):
    out = struct.pack(">I", len(ec))
    for k in sorted(ec, key=lambda k: k.encode("utf-8")):
        kb, vb = k.encode("utf-8"), ec[k].encode("utf-8")
        out += struct.pack(">I", len(kb)) + kb + struct.pack(">I", len(vb)) + vb
    return out


def main():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ciphertext-v1.json")
    with open(path) as f:
        vectors = json.load(f)["vectors"]
    ok = True
    for v in vectors:
        hbk = bytes.fromhex(v["hbk"])
        arn = v["key_arn"].encode("utf-8")
        mid = bytes.fromhex(v["material_id"])
        salt = bytes.fromhex(v["salt"])
        iv = bytes.fromhex(v["iv"])
        pt = bytes.fromhex(v["plaintext"])
        data_key = kbkdf(hbk, b"keyhold/v1/encrypt", salt + mid, 32)
        header = b"KH\x01" + struct.pack(">H", len(arn)) + arn + mid + salt + iv + struct.pack(">I", len(pt))
        aad = header + encode_context(v["encryption_context"])
        blob = header + AESGCM(data_key).encrypt(iv, pt, aad)
        good = blob.hex() == v["blob"] and data_key.hex() == v["data_key"] and aad.hex() == v["aad"]
        ok = ok and good
        print(("ok    " if good else "FAIL  ") + v["name"])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
