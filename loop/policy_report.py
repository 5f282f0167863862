"""Which clauses of the regulations pass, from pytest-bdd's cucumber JSON."""

from __future__ import annotations

from typing import Any


def _passed(scenario: dict[str, Any]) -> bool:
    steps = scenario.get("steps", [])
    return bool(steps) and all(s.get("result", {}).get("status") == "passed" for s in steps)


def render(features: list[dict[str, Any]]) -> tuple[str, bool]:
    """A zh-CN report, one line per regulation and per scenario; ``ok`` if all pass."""
    lines: list[str] = []
    total = passed = 0
    for feature in sorted(features, key=lambda f: str(f.get("uri", ""))):
        scenarios = [e for e in feature.get("elements", []) if e.get("type") == "scenario"]
        good = [s for s in scenarios if _passed(s)]
        total += len(scenarios)
        passed += len(good)
        mark = "✔" if len(good) == len(scenarios) else "✘"
        lines.append(f"{mark} {feature.get('name', '')}（{len(good)}/{len(scenarios)}）")
        for s in scenarios:
            lines.append(f"    {'✔' if s in good else '✘'} {s.get('name', '')}")
    lines.append(f"合计：{passed}/{total} 条场景通过 ({passed}/{total} scenarios pass)")
    return "\n".join(lines), bool(total) and passed == total
