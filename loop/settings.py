"""Settings from ``LISHU_*`` environment variables or a ``.env`` file."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LISHU_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///lishu.db"
    """``sqlite:///path.db`` (default, a file in the working directory),
    ``memory://`` (nothing kept), or ``postgresql+psycopg://user:pw@host:port/db``."""

    key_store_url: str | None = None
    """Where the per-person keys live, apart from the events: ``sqlite:///keys.db``,
    ``memory://`` or a PostgreSQL URL. Unset: ``<events file>-keys.db`` next to an
    SQLite events file (``lishu-keys.db`` by default), memory beside a memory store;
    PostgreSQL deployments must set it."""

    policy: str = "lishu"
    """A preset name (``lishu``)."""

    seal_key: str = "lishu-development-seal-key"
    """HMAC key signing the chain seals; a county keeps its own apart from the database."""
