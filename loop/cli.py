"""The ``lishu`` command line."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.progress import Progress

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.volunteer import volunteer_aggregate_id
from loop import demo, demo_year
from loop.bootstrap import Loop, build_loop
from loop.errors import VolunteerNotFound
from loop.rules.policy import RULES
from loop.rules.stages import LOOP
from loop.rules.steps import step_label
from loop.rules.vocabulary import label
from loop.services import audit
from loop.services.incidents import IncidentFlow
from loop.settings import DatabaseUrl, Settings

app = typer.Typer(
    help="梨城义警闭环 Lishu Loop", no_args_is_help=True, pretty_exceptions_enable=False
)

AsAuditor = Annotated[
    bool,
    typer.Option(
        "--as-auditor",
        help="以本县审计员身份查看完整记录（服务器控制台）；默认按无身份读者隐藏个人信息",
    ),
]
Operator = Annotated[str, typer.Option("--operator", help="操作人编号，记入审计")]

OperatorCheck = Callable[[Settings, str], Actor]
_operator_check: list[OperatorCheck] = []


def set_operator_check(check: OperatorCheck) -> None:
    """How an administrative command's ``--operator`` is checked: the accounts'
    layer registers it (the loop knows no accounts), returning the operator as an
    actor or refusing one who is not an enabled administrator."""
    _operator_check[:] = [check]


def _administrator(settings: Settings, operator: str) -> Actor:
    if not _operator_check:
        raise DomainError(
            "无法核对操作人：请用 lishu 命令运行", "the operator cannot be checked: run `lishu`"
        )
    return _operator_check[0](settings, operator)


def _print_timeline(entries: list[dict[str, Any]], english: bool) -> None:
    """One line per event; under it the people it names, as the viewer may see them."""
    for e in entries:
        typer.echo(
            f"v{e['version']:<3} {str(e['at'])[:19]}  "
            f"{e['sentence_en'] if english else e['sentence_zh']}"
        )
        for role, held in (e.get("people") or {}).items():
            if held:
                typer.echo(f"      {role}: {json.dumps(held, ensure_ascii=False)}")


Year = Annotated[
    bool,
    typer.Option("--year", help="生成演示县一年的历史（到现在为止） / a year of history until now"),
]
Seed = Annotated[int, typer.Option("--seed", help="随机种子 / the random seed of --year")]


@app.command("demo")
def demo_command(
    database_url: DatabaseUrl = None,
    as_auditor: AsAuditor = False,
    operator: Operator = "console",
    year: Year = False,
    seed: Seed = demo_year.SEED,
) -> None:
    """Drive a realistic set of incidents through every branch of the loop; with
    --year, a year of the demo county's history instead."""
    loop = build_loop(Settings.for_url(database_url))
    if year:
        _demo_year(loop, seed)
        return
    flow = loop.incidents
    demo.register_units(loop.registry)
    ids = demo.run(flow)
    typer.echo(f"已录入 {len(ids)} 起警情，覆盖闭环各分支：")
    for branch, incident_id in ids.items():
        typer.echo(f"  {incident_id}  {branch}  {flow.get(UUID(incident_id)).stage}")
    typer.echo("\n警情时间线（分流移交）：")
    diverted = UUID(ids["diverted"])
    viewer = _viewer(flow, diverted, operator) if as_auditor else None
    _print_timeline(audit.history(flow.app, diverted, viewer), english=False)


def _demo_year(loop: Loop, seed: int) -> None:
    started = time.perf_counter()
    with loop.app.one_transaction():
        made = demo_year.generate(loop, end=loop.app.clock(), seed=seed)
    took = time.perf_counter() - started
    typer.echo(
        f"已生成 {made.start:%Y-%m-%d} 至 {made.end:%Y-%m-%d} 一年的演示数据（{took:.1f} 秒）："
        f"警情 {made.incidents} 起，任务 {made.tasks} 个，培训 {made.sessions} 期，"
        f"通知 {made.notices} 条，月考评 {made.evaluations} 次，荣誉 {made.honours} 项，"
        f"积分兑换 {made.redemptions} 次"
    )
    for branch, count in sorted(made.branches.items()):
        typer.echo(f"  {branch:<24} {count}")
    if made.refused:
        typer.echo(f"被拒绝的命令 refused commands: {made.refused}", err=True)
        raise typer.Exit(1)


def _record_id(flow: IncidentFlow, text: str) -> UUID:
    """A record's id: a UUID (incident, volunteer, points account, reward item),
    or a volunteer's id."""
    try:
        return UUID(text)
    except ValueError:
        key = volunteer_aggregate_id(text)
        if key in flow.app.repository:
            return key
        raise VolunteerNotFound(
            f"「{text}」不是警情或记录编号，也没有此编号的义警",
            f"'{text}' is neither a record id nor a volunteer's id",
            id=text,
        ) from None


