"""The composition root: builds the application from settings, nothing at import."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from loop.errors import InvalidInput
from loop.flow import IncidentFlow
from loop.policy import PRESETS
from loop.scoring import resolve_scoring
from loop.settings import Settings


def persistence_env(database_url: str) -> dict[str, str]:
    """The eventsourcing environment for a database URL.

    SQLite uses the library's native recorder (``eventsourcing.sqlite``), measured
    2-4x faster than the SQLAlchemy recorder for the same file; see the README.
    """
    url = urlsplit(database_url)
    if url.scheme == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if url.scheme == "sqlite":
        path = unquote(url.path[1:] if url.path.startswith("/") else url.path)
        if not path:
            raise InvalidInput(
                "SQLite 地址缺少文件名", "the SQLite URL names no file", field="database_url"
            )
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": "loop.chain:ChainedSQLiteApplicationRecorder",
        }
    if url.scheme.startswith("postgresql"):
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.path.lstrip("/"),
            "POSTGRES_HOST": url.hostname or "localhost",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or ""),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
        }
    raise InvalidInput(
        f"不支持的数据库地址：{url.scheme}",
        f"unsupported database URL scheme: {url.scheme}",
        field="database_url",
    )


def sqlite_path(database_url: str) -> str:
    """The file behind an ``sqlite:///`` URL (what the chain reader opens)."""
    env = persistence_env(database_url)
    if "SQLITE_DBNAME" not in env:
        raise InvalidInput(
            "校验与封存目前需要 SQLite 文件数据库",
            "verify and seal need an SQLite file database",
            field="database_url",
        )
    return env["SQLITE_DBNAME"]


def build_flow(settings: Settings | None = None) -> IncidentFlow:
    settings = settings or Settings()
    if settings.policy not in PRESETS:
        raise InvalidInput(
            f"未知的政策预设：{settings.policy}",
            f"unknown policy preset: {settings.policy}",
            field="policy",
            allowed=sorted(PRESETS),
        )
    return IncidentFlow(
        persistence_env(settings.database_url),
        policy=PRESETS[settings.policy],
        scoring=resolve_scoring(settings.scoring),
    )
