"""The rule that keeps a resident's own name and phone out of the text kept in
clear: the same for the public intake and for a call the office logs."""

from __future__ import annotations

import pytest

from loop.rules.scrubbing import scrubbed

CONTACT = {"name": "张桂芝", "phone": "13904437788"}


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("电话13904437788", "电话〔联系电话〕"),
        ("回电 139 0443 7788 或 139-0443-7788", "回电 〔联系电话〕 或 〔联系电话〕"),
        ("139(0443)7788", "〔联系电话〕"),
        ("我是张桂芝，找张桂芝", "我是〔联系人〕，找〔联系人〕"),
        ("张 桂 芝来电", "〔联系人〕来电"),
        ("13904437789 是邻居的", "13904437789 是邻居的"),
        ("楼道里有人充电", "楼道里有人充电"),
    ],
)
def test_the_residents_own_name_and_phone_are_replaced(text: str, kept: str) -> None:
    assert scrubbed(text, CONTACT) == kept


def test_a_value_too_short_to_tell_and_a_field_not_contact_are_left_alone() -> None:
    assert scrubbed("王家楼下", {"name": "王"}) == "王家楼下"
    assert scrubbed("住址幸福路1号", {"address": "幸福路1号"}) == "住址幸福路1号"
