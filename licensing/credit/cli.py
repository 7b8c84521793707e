"""``flask --app wsgi credit ...``: import the dishonesty list, run the outbox, fake platform."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from licensing.credit.errors import CreditImportInvalid
from licensing.extensions import db

group = AppGroup("credit", help="Credit records, the platform push outbox, the fake platform.")


@group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate the file only; import nothing.")
@click.option("--no-progress", is_flag=True, help="Never show the progress bar.")
def import_command(file: Path, dry_run: bool, no_progress: bool):
    """Import FILE, a UTF-8 CSV of credit records (format: docs/credit-import.md).

    The whole file is validated first; any bad row (reported with its line number) means
    nothing is imported and the exit status is 2. Re-importing a file changes nothing.
    """
    from licensing.credit.importer import import_file, parse_csv

    content = file.read_bytes()
    try:
        if dry_run:
            rows, warnings = parse_csv(content)
            for warning in warnings:
                click.echo(f"提示：{warning}", err=True)
            click.echo(f"校验通过：{len(rows)}行，未导入（--dry-run）。")
            return
        result = import_file(content, source_name=file.name, progress=not no_progress)
        db.session.commit()
    except CreditImportInvalid as exc:
        db.session.rollback()
        for line, message in exc.details.get("errors", []):
            click.echo(f"第{line}行：{message}", err=True)
        click.echo(f"错误：{exc.message}", err=True)
        sys.exit(2)
    for warning in result.warnings:
        click.echo(f"提示：{warning}", err=True)
    click.echo(f"导入完成。{result}")


@group.command("deliver")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000),
              help="Most messages to send in this run.")
def deliver_command(limit: int):
    """Send the due messages of the outbox to the credit platform once."""
    from licensing.credit.outbox import deliver_pending

    stats = deliver_pending(limit=limit)
    click.echo(str(stats))
    for error in stats.errors[:20]:
        click.echo(f"  {error}", err=True)


@group.command("outbox")
def outbox_command():
    """Print the outbox counts per status."""
    from licensing.credit.outbox import outbox_summary

    summary = outbox_summary()
    for status, count in summary.by_status.items():
        click.echo(f"{status.value:<10} {count}")
    click.echo(f"{'due':<10} {summary.due}")
    click.echo(f"{'flagged':<10} {summary.flagged}")


@group.command("fake-platform")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5055, show_default=True, type=int)
@click.option("--mode", default="normal", show_default=True,
              type=click.Choice(["normal", "slow", "error", "malformed", "wrong_shape",
                                 "lost_reply", "reject"]))
@click.option("--slow-seconds", default=5.0, show_default=True, type=float)
@click.option("--empty", is_flag=True, help="Start without the demo subjects.")
def fake_platform_command(host: str, port: int, mode: str, slow_seconds: float, empty: bool):
    """Run the fake credit platform for the demo (set CREDIT_PLATFORM_URL to its address).

    Switch its mode while it runs: curl -X POST http://HOST:PORT/_control/mode -d slow
    """
    from licensing.credit.demo import seed_fake_platform
    from licensing.credit.fake_platform import FakeCreditPlatform

    fake = FakeCreditPlatform(host, port, slow_s=slow_seconds)
    fake.set_mode(mode)
    if not empty:
        seed_fake_platform(fake)
    def _stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)  # `kill PID` stops it as cleanly as Ctrl-C
    fake.start()
    click.echo(f"fake credit platform on {fake.url} (mode {mode}); Ctrl-C to stop")
    try:
        fake.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
        click.echo(f"stopped; {fake.state()}")
