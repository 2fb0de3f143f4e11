#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets from the project's tests (run from anywhere):
job documents from src/job/tests.rs and c_tests/agent (the harness's h_job_json shapes and the
literal documents the tests send), CBOR blocks from src/codec/cbor_tests.rs, base64 text from
src/codec/base64_tests.rs; resume scripts (a saved record, a reboot, the same job; the record
corrupted, forged, cut). Each seed is named by the hash of its bytes."""
import hashlib, os, re, struct, sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "fuzz", "seeds")
BLOCK = 4096


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def write(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def c_unescape(s):
    return s.replace('\\"', '"').replace("\\\\", "\\").replace("\\n", "\n")


def h_job_json(job_id, protocols, stream, size, file_id, url=None, self_test=None, updated_by=None):
    """c_tests/agent/harness.c's h_job_json with h_mqtt_job / h_http_job's fields."""
    d = '{"clientToken":"0:dev1","timestamp":1700000000,"execution":{'
    if job_id is not None:
        d += '"jobId":"%s",' % job_id
    d += '"status":"%s",' % ("IN_PROGRESS" if self_test else "QUEUED")
    if self_test or updated_by:
        parts = []
        if self_test:
            parts.append('"self_test":"%s"' % self_test)
        if updated_by:
            parts.append('"updatedBy":"%s"' % updated_by)
        d += '"statusDetails":{%s},' % ",".join(parts)
    d += ('"queuedAt":1700000000,"lastUpdatedAt":1700000000,"versionNumber":1,"executionNumber":1,'
          '"jobDocument":{"afr_ota":{')
    d += '"protocols":%s,' % protocols
    if stream:
        d += '"streamname":"%s",' % stream
    fields = ['"filepath":"/fw/image.bin"', '"filesize":%s' % size, '"fileid":%s' % file_id,
              '"certfile":"signer.crt"']
    if url:
        fields += ['"update_data_url":"%s"' % url, '"auth_scheme":"aws.s3.presigned"']
    fields.append('"sig-sha256-ecdsa":"AQIDBAUGBwg="')
    return (d + '"files":[{%s}]}}}}' % ",".join(fields)).encode()


def documents():
    docs = []
    tests = read("src/job/tests.rs")
    docs += [m.encode() for m in re.findall(r'br#"(\{.*?)"#', tests, re.S)]
    for path in sorted(os.listdir(os.path.join(ROOT, "c_tests/agent"))):
        if path.endswith(".c"):
            text = read("c_tests/agent/" + path).replace('" H_THING "', "dev1")
            docs += [c_unescape(m).encode() for m in re.findall(r'h_send_job\( "((?:[^"\\]|\\.)*)" \)', text)]
    mqtt = '["MQTT"]'
    docs += [
        h_job_json("job-1", mqtt, "s1", 100, 0),
        h_job_json("job-1", mqtt, "s1", BLOCK * 2 + 100, 3),
        h_job_json("job-2", mqtt, "s1", BLOCK, 0, self_test="ready", updated_by="65538"),
        h_job_json("job-2", mqtt, "s1", BLOCK, 0, self_test="active", updated_by="1"),
        h_job_json("job-3", '["HTTP"]', None, BLOCK + 1, 0, url="https://bucket.example/fw.bin?sig=1"),
        h_job_json("job-4", '["MQTT","HTTP"]', "s2", 3 * BLOCK, 1, url="https://b.example/x"),
        h_job_json("job-5", mqtt, "s1", 0, 0),
        h_job_json("job-6", mqtt, "s1", 4294967295, 2147483648),
        h_job_json(None, mqtt, "s1", 100, 0),
    ]
    return docs


def cbor_blocks():
    text = read("src/codec/cbor_tests.rs")
    hexes = re.findall(r'(?:accepts|refuses|h)\(\s*"([0-9a-fA-F ]+)"', text)
    return [bytes.fromhex(h.replace(" ", "")) for h in hexes]


def base64_texts():
    text = read("src/codec/base64_tests.rs")
    found = re.findall(r'b"((?:[^"\\]|\\.)*)"', text)
    return [f.replace("\\r", "\r").replace("\\n", "\n").encode() for f in found]


def main():
    docs = documents()
    blocks = cbor_blocks()
    for d in docs:
        write("job_document", d)
    for t in base64_texts():
        write("base64", b"\x00" + t)
        write("base64", b"\x83" + t)
    for sig in re.findall(rb'"sig-sha256-ecdsa": ?"([^"]*)"', b"".join(docs)):
        write("base64", b"\x00" + sig)
    for b in blocks:
        write("cbor_decode", b"\x00" + b)
        write("cbor_decode", b"\x02" + b)
    # cbor_encode: each int as selector 3 + u32 (f, l, o, n), token, bitmap, room selector 0.
    for token, ints, bitmap in [(b"ThisIsAClientToken", (1, 4096, 0, 1), b"\xaa" * 4),
                                (b"rdy", (0, 4096, 0, 4), b"\x1f"),
                                (b"ThisIsAClientToken", (23, 24, 255, 256), b"\x00"),
                                (b"t", (-1, -24, -25, -2147483648), b"\xff" * 128)]:
        s = b"".join(b"\x03" + struct.pack("<i", i) for i in ints)
        s += bytes([len(token)]) + token + bytes([len(bitmap)]) + bitmap + b"\x00"
        write("cbor_encode", s)
    # Ingest targets: size (u16), file id, flags; then steps (4 = the cloud answers).
    for size in (100, BLOCK, BLOCK + 100, 3 * BLOCK + 1):
        for flags in (0, 1):
            answers = b"\x04" * 12
            write("ingest_mqtt", struct.pack("<H", size) + b"\x01" + bytes([flags]) + answers)
            write("ingest_http", struct.pack("<H", size) + bytes([flags]) + answers)
    for b in blocks:
        write("ingest_mqtt", struct.pack("<H", 2) + b"\x01\x00\x07" + struct.pack("<H", len(b)) + b)
    # agent_events: flags, no fault tape, then steps: Start, the cloud answers (job, blocks).
    happy = b"\x00" + b"\x04" * 10
    for flags in (0x00, 0x01, 0x40, 0x80 | 0x04):
        write("agent_events", bytes([flags, 0]) + happy)
        write("agent_events", bytes([flags, 2]) + happy + b"\x00\x10")
    for d in docs:
        d = d[:1400]
        write("agent_events", b"\x00\x00\x00\x03" + struct.pack("<H", len(d)) + d + b"\x04" * 6)
    for b in blocks[:20]:
        write("agent_events", b"\x00\x00\x00\x04\x04\x04\x07" + struct.pack("<H", len(b)) + b)
    resume_seeds()


def resume_seeds():
    """resume: flags, tape length, resume knobs, buffer selector, then steps of
    script::resume_step (op = byte % 28): 0 Start, 4 the cloud answers,
    21 store bytes, 22 forge, 23 mutate, 24 reboot, 25 registration, 26 the job document
    answering the agent's request, 27 the last download with bits cleared."""
    def doc(text):
        return b"\x1a" + struct.pack("<H", len(text)) + text

    mqtt = h_job_json("job-1", '["MQTT"]', "s1", 8 * BLOCK - 4000, 3)
    http = h_job_json("job-3", '["HTTP"]', None, 3 * BLOCK + 1, 0, url="https://bucket.example/fw.bin")
    reboot = b"\x18\x00"  # reboot, then the last job document again
    # (every 2 blocks, a flush hook, the largest buffer) four blocks arrive, two saves.
    start = b"\x00" + doc(mqtt) + b"\x04"
    scripts = [
        start + reboot + b"\x04" * 8,
        start + b"\x17\x00\x70\x01" + reboot + b"\x04" * 8,  # a flipped bit: no resume
        start + b"\x17\x07\x23\x00\x0f" + reboot + b"\x04" * 8,  # a lying bitmap, resealed
        start + b"\x1b\x05" + reboot + b"\x04" * 8,  # the last download, bits 1 and 3 needed
        start + b"\x17\x01\x20\x00" + reboot + b"\x04" * 8,  # cut short
        start + b"\x19\x00\x04\x04" + reboot + b"\x04" * 6,  # unregistered mid-download
        start + b"\x19\x02\x03\x04\x04",  # an incomplete table is refused
        b"\x16\x00\x02" + b"\x00" + doc(h_job_json("job-0", '["MQTT"]', "s1", BLOCK + 1, 0)) + b"\x04" * 6,
        b"\x15\x2e\x00" + bytes(range(46)) + b"\x00\x04\x04\x04\x04",
        b"\x00" + doc(http) + b"\x04\x04" + reboot + b"\x04" * 6,
    ]
    for knobs, buf in ((0x0A, 6), (0x09, 5), (0x02, 0), (0x11, 2)):
        for sc in scripts:
            write("resume", bytes([0, 0, knobs, buf]) + sc)
    # Faults: the tape's last bytes fail some reopen, flush, save or erase.
    for sc in scripts[:4]:
        write("resume", bytes([0, 2, 0x0A, 6]) + sc + b"\x00\x41")


if __name__ == "__main__":
    sys.exit(main())
