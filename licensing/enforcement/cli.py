"""``flask --app wsgi revocation ...``: the missed-supplement sweep by hand."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from licensing.clock import local_today
from licensing.supplements.services import mark_missed_supplements

group = AppGroup("revocation", help="Revocation cases and promised supplements.")


@group.command("sweep-supplements")
@click.option("--today", "today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day to sweep as (default: today, Beijing time).")
def sweep_supplements(today) -> None:
    """Mark supplements past their due date as missed and open their revocation cases.

    Idempotent (see ``mark_missed_supplements``); the scheduler runs the same function.
    """
    day: date = today.date() if today is not None else local_today()
    marked = mark_missed_supplements(day, commit_each=True)
    click.echo(f"{day.isoformat()}：{marked} 项承诺补交材料逾期未交，已立撤销案件。")
