"""Settings from ``LISHU_*`` environment variables or a ``.env`` file, and the
``--database-url`` option every ``lishu`` sub-command takes to override one."""

from __future__ import annotations

from typing import Annotated, Self

import typer
from pydantic import model_validator
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
    """The county's preset (``lishu``, ``fuping``, ``gucheng``): its step rules and
    deadlines, scoring, task and training rules, and the occupations, squads or
    duty roles and teams of admission (``loop.rules.counties``)."""

    scoring: str | None = None
    """The Happiness Bank's scoring policy: a preset name (``lishu``, ``fuping``) or the
    path of a TOML file that starts from a preset (see ``loop.rules.scoring``).
    Unset: the county preset's."""

    environment: str = "development"
    """``development`` (the default) or ``production``, which refuses weak keys, keys
    once shipped in the source, and demo mode."""

    keys_file: str | None = None
    """The installation's random keys (made on first start, mode 0600, see
    ``loop.storage.keys_file``). Unset: ``<events file>-secrets.json`` beside an
    SQLite events file, ``lishu-secrets.json`` in the working directory otherwise."""

    seal_key: str | None = None
    """HMAC key signing the chain seals; a county keeps its own apart from the database.
    Unset: the keys file's seal key (``loop.storage.proof_keys``)."""

    record_key: str | None = None
    """HMAC key with which the writers sign every chain row and snapshot record, so
    that rows appended or rewritten by someone with only database access are found
    and a forged snapshot is never used. Held by every process that writes or
    verifies; the same everywhere. Unset: the keys file's record key."""

    witness_path: str | None = None
    """The append-only file every seal is also written to, outside the database
    (another disk or host). Unset: ``<events file>-witness.jsonl`` beside an SQLite
    events file, ``<database name>-witness.jsonl`` in the working directory otherwise."""

    witness_webhook: str | None = None
    """Optionally a URL every new seal is POSTed to (JSON), e.g. the county's other
    system, which keeps its own copy."""

    seal_interval: int = 3600
    """Seconds between the running service's seals (0: never)."""

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

    sms_gateway_url: str | None = "log://"
    """Where text messages go: the intranet SMS gateway's HTTP address, ``log://``
    (the default: written to the service's log, phone numbers masked, for
    development) or empty for none. Every alert reaches the in-app inbox anyway."""

    sms_gateway_token: str | None = None
    """Bearer token the SMS gateway expects, if any."""

    webhook_url: str | None = None
    """The county command centre's or grid platform's address for alerts (HMAC-signed
    JSON); none by default."""

    webhook_secret: str | None = None
    """HMAC-SHA256 key signing webhook bodies; required with ``webhook_url``."""

    quiet_hours: str = "22:00-07:00"
    """China time when no text message is sent but urgent ones (later ones wait for
    the end); empty for none."""

    @model_validator(mode="after")
    def _webhook_is_signed(self) -> Settings:
        if self.webhook_url and len(self.webhook_secret or "") < 32:
            raise ValueError("LISHU_WEBHOOK_URL needs a LISHU_WEBHOOK_SECRET of 32+ characters")
        return self
