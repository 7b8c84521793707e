"""Import and export: all or nothing, every error with its line, idempotent, round trip."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from licensing import clock
from licensing.audit.models import AuditEntry
from licensing.catalogue import services
from licensing.catalogue.demo import DEMO_FILE, load_demo_catalogue
from licensing.catalogue.errors import CatalogueImportFailed
from licensing.catalogue.importer import export_catalogue, import_catalogue
from licensing.catalogue.models import Item, ItemVersion, Material, VersionStatus
from licensing.catalogue.yaml_format import dump_catalogue
from licensing.extensions import db
from tests.catalogue_factories import content, demo_catalogue
from tests.factories import departments


def counts(session) -> tuple[int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(model))
                 for model in (Item, ItemVersion, Material))


@pytest.fixture
def depts(session):
    departments()
    session.commit()


def write(tmp_path, text: str, name: str = "catalogue.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_import_publish_and_reimport_is_idempotent(runner, session, depts, tmp_path):
    path = write(tmp_path, DEMO_FILE.read_text(encoding="utf-8"))
    first = runner.invoke(args=["catalogue", "import", str(path), "--publish",
                                "--confirm-exclusions",
                                "--valid-from", "2022-12-01"])
    assert first.exit_code == 0, first.output
    assert "新建 32 项" in first.output and "发布 32 项" in first.output
    before = counts(session)
    assert before[0] == 32 and before[1] == 32
    audit_before = session.scalar(select(func.count()).select_from(AuditEntry))

    again = runner.invoke(args=["catalogue", "import", str(path), "--publish",
                                "--confirm-exclusions",
                                "--valid-from", "2022-12-01"])
    assert again.exit_code == 0, again.output
    assert "未变 32 项" in again.output
    assert counts(session) == before
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
    assert services.current_version("XK-WJ-001", on=date(2022, 12, 1)).number == 1


def test_failed_import_reports_every_error_with_lines_and_changes_nothing(
        runner, session, depts, tmp_path):
    demo_catalogue()
    before = counts(session)
    text = DEMO_FILE.read_text(encoding="utf-8")
    lines = text.splitlines()
    # Break three different items; keep one good change that must not be applied either.
    renamed = next(i for i, line in enumerate(lines) if line.strip().startswith("name:"))
    lines[renamed] = lines[renamed].replace("公共场所卫生许可", "公共场所卫生许可（新名称）")
    bad = []
    for index, line in enumerate(lines):
        if len(bad) == 0 and line.strip() == "supervisory_department: wsjkj":
            lines[index] = line.replace("wsjkj", "nosuchdept")
            bad.append(index + 1)
        elif len(bad) == 1 and line.strip().startswith("working_days:") and index + 1 > bad[0]:
            lines[index] = line.split(":")[0] + ": 0"
            bad.append(index + 1)
        elif len(bad) == 2 and line.strip().startswith("modes: [supplement]"):
            lines[index] = line.replace("[supplement]", "[sometimes]")
            bad.append(index + 1)
            break
    path = write(tmp_path, "\n".join(lines) + "\n")

    result = runner.invoke(args=["catalogue", "import", str(path), "--publish",
                                 "--confirm-exclusions"])
    assert result.exit_code == 2
    output = result.output
    assert f"第 {bad[0]} 行：" in output and "部门代码“nosuchdept”不存在" in output
    assert f"第 {bad[1]} 行：" in output and "1–60" in output
    assert f"第 {bad[2]} 行：" in output and "modes 的值“sometimes”无效" in output
    assert "导入失败，共 3 处错误，未做任何修改。" in output
    session.expire_all()
    assert counts(session) == before
    assert services.current_version("XK-WJ-001").name == "公共场所卫生许可"


def test_an_error_found_while_applying_rolls_everything_back(session, depts):
    demo_catalogue()
    before = counts(session)
    changed = [(code, content(name=f"新{code}")) for code in ("NEW-1", "XK-WJ-001")]
    with (clock.freeze(datetime(2026, 3, 10, 2, tzinfo=UTC)),
          pytest.raises(CatalogueImportFailed) as info):
        # a changed item cannot get a new version valid in the past
        import_catalogue(dump_catalogue(changed), publish=True,
                                        exclusions_confirmed=True, valid_from_on=date(2022, 12, 1))
    assert any("早于允许的最早日期 2026-03-10" in e for e in info.value.errors)
    session.rollback()
    assert counts(session) == before


def test_import_without_publish_makes_drafts_and_updates_them(session, depts):
    text = dump_catalogue([("D-1", content())])
    report = import_catalogue(text)
    session.commit()
    assert report.created == ["D-1"] and report.published == []
    version = services.get_item("D-1").latest_version
    assert version.status == VersionStatus.draft
    assert import_catalogue(text).changed is False  # same draft: nothing to do
    report = import_catalogue(dump_catalogue([("D-1", content(promised_limit_days=2))]))
    session.commit()
    assert report.updated == ["D-1"]
    assert [v.number for v in services.get_item("D-1").versions] == [1]
    assert services.get_item("D-1").draft.promised_limit_days == 2


def test_changed_item_gets_a_new_version_and_the_old_one_stays(session, depts):
    with clock.freeze(datetime(2026, 3, 10, 2, tzinfo=UTC)):
        import_catalogue(dump_catalogue([("C-1", content())]), publish=True,
                                                         exclusions_confirmed=True,
                         valid_from_on=date(2022, 12, 1))
        session.commit()
        report = import_catalogue(dump_catalogue([("C-1", content(promised_limit_days=3))]),
                                  publish=True,
exclusions_confirmed=True, valid_from_on=date(2026, 3, 10))
        session.commit()
    assert report.updated == ["C-1"] and report.published == ["C-1"]
    v1, v2 = services.get_item("C-1").versions
    assert (v1.promised_limit_days, v2.promised_limit_days) == (5, 3)
    assert v1.status == v2.status == VersionStatus.published
    assert services.valid_until(v1) == date(2026, 3, 9)


def test_export_then_import_round_trips(app, session, depts, tmp_path, runner):
    demo_catalogue()
    exported = runner.invoke(args=["catalogue", "export", str(tmp_path / "out.yaml")])
    assert exported.exit_code == 0, exported.output
    text = (tmp_path / "out.yaml").read_text(encoding="utf-8")
    assert text == export_catalogue()

    # into the same database: nothing changes
    before = counts(session)
    assert import_catalogue(text, publish=True, exclusions_confirmed=True).changed is False
    assert counts(session) == before

    # into an empty catalogue: the same items, the same content, the same export
    originals = {i.code: services.version_content(i.latest_version)
                 for i in session.scalars(select(Item))}
    session.expunge_all()
    # A clean slate for the test only (table-level SQL: the ORM refuses to delete published rules)
    session.execute(Material.__table__.delete())
    session.execute(ItemVersion.__table__.delete())
    session.execute(Item.__table__.delete())
    session.commit()
    import_catalogue(text, publish=True, exclusions_confirmed=True, valid_from_on=date(2022, 12, 1))
    session.commit()
    reimported = {i.code: services.version_content(i.latest_version)
                  for i in session.scalars(select(Item))}
    assert reimported == originals
    assert export_catalogue() == text


def test_demo_loader_is_idempotent(session, depts):
    load_demo_catalogue()
    db.session.commit()
    before = counts(session)
    load_demo_catalogue()
    db.session.commit()
    assert counts(session) == before
    in_force = services.guide_versions(on=date(2022, 12, 1))
    assert len(in_force) == 32
    assert sum(v.offers_commitment for v in in_force) == 30


def test_export_to_stdout_and_list(runner, session, depts):
    demo_catalogue()
    result = runner.invoke(args=["catalogue", "export"])
    assert result.exit_code == 0 and result.output.startswith("# 告知承诺制事项清单")
    listing = runner.invoke(args=["catalogue", "list"])
    assert "XK-WJ-001" in listing.output and "公共场所卫生许可" in listing.output
