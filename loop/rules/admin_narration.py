"""The organisation's and the accounts' events told as sentences (zh-CN, English),
after their actor, with every unit named as it was named when the event happened."""

from __future__ import annotations

from typing import Any

from loop.rules.units import KINDS, UnitTree
from loop.rules.vocabulary import label

ROLE_EN = {
    "volunteer": "volunteer",
    "auxiliary": "auxiliary",
    "community_officer": "community officer",
    "community_cadre": "community cadre",
    "community_director": "community director",
    "station_officer": "station officer",
    "county_officer": "county dispatch officer",
    "publicity_officer": "publicity section",
    "auditor": "auditor",
    "admin": "administrator",
}


def _unit(tree: UnitTree, code: str | None, event: Any, lang: str) -> str:
    if code is None:
        return "（无）" if lang == "zh" else "(none)"
    shown = tree.name(code, event.timestamp, lang)
    return f"{shown}（{code}）" if lang == "zh" else f"{shown} ({code})"


def _why(reason: str, lang: str) -> str:
    if not reason:
        return ""
    return f"，理由：{reason}" if lang == "zh" else f": {reason}"


def told_unit(event: Any, tree: UnitTree) -> tuple[str, str]:
    """An ``Organisation`` event, ``(zh, en)`` (without the actor)."""
    kind = type(event).__name__
    if kind == "Founded":
        return "建立单位登记", "began the organisation registry"
    zh_u, en_u = _unit(tree, event.code, event, "zh"), _unit(tree, event.code, event, "en")
    if kind == "UnitRegistered":
        zh_kind, en_kind = KINDS.get(event.kind, (event.kind, event.kind))
        return (
            f"登记{zh_kind}「{event.name}」（{event.code}），上级："
            + _unit(tree, event.parent, event, "zh"),
            f"registered the {en_kind} '{event.name_en or event.name}' ({event.code}) under "
            + _unit(tree, event.parent, event, "en"),
        )
    if kind == "UnitRenamed":
        return (
            f"将单位 {event.code} 由「{event.previous}」更名为「{event.name}」"
            + _why(event.reason, "zh"),
            f"renamed {event.code} from '{event.previous}' to '{event.name_en or event.name}'"
            + _why(event.reason, "en"),
        )
    if kind == "UnitMoved":
        return (
            f"将{zh_u}由{_unit(tree, event.previous, event, 'zh')}调整到"
            f"{_unit(tree, event.parent, event, 'zh')}之下" + _why(event.reason, "zh"),
            f"moved {en_u} from under {_unit(tree, event.previous, event, 'en')} to under "
            f"{_unit(tree, event.parent, event, 'en')}" + _why(event.reason, "en"),
        )
    if kind == "UnitMerged":
        return (
            f"将{zh_u}并入{_unit(tree, event.into, event, 'zh')}" + _why(event.reason, "zh"),
            f"merged {en_u} into {_unit(tree, event.into, event, 'en')}" + _why(event.reason, "en"),
        )
    if kind == "UnitRetired":
        return f"撤销{zh_u}" + _why(event.reason, "zh"), f"retired {en_u}" + _why(
            event.reason, "en"
        )
    return kind, kind


def told_account(event: Any, tree: UnitTree) -> tuple[str, str]:
    """An ``Account`` event, ``(zh, en)`` (without the actor)."""
    kind = type(event).__name__
    if kind == "Created":
        return (
            f"创建账号 {event.username}（{event.display_name}）" + _why(event.reason, "zh"),
            f"created the account {event.username} ({event.display_name})"
            + _why(event.reason, "en"),
        )
    if kind in ("RoleGranted", "RoleRevoked"):
        zh_verb, en_verb = ("授予", "granted") if kind == "RoleGranted" else ("撤销", "revoked")
        return (
            f"{zh_verb}角色「{label(event.role)}」，单位：{_unit(tree, event.unit, event, 'zh')}"
            + _why(event.reason, "zh"),
            f"{en_verb} the role {ROLE_EN.get(event.role, event.role)} in "
            f"{_unit(tree, event.unit, event, 'en')}" + _why(event.reason, "en"),
        )
    if kind == "Disabled":
        return "停用账号" + _why(event.reason, "zh"), "disabled the account" + _why(
            event.reason, "en"
        )
    if kind == "Enabled":
        return "启用账号" + _why(event.reason, "zh"), "enabled the account" + _why(
            event.reason, "en"
        )
    if kind == "PasswordReset":
        return (
            "重设密码（一次性密码，首次登录须修改）" + _why(event.reason, "zh"),
            "reset the password (a one-time password, to be changed at the first log-in)"
            + _why(event.reason, "en"),
        )
    if kind == "PasswordChanged":
        return "修改本人密码", "changed their own password"
    return kind, kind
