"""``flask --app wsgi audit ...``: seal and verify the hash chain."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from licensing.audit.services import seal_pending, verify_chain

group = AppGroup("audit", help="Seal and verify the audit log.")


@group.command("seal")
def seal_command():
    """Chain every committed entry that is not sealed yet."""
    click.echo(f"sealed {seal_pending()} entries")


@group.command("verify")
@click.option("--no-seal", is_flag=True, help="Verify only; do not seal pending entries first.")
def verify_command(no_seal):
    """Walk the chain; exit 1 naming the first bad entry if any row was changed or removed."""
    if not no_seal:
        seal_pending()
    report = verify_chain()
    if report.ok:
        click.echo(f"OK: {report.checked} entries verified")
        return
    click.echo(f"FAILED after {report.checked} good entries: {report.problem}", err=True)
    sys.exit(1)
