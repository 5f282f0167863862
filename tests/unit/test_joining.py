"""The public form's question: signed, so a changed token or expiry is refused;
answered once; a person's full-width digits are read as digits."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from loop.services.joining import ChallengeRefused, Challenges
from tests.support import FakeClock

KEY = b"k" * 32


def answer_of(question: str) -> int:
    found = re.fullmatch(r"(\d) (加|减) (\d) 等于几？", question)
    assert found is not None, question
    a, b = int(found[1]), int(found[3])
    return a + b if found[2] == "加" else a - b


def reason(challenges: Challenges, token: str, answer: str) -> str:
    with pytest.raises(ChallengeRefused) as caught:
        challenges.spend(token, answer)
    assert caught.value.message_en
    return str(caught.value.details["reason"])


def test_the_right_answer_passes_once_and_full_width_digits_count() -> None:
    challenges = Challenges(KEY, FakeClock())
    challenge = challenges.issue()
    answer = str(answer_of(challenge.question))
    wide = answer.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    nonce = challenges.spend(challenge.token, f" {wide} ")
    assert challenge.token.startswith(nonce + ".")
    assert reason(challenges, challenge.token, answer) == "reused"


def test_a_changed_expiry_or_another_installations_key_is_a_wrong_answer() -> None:
    clock = FakeClock()
    challenges = Challenges(KEY, clock)
    challenge = challenges.issue()
    nonce, stamp, signature = challenge.token.split(".")
    later = f"{nonce}.{int(stamp) + 3600}.{signature}"
    assert reason(challenges, later, str(answer_of(challenge.question))) == "wrong"
    other = Challenges(b"x" * 32, clock)
    fresh = challenges.issue()
    assert reason(other, fresh.token, str(answer_of(fresh.question))) == "wrong"


def test_questions_expire_and_malformed_tokens_are_expired() -> None:
    clock = FakeClock()
    challenges = Challenges(KEY, clock)
    challenge = challenges.issue()
    clock.advance(timedelta(minutes=10, seconds=1))
    assert reason(challenges, challenge.token, str(answer_of(challenge.question))) == "expired"
    for token in ("", "abc", None, challenge.token + "0"):
        assert reason(challenges, token, "1") == "expired"


def test_questions_vary_and_never_go_below_zero() -> None:
    challenges = Challenges(KEY, FakeClock())
    asked = [challenges.issue().question for _ in range(200)]
    assert len(set(asked)) > 20
    assert {"加", "减"} <= {q.split(" ")[1] for q in asked}
    assert min(answer_of(q) for q in asked) >= 0
