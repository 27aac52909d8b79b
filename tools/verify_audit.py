#!/usr/bin/env python3
"""Check an export of kolaborasi's audit chain without kolaborasi: Python's standard
library only, one file.

    curl -o audit.jsonl https://SITE/api/v1/exports/audit.jsonl
    curl https://SITE/api/v1/audit/head        # save the "hash" now and then
    python3 tools/verify_audit.py audit.jsonl [--head HASH]

Every line is one event, in order (the format: kolaborasi/audit/exports.py). For each,
this recomputes the digest of its content and its link,
``hash = sha256(prev_hash ":" seq ":" digest)``, and checks that it follows the line
before (``seq`` one more, ``prev_hash`` its hash). It stops at the first line that does
not hold, names it, and exits 1: one byte changed anywhere, a line removed, two lines
swapped. With ``--head HASH``, a head published earlier (``GET /api/v1/audit/head``),
the file must reach that event: a tail cut before it is named as well.

The first line anchors the file: an export from the first event must start at seq 1
from 64 zeros; an export after an event (``?after=SEQ``) starts from that event's hash,
which its first line carries as ``prev_hash`` (``--anchor HASH`` checks it against a
hash you kept).

Events of digest version 1 (written before personal data became commitments) leave
their personal values out of the export; their line carries the digest, and where
something was left out (``omitted``) the chain is checked with that digest: their place
in the chain and their order, not their content. Version 2 lines are checked in full.

Exit status: 0 the file holds, 1 it does not (the first bad line on stderr), 2 usage.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys

GENESIS = "0" * 64
HEX64 = re.compile(r"[0-9a-f]{64}")
LINE_KEYS_V2 = {"seq", "prev_hash", "hash", "digest_version", "content"}
LINE_KEYS_V1 = LINE_KEYS_V2 | {"digest", "omitted"}
CONTENT_KEYS = {
    "created_at",
    "actor_id",
    "actor_label",
    "organisation_id",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
}


class Bad(Exception):
    pass


def canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _hex(line: dict, key: str) -> str:
    value = line.get(key)
    if not isinstance(value, str) or not HEX64.fullmatch(value):
        raise Bad(f"{key!r} is not 64 lowercase hex digits")
    return value


def parse(raw: bytes) -> dict:
    """One line, which must be a JSON object written exactly as the export writes it
    (so that no byte of it can change without the check seeing it)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Bad(f"not UTF-8 ({exc.reason})") from None
    if not text.endswith("\n"):
        raise Bad("does not end with a newline (the file was cut inside it?)")
    text = text[:-1]
    try:
        line = json.loads(text)
    except ValueError as exc:
        raise Bad(f"not JSON ({exc})") from None
    if not isinstance(line, dict):
        raise Bad("not a JSON object")
    if canonical(line) != text:
        raise Bad("not in the export's canonical form (keys sorted, no spaces): changed")
    return line


def digest_of(line: dict, *, seen_v2: bool) -> str:
    """The digest the line's hash covers: recomputed from its content wherever the line
    holds all of it."""
    version = line.get("digest_version")
    content = line.get("content")
    if not isinstance(content, dict):
        raise Bad("'content' is not an object")
    if version == 2:
        if set(line) != LINE_KEYS_V2:
            raise Bad(f"a version 2 line has exactly the keys {sorted(LINE_KEYS_V2)}")
        if set(content) != CONTENT_KEYS | {"digest_version"} or content["digest_version"] != 2:
            raise Bad("the content of a version 2 line is not what its digest covers")
        return sha256(canonical(content))
    if version == 1:
        if seen_v2:
            raise Bad("a version 1 line after a version 2 line: versions only go up")
        if set(line) != LINE_KEYS_V1:
            raise Bad(f"a version 1 line has exactly the keys {sorted(LINE_KEYS_V1)}")
        given = _hex(line, "digest")
        omitted = line["omitted"]
        if not isinstance(omitted, list) or not all(isinstance(p, str) for p in omitted):
            raise Bad("'omitted' is not a list of places")
        if not omitted:
            if set(content) != CONTENT_KEYS:
                raise Bad("the content of a version 1 line is not what its digest covers")
            if sha256(canonical(content)) != given:
                raise Bad("the content does not match its digest (changed)")
        return given
    raise Bad(f"unknown digest_version {version!r}")


def verify(path: str, *, head: str | None = None, anchor: str | None = None) -> tuple[bool, str]:
    """(holds, message): the message names the first bad line when it does not."""
    prev_hash = None
    prev_seq = None
    first_seq = None
    seen_v2 = False
    head_found = head is None or head == GENESIS
    number = 0
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = parse(raw)
                seq = line.get("seq")
                if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
                    raise Bad("'seq' is not a positive whole number")
                line_prev = _hex(line, "prev_hash")
                line_hash = _hex(line, "hash")
                if prev_seq is None:
                    first_seq = seq
                    if seq == 1 and line_prev != GENESIS:
                        raise Bad("the first event (seq 1) does not start from 64 zeros")
                    if anchor is not None and line_prev != anchor:
                        raise Bad(f"starts from {line_prev}, not from the anchor {anchor}")
                else:
                    if seq > prev_seq + 1:
                        raise Bad(f"seq {seq} follows seq {prev_seq}: event #{prev_seq + 1} is missing")
                    if seq != prev_seq + 1:
                        raise Bad(f"seq {seq} follows seq {prev_seq}: out of order")
                    if line_prev != prev_hash:
                        raise Bad("prev_hash is not the hash of the line before")
                digest = digest_of(line, seen_v2=seen_v2)
                if sha256(f"{line_prev}:{seq}:{digest}") != line_hash:
                    raise Bad("hash does not match prev_hash, seq and content (changed)")
            except Bad as exc:
                return False, f"line {number}: {exc}"
            seen_v2 = seen_v2 or line["digest_version"] == 2
            prev_seq, prev_hash = seq, line_hash
            if line_hash == head:
                head_found = True
    if not head_found:
        where = f"ends at seq {prev_seq} (line {number})" if number else "is empty"
        return False, (
            f"line {number + 1}: missing: the file {where} and never reaches the head {head}: "
            "its tail was cut (or the head is not of this chain)"
        )
    if number == 0:
        return True, "OK: no events"
    start = "from the first event" if first_seq == 1 else f"anchored at the hash before seq {first_seq}"
    with_head = f"; contains the head {head}" if head is not None else ""
    return (
        True,
        f"OK: {number} events, seq {first_seq} to {prev_seq} ({start}), last hash {prev_hash}{with_head}",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Check an export of the kolaborasi audit chain (JSON Lines)."
    )
    parser.add_argument("file", help="the export, e.g. audit.jsonl")
    parser.add_argument("--head", help="a head hash published earlier: the file must reach that event")
    parser.add_argument("--anchor", help="the hash the file's first line must start from (its prev_hash)")
    args = parser.parse_args(argv)
    for name in ("head", "anchor"):
        value = getattr(args, name)
        if value is not None and not HEX64.fullmatch(value):
            parser.error(f"--{name}: 64 lowercase hex digits")
    try:
        ok, message = verify(args.file, head=args.head, anchor=args.anchor)
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
