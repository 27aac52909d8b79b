"""Reading the settings from the environment: each reader turns one variable into a value
or refuses a malformed one at start with a message naming the variable (a typo must
never silently turn a protection off). kolaborasi/settings.py, the one settings module,
uses them; nothing else reads the environment."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def env_bool(name: str, default: bool = False) -> bool:
    """On or off from the environment (1/0, true/false, yes/no, on/off); anything else
    stops the start: a typo must not silently turn a protection off."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"{name} must be 1 or 0 (true/false, yes/no, on/off), not {value!r}")


def env_choice(name: str, default: str, choices: frozenset[str]) -> str:
    """One of a fixed set of words from the environment; anything else stops the start."""
    value = os.environ.get(name, "").strip() or default
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(sorted(choices))}, not {value!r}")
    return value


def env_url(name: str, default: str = "") -> str:
    """An http(s) address from the environment (empty when unset); a malformed one stops the start."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"{name} must be an http:// or https:// address, not {value!r}")
    return value.rstrip("/")


def env_int(name: str, default: int, *, low: int | None = None, high: int | None = None) -> int:
    """A whole number from the environment; a malformed or out-of-range value stops the
    start with a message naming the setting."""
    value = os.environ.get(name)
    if not value:
        number = default
    else:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"{name} must be a whole number, not {value!r}") from None
    if low is not None and number < low:
        raise ValueError(f"{name} must be at least {low}, not {number}")
    if high is not None and number > high:
        raise ValueError(f"{name} must be at most {high}, not {number}")
    return number


def env_dotted_path(name: str, default: str) -> str:
    """A Python dotted path (a backend class) from the environment; a malformed one stops the start."""
    value = os.environ.get(name, "").strip() or default
    if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", value):
        raise ValueError(f"{name} must be a dotted Python path such as {default}, not {value!r}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# The client's address: REMOTE_ADDR unless TRUSTED_PROXIES says which proxies to believe
# (a count of proxies in front of the app, or their addresses/CIDR networks); see
# kolaborasi.core.client. Empty (the default): X-Forwarded-For is ignored.
def env_trusted_proxies(name: str) -> int | list[str]:
    value = os.environ.get(name, "").strip()
    if not value:
        return []
    if value.isdigit():
        return int(value)
    entries = [item.strip() for item in value.split(",") if item.strip()]
    for entry in entries:
        ipaddress.ip_network(entry, strict=False)  # a typo stops the start
    return entries


def env_rate(name: str, default: str) -> str:
    """A throttle rate, "COUNT/PERIOD" with PERIOD s, m, h or d, optionally with a
    multiplier ("5/10m"); anything else stops the start."""
    value = os.environ.get(name, "").strip() or default
    if not re.fullmatch(r"[1-9][0-9]*/(?:[1-9][0-9]*)?[smhd]", value):
        raise ValueError(f"{name}={value!r}: expected COUNT/PERIOD such as 10/m, 5/10m or 100/h")
    return value


def var_dir() -> Path:
    """Where the site keeps what it writes beside the database: ``KOLABORASI_VAR_DIR``, or
    var/ in the checkout. The settings and gunicorn's configuration both start from it."""
    return Path(os.environ.get("KOLABORASI_VAR_DIR") or Path(__file__).resolve().parent.parent / "var")


def env_token(name: str, *, min_length: int) -> str:
    """A bearer token from the environment (empty when unset): at least ``min_length``
    characters, letters, digits and ``-._~+/=`` only (it travels in an HTTP header); a
    short or malformed one stops the start rather than guarding something weakly."""
    value = os.environ.get(name, "").strip()
    if not value:
        return ""
    if not re.fullmatch(r"[A-Za-z0-9\-._~+/=]+", value):
        raise ValueError(f"{name} may hold only letters, digits and -._~+/= (a bearer token)")
    if len(value) < min_length:
        raise ValueError(
            f"{name} has {len(value)} characters; it needs at least {min_length} random ones "
            "(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return value


class MissingSecretKey(ImproperlyConfigured):
    pass


def secret_keys(*, debug: bool, var_dir: Path) -> tuple[str, list[str]]:
    """The secret key and the old keys still accepted (Django's SECRET_KEY and
    SECRET_KEY_FALLBACKS). SECRET_KEY, or the file SECRET_KEY_FILE names (`make run` makes
    one in var/, mode 0600): its first non-empty line is the key, every further non-empty
    line an old key kept while what was signed with it (sessions) runs out
    (docs/operations.md, "Key rotation"). Without either, a development site (DEBUG on)
    keeps one per checkout under var/; a production site refuses to start: a key made up
    per process would end every session at each restart and differ between the server's
    workers."""
    key = os.environ.get("SECRET_KEY", "").strip()
    key_file = os.environ.get("SECRET_KEY_FILE", "").strip()
    if key and key_file:
        raise ImproperlyConfigured("Set SECRET_KEY or SECRET_KEY_FILE, not both.")
    if os.environ.get("SECRET_KEY_FALLBACKS", "").strip():
        raise ImproperlyConfigured(
            "SECRET_KEY_FALLBACKS is not read from the environment: put the old keys on the lines "
            "after the current key in the file SECRET_KEY_FILE names (docs/operations.md, "
            '"Key rotation").'
        )
    fallbacks: list[str] = []
    if key_file:
        try:
            text = Path(key_file).read_text()
        except OSError as exc:
            message = f"SECRET_KEY_FILE={key_file!r} cannot be read: {exc.strerror}."
            raise ImproperlyConfigured(message) from None
        key, fallbacks = _key_lines(text, f"SECRET_KEY_FILE={key_file!r}", debug=debug)
        if not key:
            raise ImproperlyConfigured(f"SECRET_KEY_FILE={key_file!r} is empty.")
    if key:
        if not debug and len(key) < 50:
            raise ImproperlyConfigured(
                f"The secret key has {len(key)} characters; production needs at least 50 random ones "
                "(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')."
            )
        return key, fallbacks
    if not debug:
        raise MissingSecretKey(
            "DEBUG is off and no secret key is configured: set SECRET_KEY, or SECRET_KEY_FILE to a "
            "file (mode 0600) holding one, e.g. made with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'. "
            "(`make run` makes one in var/ by itself; `make dev` runs with DEBUG=1.)"
        )
    # Development: one random key per checkout, kept under var/ so sessions survive restarts.
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return _key_lines(path.read_text(), str(path), debug=debug)


def _key_lines(text: str, source: str, *, debug: bool) -> tuple[str, list[str]]:
    """The key (first non-empty line of ``text``) and the old keys (the further ones).
    An old key repeated, equal to the key, or (in production) shorter than 50
    characters stops the start: each would be a mistake made while rotating."""
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        return "", []
    seen: dict[str, int] = {}
    for number, line in lines:
        if line in seen:
            raise ImproperlyConfigured(
                f"{source}: line {number} repeats the key on line {seen[line]}; keep the current key "
                "on the first line and each old key once on a line after it."
            )
        seen[line] = number
        if number != lines[0][0] and not debug and len(line) < 50:
            raise ImproperlyConfigured(
                f"{source}: the old key on line {number} has {len(line)} characters; production needs "
                "at least 50 random ones. Remove the line if it is not a key this site signed with."
            )
    return lines[0][1], [line for _number, line in lines[1:]]