def _viewer(flow: IncidentFlow, key: UUID, operator: str) -> Actor:
    return audit.console_auditor(operator, audit.unit_of(flow.app, key))


@app.command("history")
def history_command(
    incident_id: str,
    database_url: DatabaseUrl = None,
    version: Annotated[int | None, typer.Option(help="该版本时的状态")] = None,
    as_of: Annotated[
        datetime | None, typer.Option("--as-of", help="该时刻的状态（ISO 时间）")
    ] = None,
    english: Annotated[bool, typer.Option("--en", help="English")] = False,
    as_auditor: AsAuditor = False,
    operator: Operator = "console",
) -> None:
    """The timeline of an incident, a volunteer (his id or record id), a points
    account or a reward item; or an incident's state at a version or moment.

    Read as nobody in particular, people's identities are hidden; ``--as-auditor``
    reads as an auditor of the record's county, who sees everything."""
    flow = build_loop(Settings.for_url(database_url)).incidents
    try:
        key = _record_id(flow, incident_id)
        viewer = _viewer(flow, key, operator) if as_auditor else None
        if (version is not None or as_of is not None) and audit.kind_of(
            flow.app, key
        ) != "incident":
            raise audit.HistoryNotAvailable(
                "只能查询警情在某版本或某时刻的状态",
                "Only an incident's state at a version or moment can be shown",
                id=incident_id,
            )
        if version is not None:
            state = audit.state_at(flow.app, key, version, viewer)
            typer.echo(json.dumps(state, ensure_ascii=False, indent=2))
        elif as_of is not None:
            moment = as_of if as_of.tzinfo else as_of.astimezone()
            state = audit.state_as_of(flow.app, key, moment, viewer)
            typer.echo(json.dumps(state, ensure_ascii=False, indent=2))
        else:
            _print_timeline(audit.history(flow.app, key, viewer), english)
    except (DomainError, ValueError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    finally:
        flow.app.close()


@app.command("forget")
def forget_command(
    subject_id: str,
    reason: Annotated[str, typer.Option("--reason", help="删除理由，记入审计")],
    operator: Annotated[
        str, typer.Option("--operator", help="执行删除的系统管理员账号（须已启用）")
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Forget a person (a volunteer's id or a person id): destroy their key so their
    data reads as 已删除 everywhere; the erasure is recorded, the history stays
    verifiable. Administrators only: the operator must be an enabled administrator
    account, recorded with its role and unit."""
    from loop.services.personal import forget

    settings = Settings.for_url(database_url)
    try:
        actor = _administrator(settings, operator)
    except DomainError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    flow = build_loop(settings).incidents
    try:
        ack = forget(flow.app, actor, subject_id, reason)
    except DomainError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    finally:
        flow.app.close()
    typer.echo(
        f"已删除 {ack.subject_id} 的个人信息（密钥"
        + ("已销毁" if ack.key_destroyed else "此前已销毁")
        + f"），删除记录 {ack.erasure_id}，位置 {ack.position}"
    )
    if ack.plaintext_remains:
        typer.echo(
            "注意：此义警的个人信息录入于加密之前，读取时显示为已删除，但旧事件中仍存有明文"
            " (details recorded before encryption remain in plain text in the old events)",
            err=True,
        )


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
        typer.echo(f"{step_label(rule.step):<10} {roles:<24} {rule.scope.label:<10} {stages}")


ReadModelCheck = Callable[[Settings], list[str]]
_read_model_check: list[ReadModelCheck] = []


def set_read_model_check(check: ReadModelCheck) -> None:
    """How ``lishu verify --read-models`` compares the read models with a rebuild
    (the read side registers it: the loop knows no read model)."""
    _read_model_check[:] = [check]


def _witness(settings: Settings, path: Path | None) -> tuple[list[Any] | None, list[str]]:
    """The witnessed seals (None if there is no witness file) and notes on it."""
    from loop.storage.witness import Witness, witness_path

    where = path or witness_path(settings)
    read = Witness(where).read()
    if not read.exists:
        return None, [f"没有见证文件 no witness file at {where}: dropped seals go unnoticed"]
    return read.seals, read.problems


@app.command("verify")
def verify_command(
    database_url: DatabaseUrl = None,
    against: Annotated[
        str | None,
        typer.Option(help="一份另行保存的封存记录（JSON 或其文件路径），须能以本县密钥验证"),
    ] = None,
    witness: Annotated[
        Path | None, typer.Option(help="见证文件（默认 LISHU_WITNESS_PATH）")
    ] = None,
    read_models: Annotated[
        bool, typer.Option("--read-models", help="另行重建读模型并与在用的逐行比较")
    ] = False,
) -> None:
    """Prove the stored history unaltered: intact, or where and how it was damaged.

    Checks the hash chain, the writers' signatures, the snapshots, the seals (with
    the seal key) and the witness; with --read-models also the read models."""
    from loop.storage.chain_readers import open_chain_reader
    from loop.storage.proof_keys import proof_keys_held
    from loop.storage.seals import Seal
    from loop.storage.verification import verify

    settings = Settings.for_url(database_url)
    try:
        trusted = None
        if against is not None:
            inline = against.lstrip().startswith("{")  # a seal, not a (too long) file name
            trusted = Seal.from_json(against if inline else Path(against).read_text("utf-8"))
        witnessed, notes = _witness(settings, witness)
        with (
            open_chain_reader(settings.database_url) as reader,  # refused if there is none
            _progress("校验中 verifying") as advance,
        ):
            keys, key_notes = proof_keys_held(settings)
            if trusted is not None:
                keys.require_seal()
            report = verify(reader, keys, against=trusted, witness=witnessed, progress=advance)
        report.notes += key_notes + notes
        differences = _read_model_check[0](settings) if read_models else []
    except (DomainError, OSError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    typer.echo(report.summary())
    if read_models:
        typer.echo(
            f"读模型不一致 read models differ: {len(differences)} row(s)"
            if differences
            else "读模型一致 read models agree with a rebuild from the log"
        )
        for line in differences:
            typer.echo(f"  {line}")
    raise typer.Exit(0 if report.intact and not differences else 1)


@app.command("seal")
def seal_command(database_url: DatabaseUrl = None) -> None:
    """Verify, then seal the log's head, store the seal and write it to the witness;
    print the seal to publish or keep apart."""
    from loop.storage.sealing import seal_now
    from loop.storage.verification import SealRefused
    from loop.storage.witness import WitnessError

    settings = Settings.for_url(database_url)
    try:
        done = seal_now(settings)
    except WitnessError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    except DomainError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    except SealRefused as damaged:
        typer.echo(str(damaged), err=True)
        raise typer.Exit(1) from None
    typer.echo(done.seal.to_json())
    for problem in done.problems:
        typer.echo(problem, err=True)


@app.command("backup")
def backup_command(
    dest: Annotated[Path, typer.Argument(help="备份目录（须为空或不存在）")],
    keys: Annotated[
        Path | None, typer.Option("--keys", help="密钥库备份目录，须与事件备份分开")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="不依赖在用系统，检查一份备份是否完整")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Back up the embedded store online (events, read models, witness; the key store
    to --keys), verified, with a manifest; or --check a backup."""
    from loop.storage import backup
    from loop.storage.proof_keys import proof_keys

    settings = Settings.for_url(database_url)
    try:
        if check:
            held, notes = backup.proof_keys_of(keys, settings)
            checked = backup.check(dest, keys, held)
            checked.report.notes += notes
            typer.echo(checked.report.summary())
            for problem in checked.problems:
                typer.echo(f"  问题 problem: {problem}")
            typer.echo("备份完整 the backup is whole" if checked.whole else "备份不完整 NOT whole")
            raise typer.Exit(0 if checked.whole else 1)
        manifest = backup.backup(
            backup.sources(settings),
            dest,
            keys,
            proof_keys(settings),
            datetime.now().astimezone(),
        )
    except DomainError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"已备份 backed up {manifest.events} events to notification {manifest.up_to}, "
        f"chain head {manifest.head}, into {dest}"
        + (f"; keys into {keys}" if manifest.keys else "")
    )


@app.command("restore")
def restore_command(
    src: Annotated[Path, typer.Argument(help="备份目录")],
    target: Annotated[Path, typer.Argument(help="恢复到的目录（须为空或不存在）")],
    keys: Annotated[Path | None, typer.Option("--keys", help="密钥库备份目录")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Restore a backup that checks whole into an empty folder; never over live data."""
    from loop.storage import backup

    settings = Settings.for_url(database_url)
    try:
        written = backup.restore(src, target, keys, backup.proof_keys_of(keys, settings)[0])
    except DomainError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    for path in written:
        typer.echo(f"已恢复 restored {path}")
    typer.echo(f"启用 use it with LISHU_DATABASE_URL=sqlite:///{target.resolve() / backup.EVENTS}")


@contextmanager
def _progress(description: str) -> Iterator[Callable[[int, int], None]]:
    with Progress(transient=True) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
