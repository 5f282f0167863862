"""The chain's digests keep their published layout: logs written before still verify."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from loop.storage.chain import GENESIS, event_digest, log_link


def _layout(previous: bytes, key: str, version: int, topic: str, state: bytes) -> bytes:
    def field(value: bytes) -> bytes:
        return len(value).to_bytes(8, "big") + value

    body = field(key.encode()) + field(str(version).encode()) + field(topic.encode())
    return hashlib.sha256(previous + body + field(state)).digest()


@given(
    previous=st.binary(min_size=32, max_size=32),
    key=st.text(min_size=1, max_size=40),
    version=st.integers(min_value=1, max_value=10**9),
    topic=st.text(max_size=80),
    state=st.binary(max_size=300),
)
def test_an_event_digest_is_sha256_over_length_prefixed_fields(
    previous: bytes, key: str, version: int, topic: str, state: bytes
) -> None:
    assert event_digest(previous, key, version, topic, state) == _layout(
        previous, key, version, topic, state
    )


def test_the_same_fields_give_the_same_digest_and_any_change_another() -> None:
    key, topic = "0" * 32, "aggregates.incident:Incident.Reported"
    first = event_digest(GENESIS, key, 1, topic, b"{}")
    assert event_digest(GENESIS, key, 1, topic, memoryview(b"{}")) == first
    assert (
        len(
            {
                first,
                event_digest(GENESIS, key, 2, topic, b"{}"),
                event_digest(GENESIS, key, 1, topic, b"{ }"),
                event_digest(first, key, 1, topic, b"{}"),
            }
        )
        == 4
    )
    # a field's length is in the digest: moving a byte between fields changes it
    assert event_digest(GENESIS, key, 1, "ab", b"c") != event_digest(GENESIS, key, 1, "a", b"bc")


def test_a_log_link_is_sha256_over_previous_notification_id_and_digest() -> None:
    digest = bytes(range(32))
    expected = hashlib.sha256(GENESIS + (7).to_bytes(8, "big") + digest).digest()
    assert log_link(GENESIS, 7, digest) == expected
    assert log_link(GENESIS, 8, digest) != expected
