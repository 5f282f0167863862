"""What a keyed command keeps of its result, and the result rebuilt from it: the
first answer and every retry are made from the same record."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import NamedTuple

import pytest

from api.idempotency import Answers, kept_as_result, kept_result
from loop.services.bank import Redemption
from loop.services.incidents import Ack


class Booked(NamedTuple):
    task_id: str
    starts: datetime
    position: int | None


def test_a_result_is_kept_with_its_type_and_rebuilt_at_its_stored_position() -> None:
    ack = Ack("5c1e", 3, "handling_community", None)
    assert kept_as_result(kept_result(ack), 41) == ack._replace(position=41)
    redeemed = Redemption("v-xf-liu", "item", 1, 20, 10, 4, None)
    assert kept_as_result(kept_result(redeemed), 7) == redeemed._replace(position=7)


def test_times_are_kept_as_the_api_writes_them() -> None:
    at = datetime(2026, 7, 11, 2, 0, tzinfo=UTC)
    rebuilt = kept_as_result(kept_result(Booked("t", at, None)), 9)
    assert rebuilt == Booked("t", "2026-07-11T02:00:00+00:00", 9)  # type: ignore[arg-type]


def test_plain_values_are_kept_as_json_and_other_types_are_not_rebuilt() -> None:
    assert kept_as_result(kept_result({"a": 1}), None) == {"a": 1}
    forged = json.dumps({"type": "builtins:dict", "fields": {}})
    with pytest.raises(TypeError):
        kept_as_result(forged, None)


def test_keys_are_kept_per_user_as_keyed_digests() -> None:
    answers = Answers("a-secret-of-at-least-thirty-two-chars", hours=1)
    mine, theirs = answers.key_of("v-xf-liu", "k1"), answers.key_of("v-xf-chen", "k1")
    assert mine != theirs
    assert "k1" not in mine
    assert Answers("another-secret-of-at-least-thirty-two").key_of("v-xf-liu", "k1") != mine
    once = answers.once("v-xf-liu", "k1", "digest")
    assert (once.key, once.request) == (mine, "digest")
    assert once.expires_at is not None
