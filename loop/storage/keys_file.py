"""The installation's own keys: random, made on first start, kept in a file only
the service's user can read, and reused from then on.

Nothing secret is shipped in the source. The file (JSON, mode 0600) holds one
random key per purpose:

* ``token``: signs bearer tokens and the console's CSRF tokens (``LISHU_SECRET_KEY``
  overrides it);
* ``digest``: keys the request digests kept for idempotent retries
  (``LISHU_DIGEST_KEY``);
* ``seal``: signs the chain's seals (``LISHU_SEAL_KEY``);
* ``record``: signs every chain row and snapshot record (``LISHU_RECORD_KEY``).

:func:`seal_key` and :func:`record_key` are the one place each is looked up;
``loop.storage.proof_keys`` asks them.

It lives at ``LISHU_KEYS_FILE``, by default beside an SQLite events file
(``lishu.db`` → ``lishu-secrets.json``), or ``lishu-secrets.json`` in the working
directory beside a PostgreSQL store (every host of one county needs the same
file, or the same settings); a ``memory://`` store keeps its keys in the process.
Several processes starting together on a fresh installation agree on one file:
it is written whole under another name and linked into place, and the first link
wins. A file that others may read is refused, as ``ssh`` refuses such a key.

A production service refuses a weak key and every key ever shipped in the
source (:func:`check_key`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import stat
from pathlib import Path
from urllib.parse import unquote, urlsplit

from loop.errors import InvalidInput
from loop.settings import Settings

PURPOSES = ("token", "digest", "seal", "record")
KEY_BYTES = 32
MIN_LENGTH = 32
"""The shortest key a setting may give (characters)."""
MIN_DISTINCT = 10
"""Fewer distinct characters than this is a pattern, not a key."""

SHIPPED = frozenset(
    {
        "lishu-development-secret-key-change-me",
        "lishu-development-seal-key",
    }
)
"""Keys the source once shipped as defaults: public, so refused in production."""

_in_memory: dict[str, str] = {}


class KeyRefused(InvalidInput):
    code = "key_refused"


def keys_file_path(settings: Settings) -> Path | None:
    """Where the installation's keys are kept (None: in this process only)."""
    if settings.keys_file:
        return Path(settings.keys_file)
    url = urlsplit(settings.database_url)
    if url.scheme == "memory":
        return None
    if url.scheme == "sqlite":
        events = Path(unquote(url.path[1:] if url.path.startswith("/") else url.path))
        return events.with_name(f"{events.stem}-secrets.json")
    return Path("lishu-secrets.json")


def _new_keys() -> dict[str, str]:
    return {purpose: secrets.token_urlsafe(KEY_BYTES) for purpose in PURPOSES}


def _read(path: Path) -> dict[str, str]:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyRefused(
            f"密钥文件 {path} 可被其他用户读取（{mode:o}），请执行 chmod 600",
            f"the keys file {path} is readable by others ({mode:o}): chmod 600 it",
            field="keys_file",
        )
    found = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        raise KeyRefused(
            f"密钥文件 {path} 格式不对", f"the keys file {path} is malformed", field="keys_file"
        )
    return found


def _write_new(path: Path, keys: dict[str, str]) -> Path:
    """``keys`` written whole, mode 0600, under a temporary name beside ``path``."""
    fd, name = _mkstemp(path)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(keys, out, indent=2)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    return Path(name)


def _mkstemp(path: Path) -> tuple[int, str]:
    import tempfile

    return tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600


