"""Versions: immutable once published, one in force per day, applications keep theirs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from licensing import clock
from licensing.audit.models import AuditEntry
from licensing.catalogue import services
from licensing.catalogue.errors import (
    ExcludedFromCommitment,
    InvalidValidity,
    ItemNotInForce,
    ModeNotAllowed,
    StaleDraft,
    UnknownItem,
    VersionIncomplete,
    VersionNotDraft,
)
from licensing.catalogue.models import (
    CommitmentMode,
    Exclusion,
    ItemVersion,
    Material,
    PublishedVersionImmutable,
    Track,
    VersionStatus,
)
from licensing.errors import InvalidTransition
from licensing.extensions import db
from tests.catalogue_factories import answered, content, draft_item, published_item

TODAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _fixed_today():
    with clock.freeze(datetime(2026, 3, 10, 2, 0, tzinfo=UTC)):
        yield


def actions(session, object_type="item_version") -> list[str]:
    return list(session.scalars(select(AuditEntry.action)
                                .where(AuditEntry.object_type == object_type)
                                .order_by(AuditEntry.id)))


def edit(version: ItemVersion, **changes) -> list[str]:
    new = dataclasses.replace(services.version_content(version), **changes)
    return services.update_draft(version, new, expected_row_version=version.row_version)


def test_publish_and_current_version(session):
    v1 = published_item("P-1")
    assert v1.status == VersionStatus.published and v1.valid_from_on == date(2022, 12, 1)
    assert services.current_version("P-1").id == v1.id
    assert services.current_version("P-1", on=date(2022, 12, 1)).id == v1.id
    with pytest.raises(ItemNotInForce):
        services.current_version("P-1", on=date(2022, 11, 30))
    with pytest.raises(UnknownItem):
        services.current_version("NOPE")
    assert actions(session) == ["catalogue.version_published"]
    assert actions(session, "item") == ["catalogue.item_created"]


def test_an_applications_version_never_changes_under_it(app, session):
    """A row holding a FK to an ItemVersion keeps the exact rules it was filed under."""
    table = sa.Table("test_applications", sa.MetaData(),
                     sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("item_version_id", sa.Integer))
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS test_applications"))
        conn.execute(sa.text("CREATE TABLE test_applications (id INTEGER PRIMARY KEY, "
                             "item_version_id INTEGER NOT NULL REFERENCES item_versions(id))"))
    try:
        v1 = published_item("P-2")
        filed_under = services.current_version("P-2", on=TODAY)
        session.execute(table.insert().values(id=1, item_version_id=filed_under.id))
        session.commit()
        snapshot = services.version_content(v1)
        rules_before = services.item_rules_dict(v1)

        draft = services.start_draft(v1.item)
        edit(draft, name="公共场所卫生许可（修订）", verification_checklist=("新的要点",),
             materials=content().materials[:2])
        services.publish_version(draft, TODAY + timedelta(days=5),
                                 exclusion_check=answered(draft))
        session.commit()
        session.expire_all()

        referenced = session.get(ItemVersion,
                                 session.scalar(select(table.c.item_version_id)))
        assert referenced.id == v1.id and referenced.number == 1
        assert services.version_content(referenced) == snapshot
        assert len(referenced.materials) == 4
        rules_after = services.item_rules_dict(referenced)
        assert rules_after["materials"] == rules_before["materials"]
        assert rules_after["item"]["valid_until_on"] == (TODAY + timedelta(days=4)).isoformat()
        assert services.current_version("P-2", on=TODAY).id == v1.id
        assert services.current_version("P-2", on=TODAY + timedelta(days=5)).number == 2
        # the referenced version cannot be deleted from under the application either
        session.delete(referenced)
        with pytest.raises(PublishedVersionImmutable):
            session.flush()
        session.rollback()
    finally:
        session.rollback()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE test_applications"))


def test_orm_refuses_to_edit_a_published_version(session):
    version = published_item()
    version.name = "偷偷修改"
    with pytest.raises(PublishedVersionImmutable):
        session.flush()
    session.rollback()

    version = session.get(ItemVersion, version.id)
    version.materials[0].name = "偷偷修改"
    with pytest.raises(PublishedVersionImmutable):
        session.flush()
    session.rollback()

    version = session.get(ItemVersion, version.id)
    version.materials.append(Material(code="MX", name="新增", position=9))
    with pytest.raises(PublishedVersionImmutable):
        session.flush()
    session.rollback()

    version = session.get(ItemVersion, version.id)
    version.materials.pop()
    with pytest.raises(PublishedVersionImmutable):
        session.flush()
    session.rollback()

    with pytest.raises(PublishedVersionImmutable):
        session.execute(sa.update(ItemVersion).values(name="批量修改"))
    session.rollback()
    assert session.get(ItemVersion, version.id).name == "公共场所卫生许可（测试）"


def test_services_refuse_to_edit_a_published_version(session):
    version = published_item()
    with pytest.raises(VersionNotDraft):
        edit(version, name="改名")
    with pytest.raises(VersionNotDraft):
        services.publish_version(version, TODAY, exclusion_check=answered(version))


def test_editing_makes_a_draft_copy_and_reuses_it(session):
    v1 = published_item("P-3")
    draft = services.start_draft(v1.item)
    assert (draft.number, draft.status) == (2, VersionStatus.draft)
    assert services.version_content(draft) == services.version_content(v1)
    assert services.start_draft(v1.item).id == draft.id
    assert edit(draft, promised_limit_days=3) == ["promised_limit_days"]
    assert edit(draft, promised_limit_days=3) == []
    session.commit()
    assert actions(session) == ["catalogue.version_published", "catalogue.draft_started",
                                "catalogue.draft_updated"]


def test_stale_draft_edit_is_refused(session):
    draft = draft_item()
    opened_at = draft.row_version
    edit(draft, name="第一人保存")
    session.commit()
    assert draft.row_version == opened_at + 1
    stale = dataclasses.replace(services.version_content(draft), name="第二人保存")
    with pytest.raises(StaleDraft) as info:
        services.update_draft(draft, stale, expected_row_version=opened_at)
    assert "已被他人修改" in info.value.message
    session.rollback()
    assert session.get(ItemVersion, draft.id).name == "第一人保存"


def test_concurrent_save_between_check_and_update_is_refused(app, session):
    """Two saves racing past the form check: the row's version counter stops the second."""
    from sqlalchemy.orm import Session

    draft = draft_item()
    opened_at = draft.row_version  # this session has the draft loaded: it passes the check
    mine = dataclasses.replace(services.version_content(draft), name="我的保存")
    with Session(db.engine) as other:
        other.get(ItemVersion, draft.id).name = "他人保存"
        other.commit()
    assert draft.row_version == opened_at  # not reloaded: the form check cannot see it
    with pytest.raises(StaleDraft):
        services.update_draft(draft, mine, expected_row_version=opened_at)
    session.rollback()
    assert session.get(ItemVersion, draft.id).name == "他人保存"


