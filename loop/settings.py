"""Settings from ``LISHU_*`` environment variables or a ``.env`` file."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LISHU_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///lishu.db"
    """``sqlite:///path.db`` (default, a file in the working directory),
    ``memory://`` (nothing kept), or ``postgresql+psycopg://user:pw@host:port/db``."""

    read_model_url: str | None = None
    """Where the read models (projections) live: None (default) for the events'
    database; ``memory://`` for an in-memory database shared by the process; or
    any SQLAlchemy URL (``sqlite:///views.db``, ``postgresql+psycopg://...``)."""

    policy: str = "lishu"
    """A preset name (``lishu``)."""

    scoring: str = "lishu"
    """The Happiness Bank's scoring policy: a preset name (``lishu``, ``fuping``) or the
    path of a TOML file that starts from a preset (see ``loop.scoring``)."""

    seal_key: str = "lishu-development-seal-key"
    """HMAC key signing the chain seals; a county keeps its own apart from the database."""
