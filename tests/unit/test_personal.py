"""Personal data: the value, its per-person encryption, the key stores, what a
report may hold, and forgetting a person."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from cryptography.exceptions import InvalidTag

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.personal import ERASED_ZH, PersonalData
from loop import demo
from loop.bootstrap import open_loop
from loop.services import audit
from loop.services.incidents import IncidentFlow
from loop.services.lookup import find_account
from loop.services.personal import erasure_record, forget
from loop.storage.keys import InMemoryKeyStore, KeyStore, SQLKeyStore, SubjectForgotten
from loop.storage.personal_cipher import (
    PersonalDataAsCiphertext,
    PersonalDataUnreadable,
    open_sealed,
    seal,
)
from tests import builders
from tests.builders import handled, scored
from tests.support import FakeClock

ADMIN = Actor("admin-ls", "admin", demo.COUNTY)
AUDITOR = Actor("au-ls-zhou", "auditor", demo.COUNTY)
WANG = {"name": "王秀兰", "phone": "13904431234", "id_number": "220322196503151234"}


# -- the value -------------------------------------------------------------------------


def test_personal_data_never_prints_its_values() -> None:
    held = PersonalData("person-1", WANG)
    assert "王秀兰" not in repr(held)
    assert "13904431234" not in str(held)
    assert held.values() == ["220322196503151234", "王秀兰", "13904431234"]


def test_erased_data_keeps_the_field_names_and_shows_them_erased() -> None:
    gone = PersonalData.erased_of("person-1", ["phone", "name"])
    assert gone.erased
    assert gone.values() == []
    assert gone.shown() == {
        "subject_id": "person-1",
        "fields": {"name": ERASED_ZH, "phone": ERASED_ZH},
        "erased": True,
    }
    assert gone.shown(english=True)["fields"]["name"] == "erased"
    # an erased value cannot be built with data in it
    assert PersonalData("p", {"name": "x"}, erased=True).fields == {"name": ERASED_ZH}


# -- the cipher ------------------------------------------------------------------------


def test_sealed_data_opens_only_with_its_key_subject_and_field_names() -> None:
    keys = InMemoryKeyStore()
    key = keys.create("person-1")
    held = PersonalData("person-1", WANG)
    stored = seal(key, held)
    assert "王秀兰" not in str(stored)
    assert open_sealed(key, stored) == held
    assert seal(key, held)["c"] != stored["c"]  # a fresh nonce every time
    with pytest.raises(InvalidTag):
        open_sealed(keys.create("person-2"), stored)
    for moved in ({**stored, "s": "person-2"}, {**stored, "k": ["phone", "name", "id_number"]}):
        with pytest.raises(InvalidTag):
            open_sealed(key, moved)


def test_the_transcoding_decodes_erased_once_the_key_is_destroyed() -> None:
    keys = InMemoryKeyStore()
    transcoding = PersonalDataAsCiphertext(keys)
    stored = transcoding.encode(PersonalData("person-1", WANG))
    assert transcoding.decode(stored).fields == WANG
    keys.destroy("person-1")
    assert transcoding.decode(stored) == PersonalData.erased_of("person-1", WANG)
    # re-stored (as in a later snapshot), it stays erased and holds no ciphertext
    again = transcoding.encode(transcoding.decode(stored))
    assert "c" not in again
    assert transcoding.decode(again).erased


def test_a_ciphertext_moved_to_another_live_subject_is_refused_not_shown() -> None:
    keys = InMemoryKeyStore()
    transcoding = PersonalDataAsCiphertext(keys)
    stored = transcoding.encode(PersonalData("person-1", WANG))
    keys.create("person-2")
    with pytest.raises(PersonalDataUnreadable):
        transcoding.decode({**stored, "s": "person-2"})


# -- the key stores --------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite"])
def keys(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KeyStore]:
    store: KeyStore = (
        InMemoryKeyStore()
        if request.param == "memory"
        else SQLKeyStore(f"sqlite:///{tmp_path}/k.db")
    )
    yield store
    store.close()


def test_a_key_store_keeps_one_key_per_subject_and_forgets_for_good(keys: KeyStore) -> None:
    assert keys.get("p1") is None
    assert not keys.exists("p1")
    key = keys.create("p1")
    assert len(key) == 32
    assert keys.create("p1") == key == keys.get("p1")
    assert keys.create("p2") != key
    assert keys.destroy("p1") is True
    assert keys.get("p1") is None
    assert not keys.exists("p1")
    assert keys.forgotten("p1")
    assert keys.destroy("p1") is False
    with pytest.raises(SubjectForgotten):
        keys.create("p1")
    assert keys.get("p2") is not None
    assert not keys.forgotten("p2")
    # a subject destroyed before it ever had a key is barred all the same
    assert keys.destroy("p3") is False
    with pytest.raises(SubjectForgotten):
        keys.create("p3")


def test_the_sqlite_key_store_survives_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/k.db"
    first = SQLKeyStore(url)
    key = first.create("p1")
    first.destroy("p2")
    first.close()
    again = SQLKeyStore(url)
    assert again.get("p1") == key
    assert again.forgotten("p2")
    again.close()


# -- what a report may hold ----------------------------------------------------------


@pytest.fixture
def flow() -> IncidentFlow:
    return open_loop(clock=FakeClock()).incidents


def report(flow: IncidentFlow, **people: Any) -> UUID:
    ack = flow.report_new(
        demo.RIDER,
        channel="app",
        module="dispute_screening",
        sense="heard",
        what="邻居争吵有动手迹象",
        where="幸福小区3栋",
        **people,
    )
    return UUID(ack.incident_id)


def test_a_report_names_an_informant_and_victims(flow: IncidentFlow) -> None:
    incident = flow.get(
        report(
            flow,
            informant=WANG,
            victims=[{"name": "李四"}, PersonalData("v-xf-chen", {"phone": "139 0443 0000"})],
        )
    )
    assert incident.informant is not None
    assert incident.informant.fields == WANG
    assert incident.informant.subject_id.startswith("person-")
    assert [v.subject_id for v in incident.victims][1] == "v-xf-chen"
    assert incident.victims[0].fields == {"name": "李四"}
    assert flow.app.key_store.exists(incident.informant.subject_id)


@pytest.mark.parametrize(
    ("people", "field"),
    [
        ({"informant": {"nickname": "老王"}}, "informant"),
        ({"informant": {}}, "informant"),
        ({"informant": "王秀兰"}, "informant"),
        ({"informant": {"name": "  "}}, "informant.name"),
        ({"informant": {"phone": "call me"}}, "informant.phone"),
        ({"informant": {"id_number": "12345"}}, "informant.id_number"),
        ({"informant": {"name": "王", "subject_id": "有空格 的编号"}}, "informant"),
        ({"victims": {"name": "李四"}}, "victims"),
        ({"victims": [{"name": "李四"}] * 21}, "victims"),
        ({"victims": [{"name": "李四"}, {"address": ""}]}, "victims[1].address"),
        ({"informant": PersonalData.erased_of("p", ["name"])}, "informant"),
    ],
)
def test_bad_personal_data_is_refused_and_nothing_is_written(
    flow: IncidentFlow, people: dict[str, Any], field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        report(flow, **people)
    assert refused.value.code == "invalid_input"
    assert refused.value.details["field"] == field
    assert flow.app.recorder.max_notification_id() is None


# -- forgetting ---------------------------------------------------------------------------


def test_forgetting_erases_the_person_everywhere_and_records_who_why_and_when(
    flow: IncidentFlow,
) -> None:
    first = report(flow, informant={**WANG, "subject_id": "person-wang"})
    second = report(flow, victims=[{"name": "王秀兰", "subject_id": "person-wang"}])
    kept = report(flow, informant={"name": "张三"})

    ack = forget(flow.app, ADMIN, "person-wang", "本人申请删除个人信息")

    assert ack.key_destroyed
    for incident_id in (first, second):
        seen = audit.describe(flow.get(incident_id), AUDITOR)
        people = [seen["informant"], *seen["victims"]]
        assert all(p["erased"] for p in people if p)
        assert ERASED_ZH in str(people)
        assert "王秀兰" not in str(seen)
    assert audit.describe(flow.get(kept), AUDITOR)["informant"]["fields"] == {"name": "张三"}
    record = erasure_record(flow.app, "person-wang")
    assert record is not None
    assert (record["actor"]["id"], record["reason"]) == ("admin-ls", "本人申请删除个人信息")
    assert record["erased_at"] == flow.app.clock().isoformat()
    assert erasure_record(flow.app, "person-zhang") is None
    # nothing new can be recorded for the forgotten person
    with pytest.raises(SubjectForgotten):
        report(flow, informant={"name": "王秀兰", "subject_id": "person-wang"})


def test_a_snapshot_taken_after_forgetting_stays_erased(flow: IncidentFlow) -> None:
    incident = report(flow, informant={**WANG, "subject_id": "person-wang"})
    forget(flow.app, ADMIN, "person-wang", "本人申请")
    flow.app.take_snapshot(incident)
    assert flow.get(incident).informant == PersonalData.erased_of("person-wang", WANG)


@pytest.mark.parametrize(
    ("actor", "subject", "code"),
    [
        (AUDITOR, "person-wang", "not_permitted"),
        (demo.OFFICER_XF, "person-wang", "not_permitted"),
        (ADMIN, "person-nobody", "subject_not_found"),
        (ADMIN, "", "invalid_input"),
    ],
)
def test_only_an_administrator_forgets_a_known_person(
    flow: IncidentFlow, actor: Actor, subject: str, code: str
) -> None:
    report(flow, informant={**WANG, "subject_id": "person-wang"})
    before = flow.app.recorder.max_notification_id()
    with pytest.raises(DomainError) as refused:
        forget(flow.app, actor, subject, "理由")
    assert refused.value.code == code
    assert flow.app.key_store.exists("person-wang")
    assert flow.app.recorder.max_notification_id() == before


def test_a_person_is_forgotten_once(flow: IncidentFlow) -> None:
    report(flow, informant={**WANG, "subject_id": "person-wang"})
    forget(flow.app, ADMIN, "person-wang", "本人申请")
    before = flow.app.recorder.max_notification_id()
    with pytest.raises(DomainError) as refused:
        forget(flow.app, ADMIN, "person-wang", "再次申请")
    assert refused.value.code == "already_forgotten"
    assert flow.app.recorder.max_notification_id() == before


def test_forgetting_completes_if_the_key_was_destroyed_but_not_yet_recorded(
    flow: IncidentFlow,
) -> None:
    report(flow, informant={**WANG, "subject_id": "person-wang"})
    flow.app.key_store.destroy("person-wang")  # the record was lost after this
    ack = forget(flow.app, ADMIN, "person-wang", "补记删除")
    assert not ack.key_destroyed
    assert erasure_record(flow.app, "person-wang") is not None


# -- the redaction review before publicity ------------------------------------------


def rewarded(flow: IncidentFlow) -> UUID:
    if find_account(flow.app, demo.RIDER.id) is None:  # a reward needs the reporter's account
        demo.enrol(flow)
    incident = report(flow, informant=WANG, victims=[{"name": "李四", "address": "幸福小区3栋"}])
    handled(flow, incident, "调解")
    scored(flow, incident, 5)
    builders.rewarded(flow, incident)
    return incident


@pytest.mark.parametrize(
    ("title", "found"),
    [
        ("王秀兰及时报警", ["name"]),
        ("热心群众（电话139-0443-1234）", ["phone"]),
        ("身份证 220322 19650315 1234 的群众", ["id_number"]),
        ("李四家住幸福小区3栋", ["address", "name"]),
        ("义警 V-XF-LIU 的故事", ["reporter_id"]),
    ],
)
def test_publicity_holding_personal_data_is_refused(
    flow: IncidentFlow, title: str, found: list[str]
) -> None:
    incident = rewarded(flow)
    before = flow.get(incident).version
    with pytest.raises(DomainError) as refused:
        flow.take("publicize", demo.PUBLICITY, incident, title=title, redaction_note="已核对")
    assert refused.value.code == "personal_data_in_text"
    assert refused.value.details["found"] == found
    assert flow.get(incident).version == before


def test_publicity_after_the_review_records_it(flow: IncidentFlow) -> None:
    incident = rewarded(flow)
    flow.take(
        "publicize",
        demo.PUBLICITY,
        incident,
        title="外卖小哥及时反馈",
        redaction_note="已删去知情人姓名",
    )
    published = flow.get(incident)
    assert (published.stage, published.redaction_note) == ("publicized", "已删去知情人姓名")
    with pytest.raises(DomainError) as refused:
        flow.take("publicize", demo.PUBLICITY, rewarded(flow), title="外卖小哥", redaction_note=" ")
    assert refused.value.details["field"] == "redaction_note"
