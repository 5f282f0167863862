"""Settings from ``LISHU_*`` environment variables or a ``.env`` file, and the
``--database-url`` option every ``lishu`` sub-command takes to override one."""

from __future__ import annotations

from typing import Annotated, Self

import typer
from pydantic_settings import BaseSettings, SettingsConfigDict

DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="覆盖 LISHU_DATABASE_URL")]
"""A command's ``--database-url``; read the settings with :meth:`Settings.for_url`. The
read side's commands get it from the entry point (``api.cli``)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LISHU_", env_file=".env", extra="ignore")

    @classmethod
    def for_url(cls, database_url: str | None) -> Self:
        """The settings from the environment, the database URL replaced if given."""
        return cls(database_url=database_url) if database_url else cls()

    database_url: str = "sqlite:///lishu.db"
    """``sqlite:///path.db`` (default, a file in the working directory),
    ``memory://`` (nothing kept), or ``postgresql+psycopg://user:pw@host:port/db``."""

    key_store_url: str | None = None
    """Where the per-person keys live, apart from the events: ``sqlite:///keys.db``,
    ``memory://`` or a PostgreSQL URL. Unset: ``<events file>-keys.db`` next to an
    SQLite events file (``lishu-keys.db`` by default), memory beside a memory store,
    ``<name>_keys`` on the same server beside a PostgreSQL store."""

    read_model_url: str | None = None
    """Where the read models (projections) live: None (default) for the events'
    database; ``memory://`` for an in-memory database shared by the process; or
    any SQLAlchemy URL (``sqlite:///views.db``, ``postgresql+psycopg://...``)."""

    policy: str = "lishu"
    """A preset name (``lishu``)."""

    scoring: str = "lishu"
    """The Happiness Bank's scoring policy: a preset name (``lishu``, ``fuping``) or the
    path of a TOML file that starts from a preset (see ``loop.rules.scoring``)."""

    seal_key: str = "lishu-development-seal-key"
    """HMAC key signing the chain seals; a county keeps its own apart from the database."""

    cipher_key: str | None = None
    """When set, stored event payloads are compressed (zlib) and encrypted
    (AES-GCM) with this key: 16, 24 or 32 bytes, base64-encoded (``python -c
    "from eventsourcing.cryptography import AESCipher; print(AESCipher.create_key(32))"``).
    The hash chain covers the stored bytes, so verification needs no key."""

    aggregate_cache_size: int = 4096
    """Aggregates the writer keeps after storing them (least recently used dropped
    first), so a command decodes only events it has not seen; every load still
    reads the store for newer events. 0 turns it off."""

    postgres_pool_size: int = 5
    """PostgreSQL connections each process keeps open."""

    postgres_max_overflow: int = 10
    """Extra PostgreSQL connections a process may open under load."""

    postgres_connect_timeout: int = 30
    """Seconds to wait for a PostgreSQL connection before giving up."""
