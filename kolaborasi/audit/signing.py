"""The key that signs the audit chain's head, and what exactly it signs
(docs/decisions/0003-audit-chain.md, "Signed heads").

The key is an Ed25519 private key in a PEM (PKCS#8) file named by the setting
``AUDIT_SIGNING_KEY_FILE``, outside the database: whoever can rewrite the database
cannot sign a head for the rewritten chain. Its public half is published at
``GET /api/v1/audit/key``.

``kolaborasi audit rotate-key`` (:func:`rotate`) replaces the key: the old key's public
half goes to the retired keys file (``AUDIT_RETIRED_KEYS_FILE``; by default beside the
key, ``<key name>-retired.pem``), PEM public keys one after another, with ``#`` comment
lines. Public keys only, outside the database too: a head verifies when the current key
or any retired key verifies its signature, so every head signed before a rotation keeps
verifying. A key is named by its fingerprint, the SHA-256 of its raw 32 bytes in hex.

A head is signed as the UTF-8 bytes of :func:`head_message`, one line::

    kolaborasi-audit-head:1:<seq>:<hash>:<at>

with ``seq`` in decimal, ``hash`` the 64 lowercase hex digits of the event at ``seq``
(64 zeros for the empty chain, seq 0) and ``at`` the moment of signing in UTC, whole
seconds, as ``YYYY-MM-DDTHH:MM:SSZ``. The JSON of a head (``GET /api/v1/audit/head``,
``kolaborasi audit sign``) carries these three fields as they appear in the line, and the
signature in standard base64.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils import timezone

ALGORITHM = "Ed25519"
_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_HASH = re.compile(r"[0-9a-f]{64}")
_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


class SigningKeyError(Exception):
    """The signing key cannot be used; the message names the file and what to do."""


def format_at(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime(_AT_FORMAT)


def head_message(seq: int, hash: str, at: dt.datetime) -> bytes:
    """The bytes a head's signature covers (the module's docstring defines them)."""
    return f"kolaborasi-audit-head:1:{seq}:{hash}:{format_at(at)}".encode()


def _key_file() -> Path:
    return Path(settings.AUDIT_SIGNING_KEY_FILE)


def _create(path: Path) -> None:
    """Write a new key to ``path`` unless one appears there meanwhile (another process
    creating it at the same moment wins, and both then use its key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    partial = path.with_name(f".{path.name}.{os.getpid()}.new")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        with suppress(FileExistsError):  # another process made it first: never overwrite a key
            os.link(partial, path)
    finally:
        partial.unlink(missing_ok=True)


@lru_cache(maxsize=4)
def _load(path: str, _mtime_ns: int, _size: int) -> Ed25519PrivateKey:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"AUDIT_SIGNING_KEY_FILE {path}: cannot be read ({exc.strerror})") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(
            f"AUDIT_SIGNING_KEY_FILE {path}: not an unencrypted PEM private key ({exc}). "
            "Put back the key this site signs with (its public half is the one published at "
            "/api/v1/audit/key), or make a new one with `openssl genpkey -algorithm ed25519`."
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(
            f"AUDIT_SIGNING_KEY_FILE {path}: not an Ed25519 key but an {type(key).__name__} "
            "(make one with `openssl genpkey -algorithm ed25519`)."
        )
    return key


def private_key() -> Ed25519PrivateKey:
    """The signing key. Made once when the file is missing and the setting is the
    default; a missing file named by the setting, or a malformed one, is an error."""
    path = _key_file()
    if not path.exists():
        if not settings.AUDIT_SIGNING_KEY_CREATE:
            raise SigningKeyError(
                f"AUDIT_SIGNING_KEY_FILE {path}: no such file. Put the site's signing key there, "
                "or make a new one with `openssl genpkey -algorithm ed25519 -out FILE`."
            )
        _create(path)
    stat = path.stat()
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(key: Ed25519PublicKey) -> str:
    """The key's name: SHA-256 of its raw 32 bytes, 64 lowercase hex digits."""
    return hashlib.sha256(_raw(key)).hexdigest()


def _retired_file() -> Path:
    configured = settings.AUDIT_RETIRED_KEYS_FILE
    if configured:
        return Path(configured)
    key = _key_file()
    return key.with_name(f"{key.stem}-retired.pem")


_BEGIN, _END = "-----BEGIN PUBLIC KEY-----", "-----END PUBLIC KEY-----"


@lru_cache(maxsize=4)
def _load_retired(path: str, _mtime_ns: int, _size: int) -> tuple[Ed25519PublicKey, ...]:
    where = f"AUDIT_RETIRED_KEYS_FILE {path}"
    try:
        text = Path(path).read_text(encoding="ascii")
    except OSError as exc:
        raise SigningKeyError(f"{where}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise SigningKeyError(f"{where}: not text (PEM public keys and # comments only)") from None
    keys: list[Ed25519PublicKey] = []
    block: list[str] = []
    start = 0
    for number, raw_line in enumerate(text.splitlines(), 1):
        line = raw_line.strip()
        if block:
            block.append(line)
            if line == _END:
                keys.append(_retired_key("\n".join(block), f"{where}, line {start}"))
                block = []
        elif line == _BEGIN:
            block, start = [line], number
        elif "PRIVATE KEY" in line:
            raise SigningKeyError(
                f"{where}, line {number}: a private key. This file holds public keys only: remove it "
                "(and treat that key as leaked if others can read the file)."
            )
        elif line and not line.startswith("#"):
            raise SigningKeyError(
                f"{where}, line {number}: expected a PEM public key ({_BEGIN}) or a # comment, "
                f"not {line[:40]!r}"
            )
    if block:
        raise SigningKeyError(f"{where}, line {start}: the public key is not closed by {_END}")
    unique = {fingerprint(key): key for key in keys}
    return tuple(unique.values())


def _retired_key(pem: str, where: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{where}: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{where}: not an Ed25519 key but an {type(key).__name__}")
    return key


def _retired_all() -> tuple[Ed25519PublicKey, ...]:
    path = _retired_file()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return ()
    except OSError as exc:
        raise SigningKeyError(f"AUDIT_RETIRED_KEYS_FILE {path}: cannot be read ({exc.strerror})") from None
    return _load_retired(str(path), stat.st_mtime_ns, stat.st_size)


def retired_public_keys() -> list[Ed25519PublicKey]:
    """The keys that signed before a rotation, oldest first (none without the file; the
    current key is left out should the file name it too); a malformed file is a
    ``SigningKeyError`` naming the line."""
    current = fingerprint(public_key())
    return [key for key in _retired_all() if fingerprint(key) != current]


def verifying_keys() -> list[Ed25519PublicKey]:
    """Every key a head may be signed with: the current one first, then the retired ones."""
    return [public_key(), *retired_public_keys()]


def _public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _write_new(path: Path, data: bytes, mode: int, owner: os.stat_result | None = None) -> Path:
    """``data`` in a new file beside ``path`` (flushed to disk), to be renamed over it;
    owned as ``owner`` when given and allowed (run as root, the service user must still
    read the key it signs with)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.new")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            if owner is not None and (owner.st_uid, owner.st_gid) != (os.geteuid(), os.getegid()):
                with suppress(PermissionError):
                    os.fchown(handle.fileno(), owner.st_uid, owner.st_gid)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return partial


def _sync_folder(path: Path) -> None:
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _rotation_lock(path: Path) -> Iterator[None]:
    """One rotation at a time for a key file (another waits, then rotates the new key)."""
    lock = path.with_name(f".{path.name}.lock")
    fd = os.open(lock, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Rotation:
    old: Ed25519PublicKey
    new: Ed25519PublicKey
    at: dt.datetime


def rotate() -> Rotation:
    """Replace the signing key with a new one. First the old key's public half is added
    to the retired keys file (replaced whole, atomically), then the new private key
    (mode 0600) is renamed over the key file, which must still hold the key just
    retired: a key put there meanwhile by someone else is never overwritten. A crash
    in between leaves the old key signing and also listed as retired, which is harmless;
    rotating again finishes the work. Both files get the key file's owner, so an operator
    may rotate as root."""
    path = _key_file()
    with _rotation_lock(path):
        old_private = private_key()
        old_pem = path.read_bytes()
        owner = path.stat()
        old = old_private.public_key()
        retired_file = _retired_file()
        known = {fingerprint(key) for key in _retired_all()}  # a malformed file stops here
        at = timezone.now().replace(microsecond=0)
        if fingerprint(old) not in known:
            before = retired_file.read_bytes() if retired_file.exists() else b""
            if before and not before.endswith(b"\n"):
                before += b"\n"
            entry = f"# retired {format_at(at)}, fingerprint {fingerprint(old)}\n{_public_pem(old)}"
            retired_file.parent.mkdir(parents=True, exist_ok=True)
            partial = _write_new(retired_file, before + entry.encode(), 0o644, owner)
            os.replace(partial, retired_file)
            _sync_folder(retired_file)
        new_private = Ed25519PrivateKey.generate()
        partial = _write_new(
            path,
            new_private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
            0o600,
            owner,
        )
        try:
            if path.read_bytes() != old_pem:
                raise SigningKeyError(
                    f"AUDIT_SIGNING_KEY_FILE {path}: changed while rotating; not replaced. Check which "
                    "key is there and rotate again."
                )
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        _sync_folder(path)
    return Rotation(old=old, new=new_private.public_key(), at=at)


def public_key_base64(key: Ed25519PublicKey | None = None) -> str:
    """The raw 32 bytes of the public key, in standard base64."""
    return base64.b64encode(_raw(key or public_key())).decode()


def sign(seq: int, hash: str, at: dt.datetime) -> str:
    return base64.b64encode(private_key().sign(head_message(seq, hash, at))).decode()


@dataclass(frozen=True)
class Head:
    """A signed head as published: what ``verify`` checks and the JSON shows."""

    seq: int
    hash: str
    at: dt.datetime
    signature: str

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "at": format_at(self.at), "signature": self.signature}

    def signature_valid(self, key: Ed25519PublicKey) -> bool:
        try:
            key.verify(
                base64.b64decode(self.signature, validate=True), head_message(self.seq, self.hash, self.at)
            )
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True


def head_from_json(text: str) -> Head:
    """A head someone saved (the JSON of the API or of ``audit sign``); a
    ``ValueError`` names what is wrong with it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError('expected a JSON object {"seq": …, "hash": …, "at": …, "signature": …}')
    missing = [name for name in ("seq", "hash", "at", "signature") if name not in data]
    if missing:
        raise ValueError("missing " + ", ".join(missing))
    seq, hash, at, signature = data["seq"], data["hash"], data["at"], data["signature"]
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ValueError(f"seq must be a whole number ≥ 0, not {seq!r}")
    if not isinstance(hash, str) or not _HASH.fullmatch(hash):
        raise ValueError("hash must be 64 lowercase hexadecimal digits")
    if not isinstance(at, str) or not _AT.fullmatch(at):
        raise ValueError(f"at must be a UTC time as YYYY-MM-DDTHH:MM:SSZ, not {at!r}")
    try:
        moment = dt.datetime.strptime(at, _AT_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        raise ValueError(f"at is not a real date and time: {at!r}") from None
    try:
        raw = base64.b64decode(signature, validate=True) if isinstance(signature, str) else b""
    except binascii.Error:
        raw = b""
    if len(raw) != 64:
        raise ValueError("signature must be 64 bytes in standard base64")
    return Head(seq=seq, hash=hash, at=moment, signature=signature)