def load_or_create(path: Path) -> dict[str, str]:
    """The keys in ``path``, made (and written, 0600) on first use; keys of a
    purpose the file lacks are added."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fresh = _write_new(path, _new_keys())
        try:
            os.link(fresh, path)  # fails if another process made the file first
        except FileExistsError:
            pass
        finally:
            fresh.unlink()
    keys = _read(path)
    if all(purpose in keys for purpose in PURPOSES):
        return keys
    with path.open("r+", encoding="utf-8") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        keys = _read(path)
        missing = {p: v for p, v in _new_keys().items() if p not in keys}
        if missing:
            fresh = _write_new(path, {**keys, **missing})
            os.replace(fresh, path)
            keys = {**keys, **missing}
    return keys


def installation_key(settings: Settings, purpose: str) -> str:
    """This installation's random key for ``purpose`` (from the keys file).

    A production service on a shared (PostgreSQL) store does not make the file
    itself: each host would make keys of its own, and a token issued by one would
    fail on the next. The file is made once (``lishu keys``) and copied, or the
    keys are given as settings."""
    path = keys_file_path(settings)
    if path is None:
        with contextlib.suppress(KeyError):
            return _in_memory[purpose]
        _in_memory.update({p: v for p, v in _new_keys().items() if p not in _in_memory})
        return _in_memory[purpose]
    shared = not settings.database_url.startswith(("sqlite", "memory"))
    if shared and settings.environment == "production" and not path.exists():
        raise KeyRefused(
            f"没有密钥文件 {path}：多台主机共用数据库时，请用 lishu keys 生成一次并复制到每台主机，"
            "或在设置中给出密钥",
            f"no keys file at {path}: hosts sharing a database need the same keys; make the "
            "file once with `lishu keys` and copy it to each host, or give the keys as settings",
            field="keys_file",
        )
    return load_or_create(path)[purpose]


def weakness(key: str) -> str | None:
    """Why ``key`` is not fit to sign with (None if it is)."""
    if key in SHIPPED:
        return "it was shipped in the source"
    if len(key) < MIN_LENGTH:
        return f"it is shorter than {MIN_LENGTH} characters"
    if len(set(key)) < MIN_DISTINCT:
        return f"it has fewer than {MIN_DISTINCT} distinct characters"
    return None


def check_key(name: str, key: str, *, production: bool, length_anywhere: bool = True) -> str:
    """``key``, unless it is weak or shipped, in production; or, with
    ``length_anywhere``, shorter than ``MIN_LENGTH`` anywhere."""
    if production:
        why = weakness(key)
    elif length_anywhere and len(key) < MIN_LENGTH:
        why = f"it is shorter than {MIN_LENGTH} characters"
    else:
        return key
    if why is None:
        return key
    raise KeyRefused(
        f"{name} 不可用：{_why_zh(why)}", f"{name} is refused: {why}", field=name.lower()
    )


def _why_zh(why: str) -> str:
    if "shipped" in why:
        return "这是源代码中公开过的密钥"
    if "shorter" in why:
        return f"少于 {MIN_LENGTH} 个字符"
    return f"不同字符少于 {MIN_DISTINCT} 个"


def resolve(
    settings: Settings, name: str, purpose: str, given: str | None, *, length_anywhere: bool = True
) -> bytes:
    """The key for ``purpose``: the setting ``name`` if given, else the keys file's;
    checked with :func:`check_key`."""
    key = given if given else installation_key(settings, purpose)
    production = settings.environment == "production"
    return check_key(name, key, production=production, length_anywhere=length_anywhere).encode()


def seal_key(settings: Settings) -> bytes:
    """The key that signs and checks seals: ``LISHU_SEAL_KEY``, else the keys file's.
    Outside production a shorter key a county set before is still taken (its old
    seals must verify); production refuses it as every weak key.

    The only place the seal key is looked up."""
    return resolve(settings, "LISHU_SEAL_KEY", "seal", settings.seal_key, length_anywhere=False)


def record_key(settings: Settings) -> bytes:
    """The key that signs and checks chain rows and snapshot records:
    ``LISHU_RECORD_KEY``, else the keys file's (added to an older file on first use).

    The only place the record key is looked up."""
    return resolve(settings, "LISHU_RECORD_KEY", "record", settings.record_key)
