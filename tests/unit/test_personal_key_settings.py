"""Where the composition root keeps the per-person keys: always apart from the events."""

from __future__ import annotations

from pathlib import Path

import pytest

from loop import demo
from loop.bootstrap import build_loop, open_loop
from loop.errors import InvalidInput
from loop.settings import Settings
from loop.storage.keys import InMemoryKeyStore, NoKeyStore, SQLKeyStore
from loop.storage.persistence import key_store_url


@pytest.mark.parametrize(
    ("database_url", "keys"),
    [
        ("sqlite:///lishu.db", "sqlite:///lishu-keys.db"),
        ("sqlite:////srv/lishu/events.db", "sqlite:////srv/lishu/events-keys.db"),
        ("memory://", "memory://"),
    ],
)
def test_keys_default_to_a_file_beside_the_events_file(database_url: str, keys: str) -> None:
    assert key_store_url(Settings(database_url=database_url)) == keys


def test_postgresql_keys_default_to_a_database_of_their_own_on_the_server() -> None:
    settings = Settings(database_url="postgresql+psycopg://u:p@db:5432/lishu")
    assert key_store_url(settings) == "postgresql+psycopg://u:p@db:5432/lishu_keys"


def test_a_set_key_store_url_is_used_as_given() -> None:
    settings = Settings(database_url="sqlite:///lishu.db", key_store_url="sqlite:///keys/k.db")
    assert key_store_url(settings) == "sqlite:///keys/k.db"


@pytest.mark.parametrize(
    ("database_url", "keys"),
    [
        ("sqlite:///lishu.db", "sqlite:///lishu.db"),
        ("sqlite:///lishu.db", "sqlite:///./lishu.db"),
        ("postgresql+psycopg://u:p@db/lishu", "postgresql+psycopg://u:p@db/lishu"),
    ],
)
def test_keys_never_share_the_events_database(database_url: str, keys: str | None) -> None:
    with pytest.raises(InvalidInput) as refused:
        key_store_url(Settings(database_url=database_url, key_store_url=keys))
    assert refused.value.details["field"] == "key_store_url"


def test_the_composition_root_hands_the_key_store_to_the_flow(tmp_path: Path) -> None:
    flow = build_loop(Settings(database_url=f"sqlite:///{tmp_path}/lishu.db")).incidents
    assert isinstance(flow.app.key_store, SQLKeyStore)
    flow.report_new(
        demo.RIDER,
        channel="app",
        module="hazard_screening",
        sense="seen",
        what="井盖丢失",
        where="幸福路",
        informant={"name": "王秀兰"},
    )
    flow.app.close()
    assert (tmp_path / "lishu-keys.db").exists()
    assert isinstance(
        build_loop(Settings(database_url="memory://")).app.key_store, InMemoryKeyStore
    )


def test_a_persistent_flow_built_without_a_key_store_writes_no_personal_data(
    tmp_path: Path,
) -> None:
    flow = open_loop(
        {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "e.db")}
    ).incidents
    with pytest.raises(RuntimeError, match="no key store"):
        flow.report_new(
            demo.RIDER,
            channel="app",
            module="hazard_screening",
            sense="seen",
            what="井盖丢失",
            where="幸福路",
            informant={"name": "王秀兰"},
        )
    assert flow.app.recorder.max_notification_id() is None


def test_a_flow_made_persistent_by_the_environment_gets_no_volatile_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERSISTENCE_MODULE", "eventsourcing.sqlite")
    monkeypatch.setenv("SQLITE_DBNAME", str(tmp_path / "e.db"))
    flow = open_loop().incidents
    assert isinstance(flow.app.key_store, NoKeyStore)
    with pytest.raises(RuntimeError, match="no key store"):
        flow.app.key_store.create("person-1")
