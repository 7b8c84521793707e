"""``flask --app wsgi calendar ...``: sync, import, status, due.

Exit codes: 0 success; 1 the calendar cannot answer (no data loaded); 2 bad input (a bad
date, number or notice file), with the reason on standard error.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from licensing.calendar import services
from licensing.calendar.errors import (
    CalendarNotLoaded,
    CalendarOutOfRange,
    InvalidDeadline,
    NoticeFileInvalid,
)
from licensing.clock import local_today
from licensing.errors import DomainError
from licensing.extensions import db

group = click.Group("calendar", help="工作日历：同步、导入节假日安排通知、查询期限。")

MAX_LISTED = 40


def _fail(message: str, code: int = 2) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def _parse_date(text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"错误：日期「{text}」无效，应为 YYYY-MM-DD 格式的有效日期。")
        raise  # unreachable


def _print_plan(plan: services.CalendarChangePlan) -> None:
    click.echo(plan.summary)
    click.echo(f"日历版本：{plan.base_version} → {plan.new_version}")
    for warning in plan.warnings:
        click.echo(f"警告：{warning}")
    working = plan.working_day_changes
    added = sum(1 for c in plan.day_changes if c.old is None)
    other = len(plan.day_changes) - len(working) - added
    click.echo(f"工作日变化：{len(working)} 天；暂定转为正式：{plan.confirmed_days} 天；"
               f"新增日期：{added} 天；其他变更（类型或名称）：{other} 天")
    for change in working[:MAX_LISTED]:
        click.echo(f"  {change.on.isoformat()} {change.description}")
    if len(working) > MAX_LISTED:
        click.echo(f"  ……另有 {len(working) - MAX_LISTED} 天")
    click.echo(f"受影响的未到期期限：{len(plan.deadline_changes)} 个")
    for change in plan.deadline_changes[:MAX_LISTED]:
        click.echo(
            f"  {change.ref.object_type}:{change.ref.object_id} {change.ref.prefix} "
            f"{change.old.rule.label}：{_label(change.old)} → {_label(change.new)}"
        )
    if len(plan.deadline_changes) > MAX_LISTED:
        click.echo(f"  ……另有 {len(plan.deadline_changes) - MAX_LISTED} 个")


def _label(deadline: services.Deadline) -> str:
    return deadline.label


@group.command("sync")
@with_appcontext
def sync_command() -> None:
    """同步内置的国务院节假日安排数据（python-holidays），并推算其后年份（暂定）。可重复执行。"""
    plan, version = services.sync_official_data()
    if version is None:
        db.session.rollback()
        click.echo(f"日历已是最新（版本 {plan.base_version}），无需变更。")
        for warning in plan.warnings:
            click.echo(f"警告：{warning}")
        return
    _print_plan(plan)
    db.session.commit()
    click.echo(f"已同步，当前日历版本 {version.version}。")


@group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只预览变更，不写入。")
@with_appcontext
def import_command(file: Path, dry_run: bool) -> None:
    """导入一份国务院节假日安排通知文件（YAML，格式见 docs/calendar-import-format.md）。"""
    try:
        raw = file.read_bytes()
    except OSError:
        _fail(f"错误：无法读取文件「{file}」。")
    try:
        notice = services.read_notice_file(raw)
        plan = services.plan_notice_import(notice)
    except NoticeFileInvalid as exc:
        problems = exc.details.get("problems") or [exc.message]
        _fail("错误：文件未通过校验：\n" + "\n".join(f"  - {p}" for p in problems))
    except CalendarNotLoaded as exc:
        _fail(f"错误：{exc.message}", 1)
    if plan.is_empty:
        click.echo(plan.summary)
        return
    _print_plan(plan)
    if dry_run:
        db.session.rollback()
        click.echo("预览完毕（--dry-run），未写入任何变更。")
        return
    _plan, version = services.import_notice(notice, expected_version=plan.base_version)
    db.session.commit()
    click.echo(f"已导入，当前日历版本 {version.version if version else plan.base_version}。")


@group.command("status")
@with_appcontext
def status_command() -> None:
    """显示各年份的日历状态（正式／暂定）；自 12 月 1 日起，次年通知未导入时给出警告。"""
    warning = services.calendar_status_warning(local_today())
    try:
        statuses = services.year_statuses()
    except CalendarNotLoaded as exc:
        _fail(f"错误：{exc.message}", 1)
    click.echo(f"日历版本：{services.current_version()}")
    for status in statuses:
        if status.official:
            source = status.notice_source.label if status.notice_source else ""
            notice = f"{status.notice_reference}（{source}）"
        else:
            notice = "按法定节假日推算，无调休"
        click.echo(f"{status.year}  {status.status_label}  工作日放假 {status.holidays} 天  "
                   f"调休上班 {status.makeup_days} 天  {notice}")
    if warning:
        click.echo(f"警告：{warning}")


@group.command("due")
@click.argument("start")
@click.argument("n")
@with_appcontext
def due_command(start: str, n: str) -> None:
    """打印 START 之后第 N 个工作日（不含起算当日）；暂定结果后加 “ provisional”。"""
    start_on = _parse_date(start)
    if not n.isdigit() or int(n) < 1:
        _fail(f"错误：工作日数「{n}」无效，应为正整数。")
    try:
        result = services.due(start_on, int(n))
    except (CalendarOutOfRange, InvalidDeadline) as exc:
        _fail(f"错误：{exc.message}")
    except CalendarNotLoaded as exc:
        _fail(f"错误：{exc.message}", 1)
    except DomainError as exc:  # pragma: no cover - any other refusal is still bad input
        _fail(f"错误：{exc.message}")
    click.echo(f"{result.due_on.isoformat()}{' provisional' if result.provisional else ''}")
