"""The English catalogue covers every string the code and templates mark for translation,
and no Indonesian source string carries its English in parentheses.

The msgids are extracted the way a translator would (``makemessages``), but from a copy
of the package whose catalogues were removed, so that the extraction lists what the code
uses rather than what the catalogues already hold. Each one must then have a non-empty
English translation in the catalogue Django loads.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils.translation import trans_real

# Runs makemessages over a copy of the code: some twenty seconds.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kolaborasi"

# A parenthesised clause of English after Indonesian text: "bukan angka (not a number)".
ENGLISH_IN_PARENTHESES = re.compile(
    r"\((?:[^()]*\s)?(?:not|no|the|must|unknown|only|invalid|too|is|are|nothing|was|cannot|"
    r"lies|needs|already|revoked|expired|empty|missing|file|more|less|in the|out of|"
    r"malformed|expected|load|reversed)\b[^()]*\)",
    re.IGNORECASE,
)

PLACEHOLDER = re.compile(r"%\(\w+\)[a-z]")


def _unquote(lines: list[str]) -> str:
    return "".join(ast.literal_eval(line) for line in lines)


def _msgids(po: Path) -> list[tuple[str, str, bool]]:
    """(context, msgid, plural) of each entry of a freshly extracted catalogue."""
    entries: list[tuple[str, str, bool]] = []
    fields: dict[str, list[str]] = {}
    current = ""

    def flush() -> None:
        if "msgid" in fields:
            msgid = _unquote(fields["msgid"])
            if msgid:  # the header
                entries.append((_unquote(fields.get("msgctxt", [])), msgid, "msgid_plural" in fields))
        fields.clear()

    for raw in po.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            if not line:
                flush()
            continue
        if line.startswith('"'):
            fields[current].append(line)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgctxt":
            flush()
        current = keyword
        fields[keyword] = [rest]
    flush()
    return entries


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, str, bool]]]:
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.fail("GNU gettext (xgettext, msgmerge) is needed: apt-get install gettext")
    tmp = tmp_path_factory.mktemp("i18n")
    copy = tmp / "kolaborasi"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "locale", "*.mo"))
    shutil.copy(ROOT / "manage.py", tmp / "manage.py")
    env = {
        **os.environ,
        # App folders hold a selectors.py that would shadow the standard library's.
        "PYTHONSAFEPATH": "1",
        "PYTHONPATH": str(tmp),
        "DJANGO_SETTINGS_MODULE": "kolaborasi.settings",
        "DEBUG": "1",
    }
    found: dict[str, list[tuple[str, str, bool]]] = {}
    for app in sorted(p for p in copy.iterdir() if (p / "apps.py").exists()):
        (app / "locale").mkdir()
        subprocess.run(
            [sys.executable, "-m", "django", "makemessages", "-l", "en", "--no-location", "-v0"],
            cwd=app,
            env=env,
            check=True,
            capture_output=True,
        )
        po = app / "locale" / "en" / "LC_MESSAGES" / "django.po"
        found[app.name] = _msgids(po) if po.exists() else []
    assert sum(len(v) for v in found.values()) > 100, found  # the extraction did run
    return found


def test_every_msgid_has_an_english_translation(extracted: dict[str, list[tuple[str, str, bool]]]) -> None:
    # Every app's catalogue and Django's own, merged as Django serves them.
    catalog = trans_real.translation("en")._catalog  # type: ignore[attr-defined]
    missing = []
    for app, entries in extracted.items():
        for context, msgid, plural in entries:
            key: object = f"{context}\x04{msgid}" if context else msgid
            if plural:
                key = (key, 0)
            if not catalog.get(key):
                missing.append(f"{app}: {msgid!r}" + (f" (context {context!r})" if context else ""))
    assert not missing, "no English translation for:\n" + "\n".join(missing)


def test_no_english_in_parentheses(extracted: dict[str, list[tuple[str, str, bool]]]) -> None:
    pairs = [
        f"{app}: {msgid!r}"
        for app, entries in extracted.items()
        for _context, msgid, _plural in entries
        if ENGLISH_IN_PARENTHESES.search(PLACEHOLDER.sub("", msgid))
    ]
    assert not pairs, "Indonesian strings carrying English in parentheses:\n" + "\n".join(pairs)


def test_catalogues_hold_no_fuzzy_nor_unused_entries(
    extracted: dict[str, list[tuple[str, str, bool]]],
) -> None:
    """Every entry of an app's English catalogue is final (not fuzzy) and still used by
    that app's code or templates."""
    problems = []
    for app, entries in extracted.items():
        po = PACKAGE / app / "locale" / "en" / "LC_MESSAGES" / "django.po"
        if not po.exists():
            continue
        used = {(context, msgid) for context, msgid, _plural in entries}
        text = po.read_text(encoding="utf-8")
        header_end = text.index("\n\n") if "\n\n" in text else 0
        if "#, fuzzy" in text[header_end:] or ", fuzzy" in text[header_end:]:
            problems.append(f"{app}: fuzzy entries")
        problems += [
            f"{app}: unused {msgid!r}"
            for context, msgid, _plural in _msgids(po)
            if (context, msgid) not in used
        ]
    assert not problems, "\n".join(problems)