def test_material_only_edit_also_moves_the_lock(session):
    draft = draft_item()
    before = draft.row_version
    materials = list(content().materials)
    materials[1] = dataclasses.replace(materials[1], supplement_days=25)
    edit(draft, materials=tuple(materials))
    session.commit()
    assert draft.row_version == before + 1
    assert draft.material("M2").supplement_days == 25


def test_materials_are_matched_by_code_and_can_be_renamed_removed_added(session):
    draft = draft_item()
    m3_id = draft.material("M3").id
    materials = (content().materials[2], content().materials[0],
                 dataclasses.replace(content().materials[1], code="M9"))
    edit(draft, materials=materials)
    session.commit()
    assert [m.code for m in draft.materials] == ["M3", "M1", "M9"]
    assert draft.material("M3").id == m3_id


@pytest.mark.parametrize("exclusion", [Exclusion.public_safety,
                                       Exclusion.personal_health_life_property])
def test_publishing_an_excluded_commitment_item_is_refused(session, exclusion):
    draft = draft_item(excluded=(exclusion,))
    with pytest.raises(ExcludedFromCommitment) as info:
        services.publish_version(draft, TODAY, exclusion_check=answered(draft))
    expected = f"该事项{exclusion.label}，不得纳入告知承诺制（工作方案 二（一））"
    assert info.value.message == expected
    assert info.value.code == "excluded_from_commitment"
    session.rollback()
    assert session.get(ItemVersion, draft.id).status == VersionStatus.draft


def test_excluded_item_may_be_published_on_the_general_track(session):
    version = published_item(general_only=True, excluded=(Exclusion.public_safety,))
    assert version.status == VersionStatus.published
    assert version.tracks == [Track.general]


def test_incomplete_draft_cannot_be_published(session):
    draft = draft_item(commitment_content="", letter_template="")
    with pytest.raises(VersionIncomplete) as info:
        services.publish_version(draft, TODAY, exclusion_check=answered(draft))
    messages = [p.message for p in info.value.problems]
    assert any("承诺内容" in m for m in messages)
    assert any("告知承诺书文本" in m for m in messages)


def test_validity_dates_cannot_rewrite_the_past(session):
    v1 = published_item("P-4", valid_from=date(2022, 12, 1))  # a first version may go back
    draft = services.start_draft(v1.item)
    with pytest.raises(InvalidValidity):
        services.publish_version(draft, TODAY - timedelta(days=1),
                                 exclusion_check=answered(draft))
    services.publish_version(draft, TODAY + timedelta(days=30),  # scheduled
                             exclusion_check=answered(draft))
    session.commit()
    assert services.current_version("P-4").number == 1
    v3 = services.start_draft(v1.item)
    with pytest.raises(InvalidValidity):  # not before the scheduled one
        services.publish_version(v3, TODAY + timedelta(days=30), exclusion_check=answered(v3))
    services.publish_version(v3, TODAY + timedelta(days=31), exclusion_check=answered(v3))
    session.commit()
    assert [services.current_version("P-4", on=TODAY + timedelta(days=d)).number
            for d in (0, 30, 31)] == [1, 2, 3]


