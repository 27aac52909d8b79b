"""The audit chain as JSON Lines, for anyone to check without our server
(``GET /api/v1/exports/audit.jsonl``, checked by ``tools/verify_audit.py``, which needs
only Python's standard library). docs/decisions/0003-audit-chain.md, "The public export".

One line per event, in order of ``seq``, UTF-8, keys sorted:

- every line: ``seq``, ``prev_hash``, ``hash``, ``digest_version`` and ``content``;
  ``hash`` = sha256(``prev_hash`` ":" ``seq`` ":" digest), the digest being the SHA-256 of
  the canonical JSON of the content (keys sorted, separators "," and ":", UTF-8);
- version 2: ``content`` is exactly what the digest covers (``digest_version``
  included). Personal data is in it only as keyed commitments (``audit.personal``);
- version 1 (events written before commitments, never rewritten): ``content`` leaves
  out the personal values (``omitted`` names their places) and the line carries the
  event's ``digest``. Where nothing was left out the verifier recomputes the digest
  from the content; otherwise it can only chain on the digest given: such an event is
  checked for its place in the chain, not for its content.

Bounded memory: pages of ``PAGE`` events by ``seq``, up to the head as it was when the
export started (events are append-only and their ``seq`` committed in order, so the
file is a consistent prefix of the chain)."""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from contextlib import ExitStack
from typing import Any

from django.conf import settings
from django.http import StreamingHttpResponse

from kolaborasi.core import heavy

from .models import AuditEvent, AuditHead
from .personal import personal_paths
from .services import content_digest, digested_content

PAGE = 500
CONTENT_TYPE = "application/jsonl; charset=utf-8"


def event_line(event: AuditEvent) -> dict[str, Any]:
    """The export's line for one event (as a dict)."""
    content = digested_content(event)
    line: dict[str, Any] = {
        "seq": event.seq,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
        "digest_version": event.digest_version,
        "content": content,
    }
    if event.digest_version == 1:
        omitted = personal_paths(actor_label=event.actor_label, before=event.before, after=event.after)
        for path in omitted:
            part, _, key = path.partition(".")
            if key:
                content[part] = {k: v for k, v in content[part].items() if k != key}
            else:
                del content[part]
        line["digest"] = content_digest(event)
        line["omitted"] = omitted
    return line


def audit_lines(after: int = 0) -> Generator[bytes]:
    """The lines of every event after seq ``after``, up to the head as it is now."""
    head = AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    last = max(0, after)
    while last < head:
        page = list(AuditEvent.objects.filter(seq__gt=last, seq__lte=head).order_by("seq")[:PAGE])
        if not page:
            return
        for event in page:
            yield (
                json.dumps(event_line(event), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                + "\n"
            ).encode()
        last = page[-1].seq


class _Stream:
    """The response's body: the lines, holding a slot of the export pool until the
    response is closed (Django closes it when the client got everything or left)."""

    def __init__(self, after: int, stack: ExitStack) -> None:
        self._lines = audit_lines(after)
        self._stack = stack

    def __iter__(self) -> Iterator[bytes]:
        return self._lines

    def close(self) -> None:
        self._lines.close()
        self._stack.close()


def audit_export_response(after: int) -> StreamingHttpResponse:
    """The streamed export. Raises ``heavy.Busy`` when every export slot is streaming."""
    stack = ExitStack()
    stack.enter_context(
        heavy.slot("audit-export", settings.HEAVY_WORK_SLOTS, retry_after=settings.HEAVY_RETRY_AFTER)
    )
    response = StreamingHttpResponse(_Stream(after, stack), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = 'inline; filename="audit.jsonl"'
    response["Cache-Control"] = "no-cache"
    return response
