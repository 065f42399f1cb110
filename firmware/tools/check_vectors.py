#!/usr/bin/env python3
"""Cross-checks the committed protocol fixtures with an independent implementation (Python's
binascii.crc_hqx and the COBS in linkcheck.py), so a bug shared by the C encoder and C decoder
cannot hide in the vectors. Usage: check_vectors.py FIXTURE_DIR"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from linkcheck import open_body, pattern, pattern_pressure


def main(d):
    frames = json.load(open(os.path.join(d, "device_frames.json")))
    session = b""
    for f in frames:
        wire = bytes.fromhex(f["wire_hex"])
        body = open_body(wire[:-1])
        assert body.hex(" ") == f["body_hex"], f["name"]
        assert wire[-1] == 0 and 0 not in wire[:-1], f["name"]
        dec = f["decoded"]
        assert dec["type_code"] == body[0] and dec["seq"] == body[1] | body[2] << 8
        if dec["type"] == "DATA" and dec["flags"] & 0x40:
            for k, row in enumerate(dec["samples"]):
                n = dec["first_sample"] + k
                want = [pattern(n, 0), pattern(n, 1)] if dec["stream_id"] == 0 else [pattern_pressure(n)]
                assert row == want, (f["name"], n, row, want)
        if f["name"].startswith("session"):
            session += wire
    assert session == open(os.path.join(d, "device_session.bin"), "rb").read()
    for c in json.load(open(os.path.join(d, "host_commands.json"))):
        wire = bytes.fromhex(c["wire_hex"])
        if c["expect"]["ok"]:
            body = open_body(wire[:-1])
            assert body[0] == c["expect"]["type"], c["name"]
            assert body[1] | body[2] << 8 == c["expect"]["req_id"], c["name"]
    # Every worked example in docs/protocol.md must be a frame the encoder really produces.
    doc = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "protocol.md")
    known = {f["wire_hex"] for f in frames} | {c["wire_hex"] for c in json.load(open(os.path.join(d, "host_commands.json")))}
    examples = re.findall(r"^wire \(\d+ B\): ([0-9a-f ]+)$", open(doc).read(), re.M)
    assert examples, "no worked examples found in protocol.md"
    missing = [e for e in examples if e.strip() not in known]
    assert not missing, f"protocol.md examples not produced by the encoder: {missing}"
    print("check_vectors: %d device frames, %d protocol.md examples, fixtures consistent"
          % (len(frames), len(examples)))


if __name__ == "__main__":
    main(sys.argv[1])
