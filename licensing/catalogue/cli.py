"""``flask --app wsgi catalogue import|export|list``."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from licensing.catalogue.errors import CatalogueImportFailed
from licensing.catalogue.importer import export_catalogue, import_catalogue
from licensing.catalogue.services import list_items
from licensing.errors import DomainError
from licensing.extensions import db

group = AppGroup("catalogue", help="The item catalogue (事项清单): import, export, list.")


def _date(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("日期格式应为 YYYY-MM-DD。") from None


@group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish new and changed items at once.")
@click.option("--confirm-exclusions", "confirm_exclusions", is_flag=True,
              help="When publishing: I checked each exclusion ground of each item; the grounds "
                   "its `exclusions` lists apply, every other does not.")
@click.option("--valid-from", "valid_from", callback=_date, default=None,
              help="Validity date of published versions, YYYY-MM-DD (default: today).")
@click.option("--dry-run", is_flag=True, help="Check and report, then roll everything back.")
def import_command(file: Path, publish: bool, confirm_exclusions: bool,
                   valid_from: date | None, dry_run: bool):
    """Import FILE (docs/catalogue-format.md); every error is listed, nothing is half-done."""
    try:
        report = import_catalogue(file.read_bytes(), publish=publish, valid_from_on=valid_from,
                                  exclusions_confirmed=confirm_exclusions)
    except CatalogueImportFailed as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(error, err=True)
        click.echo(f"错误：{exc.message}", err=True)
        sys.exit(2)
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"错误：{exc.message}", err=True)
        sys.exit(2)
    if dry_run:
        db.session.rollback()
        click.echo(f"检查通过（未保存）：{report.summary()}")
        return
    db.session.commit()
    click.echo(f"导入完成：{report.summary()}")


@group.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--drafts", is_flag=True, help="Export each item's draft where there is one.")
def export_command(file: Path | None, drafts: bool):
    """Write the catalogue to FILE (standard output by default)."""
    text = export_catalogue(include_drafts=drafts)
    if file is None:
        click.echo(text, nl=False)
    else:
        file.write_text(text, encoding="utf-8")
        click.echo(f"已导出到 {file}")


@group.command("list")
def list_command():
    """Print every item: code, version in force, draft, name."""
    for row in list_items():
        in_force = f"v{row.in_force.number}" if row.in_force else "-"
        draft = f"v{row.draft.number}" if row.draft else "-"
        click.echo(f"{row.item.code:<16} {in_force:<5} {draft:<5} {row.latest.name}")
