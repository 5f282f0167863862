"""The ``lishu`` command line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.progress import Progress

from aggregates.errors import DomainError
from loop import audit, demo
from loop.bootstrap import build_flow, sqlite_path
from loop.policy import RULES, SCOPE_LABELS
from loop.settings import Settings
from loop.stages import LOOP, STEPS
from loop.vocabulary import label

app = typer.Typer(
    help="梨城义警闭环 Lishu Loop", no_args_is_help=True, pretty_exceptions_enable=False
)

DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="覆盖 LISHU_DATABASE_URL")]


def _settings(database_url: str | None) -> Settings:
    return Settings(database_url=database_url) if database_url else Settings()


def _print_timeline(entries: list[dict[str, object]], english: bool) -> None:
    for e in entries:
        typer.echo(
            f"v{e['version']:<3} {str(e['at'])[:19]}  "
            f"{e['sentence_en'] if english else e['sentence_zh']}"
        )


@app.command("demo")
def demo_command(database_url: DatabaseUrl = None) -> None:
    """Drive a realistic set of incidents through every branch of the loop."""
    flow = build_flow(_settings(database_url))
    ids = demo.run(flow)
    typer.echo(f"已录入 {len(ids)} 起警情，覆盖闭环各分支：")
    for branch, incident_id in ids.items():
        typer.echo(f"  {incident_id}  {branch}  {flow.get(UUID(incident_id)).stage}")
    typer.echo("\n警情时间线（分流移交）：")
    _print_timeline(audit.history(flow, UUID(ids["diverted"])), english=False)


@app.command("history")
def history_command(
    incident_id: str,
    database_url: DatabaseUrl = None,
    version: Annotated[int | None, typer.Option(help="该版本时的状态")] = None,
    as_of: Annotated[
        datetime | None, typer.Option("--as-of", help="该时刻的状态（ISO 时间）")
    ] = None,
    english: Annotated[bool, typer.Option("--en", help="English")] = False,
) -> None:
    """An incident's timeline, or its state at a version or moment."""
    flow = build_flow(_settings(database_url))
    try:
        key = UUID(incident_id)
        if version is not None:
            typer.echo(json.dumps(audit.state_at(flow, key, version), ensure_ascii=False, indent=2))
        elif as_of is not None:
            moment = as_of if as_of.tzinfo else as_of.astimezone()
            typer.echo(
                json.dumps(audit.state_as_of(flow, key, moment), ensure_ascii=False, indent=2)
            )
        else:
            _print_timeline(audit.history(flow, key), english)
    except (DomainError, ValueError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None


@app.command("policy")
def policy_command(
    report: Annotated[
        Path | None, typer.Option(help="pytest-bdd 的 cucumber JSON：列出每条规章的条款是否通过")
    ] = None,
    mermaid: Annotated[bool, typer.Option(help="输出闭环的 Mermaid 状态图")] = False,
) -> None:
    """The loop's policy table, its diagram, or which clauses of the regulations pass."""
    if report is not None:
        from loop.policy_report import render

        text, ok = render(json.loads(report.read_text(encoding="utf-8")))
        typer.echo(text)
        raise typer.Exit(0 if ok else 1)
    if mermaid:
        typer.echo(LOOP.mermaid())
        return
    for rule in RULES:
        roles = "、".join(sorted(label(r) for r in rule.roles))
        stages = "、".join(sorted(rule.stages)) if rule.stages else "（任何合法阶段）"
        typer.echo(
            f"{STEPS.get(rule.step, '录入警情'):<10} {roles:<24} "
            f"{SCOPE_LABELS[rule.scope]:<10} {stages}"
        )


@app.command("verify")
def verify_command(
    database_url: DatabaseUrl = None,
    against: Annotated[
        str | None, typer.Option(help="一份另行保存的封存记录（JSON 或其文件路径）")
    ] = None,
) -> None:
    """Prove the stored history unaltered: intact, or where and how it was damaged."""
    from loop.verification import Seal, SQLiteChainReader, verify

    settings = _settings(database_url)
    trusted = None
    if against is not None:
        inline = against.lstrip().startswith("{")  # a seal, not a (too long) file name
        text = against if inline else Path(against).read_text(encoding="utf-8")
        trusted = Seal.from_json(text)
    reader = SQLiteChainReader(sqlite_path(settings.database_url))
    try:
        with _progress("校验中 verifying") as advance:
            report = verify(
                reader, key=settings.seal_key.encode(), against=trusted, progress=advance
            )
    finally:
        reader.close()
    typer.echo(report.summary())
    raise typer.Exit(0 if report.intact else 1)


@app.command("seal")
def seal_command(database_url: DatabaseUrl = None) -> None:
    """Verify, then seal the log's head; print the seal to publish or keep apart."""
    from loop.verification import SQLiteChainReader, seal

    settings = _settings(database_url)
    reader = SQLiteChainReader(sqlite_path(settings.database_url))
    try:
        sealed, _ = seal(reader, settings.seal_key.encode(), datetime.now().astimezone())
    except ValueError as damaged:
        typer.echo(str(damaged), err=True)
        raise typer.Exit(1) from None
    finally:
        reader.close()
    typer.echo(sealed.to_json())


@contextmanager
def _progress(description: str) -> Iterator[Callable[[int, int], None]]:
    with Progress(transient=True) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