def test_retire_takes_the_item_off_the_list(session):
    v1 = published_item("P-5")
    with pytest.raises(InvalidValidity):
        services.retire_version(v1, TODAY - timedelta(days=1))
    services.retire_version(v1, TODAY + timedelta(days=10))
    session.commit()
    assert v1.status == VersionStatus.retired
    assert services.current_version("P-5", on=TODAY).id == v1.id
    with pytest.raises(ItemNotInForce):
        services.current_version("P-5", on=TODAY + timedelta(days=10))
    assert services.valid_until(v1) == TODAY + timedelta(days=9)
    v1.name = "停用后修改"
    with pytest.raises(PublishedVersionImmutable):
        session.flush()
    session.rollback()
    assert actions(session)[-1] == "catalogue.version_retired"


def test_only_the_latest_published_version_can_be_retired(session):
    v1 = published_item("P-6")
    v2 = services.start_draft(v1.item)
    services.publish_version(v2, TODAY, exclusion_check=answered(v2))
    with pytest.raises(InvalidTransition):
        services.retire_version(v1, TODAY)


def test_discarding_a_draft(session):
    v1 = published_item("P-7")
    draft = services.start_draft(v1.item)
    session.commit()
    services.discard_draft(draft)
    session.commit()
    assert [v.number for v in services.get_item("P-7").versions] == [1]
    with pytest.raises(VersionNotDraft):
        services.discard_draft(v1)


def test_render_letter_uses_the_versions_template_in_a_sandbox(session):
    version = published_item("P-8")
    text = services.render_letter(
        version, "定州市{{ 7*7 }}有限公司", "91130682MA0000000X",
        [(version.material("M2"), CommitmentMode.supplement), ("M3", "substitute")],
        date(2026, 3, 10))
    assert "申请人：定州市{{ 7*7 }}有限公司（91130682MA0000000X）" in text
    assert "市行政审批局已一次性告知" in text
    assert "1. 《场所平面布局图》：承诺限期补齐补全（在许可决定后 20 个工作日内补齐）" in text
    assert "2. 《从业人员健康证明》：承诺代替申请材料" in text
    assert text.endswith("2026年3月10日")
    with pytest.raises(ModeNotAllowed):
        services.render_letter(version, "甲", "X", [("M1", "substitute")], TODAY)
    other = published_item("P-9")
    with pytest.raises(ModeNotAllowed):
        services.render_letter(version, "甲", "X", [(other.material("M3"), "substitute")],
                               TODAY)


def test_diff_versions_field_by_field_and_material_by_material(session):
    v1 = published_item("P-10")
    draft = services.start_draft(v1.item)
    materials = list(content().materials)
    materials[1] = dataclasses.replace(materials[1], supplement_days=30)
    del materials[2]
    materials.append(content().materials[0].__class__("M5", "新材料", False, ()))
    edit(draft, name="新名称", verification_checklist=("唯一要点",), materials=tuple(materials))
    diff = services.diff_versions(v1, draft)
    assert {c.field for c in diff.fields} == {"name", "verification_checklist"}
    name_change = next(c for c in diff.fields if c.field == "name")
    assert (name_change.old, name_change.new) == ("公共场所卫生许可（测试）", "新名称")
    kinds = {m.code: m.kind for m in diff.materials}
    assert kinds == {"M2": "changed", "M3": "removed", "M5": "added"}
    m2 = next(m for m in diff.materials if m.code == "M2")
    assert [(c.field, c.old, c.new) for c in m2.changes] == [("supplement_days", "20", "30")]
    assert services.diff_versions(v1, v1).empty


@pytest.mark.parametrize(
    ("statement", "constraint"),
    [
        ("UPDATE item_versions SET verification_working_days = 30", "standard_rule_60_days"),
        ("UPDATE item_versions SET verification_rule = 'item_specific', "
         "verification_basis = '依据', verification_working_days = 0", "verification_days_range"),
        ("UPDATE item_versions SET verification_rule = 'public_interest'",
         "public_interest_rule_7_days"),
        ("UPDATE item_versions SET verification_rule = 'item_specific'",
         "item_specific_rule_shorter_with_basis"),
        ("UPDATE item_versions SET status = 'published'", "valid_from_iff_published"),
        ("UPDATE materials SET supplement_days = NULL WHERE code = 'M2'",
         "supplement_days_iff_supplement"),
        ("UPDATE materials SET supplement_days = 5 WHERE code = 'M3'",
         "supplement_days_iff_supplement"),
    ],
)
def test_named_check_constraints_hold_in_the_database(session, statement, constraint):
    draft_item()
    with pytest.raises(sa.exc.IntegrityError) as info:
        session.execute(sa.text(statement))
    assert constraint in str(info.value)
    session.rollback()
