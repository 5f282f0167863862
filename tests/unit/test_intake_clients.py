"""Client apps of the Open311 facade: registered and revoked by the county's
administrator, their keys checked against a keyed digest, never stored."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from aggregates.actor import Actor
from aggregates.errors import DomainError
from loop import demo
from loop.bootstrap import open_loop
from loop.services.intake_clients import IntakeClients
from tests.support import FakeClock

ADMIN = Actor("admin", "admin", demo.COUNTY)
OTHER_ADMIN = Actor("admin-gzl", "admin", "gongzhuling")
SECRET = b"digest-key-of-the-tests"


def digest(key: str) -> str:
    return hmac.new(SECRET, key.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def clients() -> IntakeClients:
    return IntakeClients(open_loop(clock=FakeClock()).app, digest)


def test_a_key_is_issued_once_and_only_its_digest_is_recorded(clients: IntakeClients) -> None:
    issued = clients.register(ADMIN, "suishoupai", "梨树随手拍", "lishu")
    assert issued.api_key.startswith("suishoupai.")
    assert clients.authenticate(issued.api_key).jurisdiction == "lishu"
    stored = clients.app.recorder.select_notifications(1, 100)
    secret = issued.api_key.partition(".")[2]
    assert all(secret.encode() not in n.state for n in stored)
    assert any(digest(issued.api_key).encode() in n.state for n in stored)


@pytest.mark.parametrize(
    "key", [None, "", "suishoupai", "suishoupai.wrong", "nobody.x", "UPPER.x", "x" * 201]
)
def test_a_wrong_key_is_refused(clients: IntakeClients, key: str | None) -> None:
    clients.register(ADMIN, "suishoupai", "梨树随手拍", "lishu")
    with pytest.raises(DomainError) as refused:
        clients.authenticate(key)
    assert refused.value.code == "api_key_refused"


@pytest.mark.parametrize(
    ("actor", "jurisdiction", "code"),
    [
        (demo.OFFICER_XF, "lishu", "not_permitted"),
        (Actor("au-ls-zhou", "auditor", demo.COUNTY), "lishu", "not_permitted"),
        (OTHER_ADMIN, "lishu", "not_permitted"),
        (ADMIN, "lishu/chaoyang", "invalid_input"),
    ],
)
def test_only_the_countys_administrator_registers_its_clients(
    clients: IntakeClients, actor: Actor, jurisdiction: str, code: str
) -> None:
    with pytest.raises(DomainError) as refused:
        clients.register(actor, "suishoupai", "梨树随手拍", jurisdiction)
    assert refused.value.code == code
    assert clients.app.recorder.max_notification_id() is None


def test_a_revoked_key_is_refused_for_good(clients: IntakeClients) -> None:
    issued = clients.register(ADMIN, "suishoupai", "梨树随手拍", "lishu")
    with pytest.raises(DomainError) as other:
        clients.revoke(OTHER_ADMIN, "suishoupai", "不是本县")
    assert other.value.code == "not_permitted"
    with pytest.raises(DomainError) as unknown:
        clients.revoke(ADMIN, "nobody", "x")
    assert unknown.value.code == "client_not_found"

    clients.revoke(ADMIN, "suishoupai", "合同到期")

    with pytest.raises(DomainError):
        clients.authenticate(issued.api_key)
    with pytest.raises(DomainError) as again:
        clients.register(ADMIN, "suishoupai", "梨树随手拍", "lishu")
    assert again.value.code == "client_already_registered"
