"""The guide, the one-time notice (page and PDF), the JSON and the administration pages."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from licensing import clock
from licensing.auth.models import Role
from licensing.catalogue import services
from licensing.catalogue.models import (
    Exclusion,
    ItemVersion,
    PublishedVersionImmutable,
    VersionStatus,
)
from tests.catalogue_factories import answered, demo_catalogue, draft_item, published_item
from tests.factories import create_test_user, login_as

#: The publish form with every exclusion ground answered "no" (工作方案 二（一）).
ALL_NO = {f"exclusion-{ground.value}": "no" for ground in Exclusion}

#: Demo items covering the three verification rules, every mode, and a general-only item.
SAMPLE_ITEMS = ("XK-WJ-001", "XK-CG-001", "XK-YJ-001")


class RulesOnPage(HTMLParser):
    """Collects the data-* attributes the rule templates put on materials and verification."""

    def __init__(self) -> None:
        super().__init__()
        self.materials: list[tuple[str, str, str]] = []
        self.verification: dict[str, str] | None = None
        self.moved_checks: str | None = None
        self.tracks: str | None = None
        self.scripts_inline = 0
        self.style_attributes = 0
        self.print_buttons = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-material" in a:
            self.materials.append((a["data-material"], a["data-modes"],
                                   a["data-supplement-days"]))
        if "data-verification" in a:
            self.verification = {k: a[f"data-verification-{k}"] for k in ("rule", "days",
                                                                          "method")}
        if "data-moved-checks" in a:
            self.moved_checks = a["data-moved-checks"]
        if "data-tracks" in a:
            self.tracks = a["data-tracks"]
        if tag == "script" and "src" not in a:
            self.scripts_inline += 1
        if "style" in a:
            self.style_attributes += 1
        if "data-print" in a:
            self.print_buttons += 1


def read_page(html: str) -> RulesOnPage:
    parser = RulesOnPage()
    parser.feed(html)
    return parser


def expected_from_dict(rules: dict):
    materials = [(m["code"], " ".join(mode["code"] for mode in m["modes"]),
                  " ".join(str(mode["supplement_working_days"]) for mode in m["modes"]
                           if mode["supplement_working_days"]))
                 for m in rules["materials"]]
    v = rules["verification"]
    verification = {"rule": v["rule"]["code"], "days": str(v["working_days"]),
                    "method": v["method"]["code"]}
    return materials, verification


def pdf_strings(pdf: bytes) -> list[str]:
    """The lines of text on the pages of a PDF, read through its fonts' Unicode maps (pypdf).

    Works for the embedded TrueType subsets and for the CID fallback font alike. Spaces the
    extraction adds around a wrapped line, or between two ideographs, are not in the
    document and are dropped.
    """
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return [line.strip() for line in _BETWEEN_IDEOGRAPHS.sub("", text).splitlines()]


_IDEOGRAPH = "[\u3000-\u9fff\uff00-\uffef]"
_BETWEEN_IDEOGRAPHS = re.compile(f"(?<={_IDEOGRAPH}) +(?={_IDEOGRAPH})")



@pytest.fixture
def demo(session):
    demo_catalogue()


@pytest.mark.parametrize("code", SAMPLE_ITEMS)
def test_guide_notice_pdf_and_json_show_the_same_rules(client, demo, code):
    version = services.current_version(code)
    rules = services.item_rules_dict(version)
    materials, verification = expected_from_dict(rules)
    assert len(materials) >= 3

    api = client.get(f"/api/v1/items/{code}")
    assert api.status_code == 200
    assert {key: api.json[key] for key in rules} == rules  # the API may add links

    for url in (f"/guide/{code}", f"/guide/{code}/notice"):
        response = client.get(url)
        assert response.status_code == 200, url
        page = read_page(response.get_data(as_text=True))
        assert page.materials == materials, url
        assert page.verification == verification, url
        assert page.tracks == " ".join(t["code"] for t in rules["tracks"])
        moved = " ".join(c["code"] for c in rules["verification"]["moved_checks"]) or None
        assert page.moved_checks == moved
        assert page.scripts_inline == 0 and page.style_attributes == 0

    pdf = client.get(f"/guide/{code}/notice.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(pdf_strings(pdf.data))
    assert rules["item"]["name"] in text
    for material in rules["materials"]:
        assert material["name"] in text
    for mode in {m["label"] for mat in rules["materials"] for m in mat["modes"]}:
        assert mode in text
    assert f"{rules['verification']['working_days']} 个工作日" in text


def test_rules_show_the_policy_on_the_notice(client, demo):
    page = client.get("/guide/XK-WJ-001/notice").get_data(as_text=True)
    assert "一次性告知书" in page
    assert "承诺限期补齐补全" in page and "许可决定后 20 个工作日内补齐" in page
    assert "信用修复前不适用告知承诺制" in page
    assert "违反承诺的后果" in page
    general_only = client.get("/guide/XK-YJ-001/notice").get_data(as_text=True)
    assert "不适用告知承诺制" in general_only and "直接涉及公共安全" in general_only


def test_notice_is_printable(client, demo):
    page = client.get("/guide/XK-WJ-001/notice").get_data(as_text=True)
    parsed = read_page(page)
    assert parsed.print_buttons == 1 and parsed.scripts_inline == 0
    assert 'href="/guide/print.css"' in page
    css = client.get("/guide/print.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "@media print" in css.get_data(as_text=True)


def test_notice_pdf_is_a_valid_pdf(client, demo):
    response = client.get("/guide/XK-CG-001/notice.pdf")
    data = response.data
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b", data)) >= 1
    assert "inline" in response.headers["Content-Disposition"]
    assert "XK-CG-001" in response.headers["Content-Disposition"]


def test_guide_list_and_search(client, demo):
    page = client.get("/guide").get_data(as_text=True)
    assert page.count('data-item="') == 32
    found = client.get("/guide?q=卫生").get_data(as_text=True)
    assert 'data-item="XK-WJ-001"' in found and 'data-item="XK-CG-001"' not in found
    assert client.get("/guide/NOPE").status_code == 404


def test_guide_of_an_old_version_and_drafts_are_not_public(client, session):
    with clock.freeze(datetime(2026, 3, 10, 2, tzinfo=UTC)):
        v1 = published_item("G-1")
        draft = services.start_draft(v1.item)
        session.commit()
        assert client.get("/guide/G-1?v=2").status_code == 404  # a draft is not public
        draft.name = "第二版名称"
        services.publish_version(draft, date(2026, 3, 10), exclusion_check=answered(draft))
        session.commit()
        assert "第二版名称" in client.get("/guide/G-1").get_data(as_text=True)
        old = client.get("/guide/G-1/notice?v=1").get_data(as_text=True)
        assert "公共场所卫生许可（测试）" in old and "至 2026-03-09 止" in old


def test_staff_see_the_guide_in_their_navigation_admins_also_the_catalogue(app, session):
    clerk = create_test_user(Role.clerk)
    admin = create_test_user(Role.admin)
    client = app.test_client()
    login_as(client, clerk)
    home = client.get("/").get_data(as_text=True)
    assert "办事指南" in home and "事项管理" not in home
    other = app.test_client()
    login_as(other, admin)
    home = other.get("/").get_data(as_text=True)
    assert "事项管理" in home and "在用事项" in home


# --- Administration --------------------------------------------------------------------------

ADMIN_PAGES = ["/admin/catalogue", "/admin/catalogue/new", "/admin/catalogue/XK-WJ-001",
               "/admin/catalogue/XK-WJ-001/versions/1", "/admin/catalogue/XK-WJ-001/diff"]


@pytest.mark.parametrize("role", [r for r in Role if r != Role.admin])
def test_admin_pages_refuse_other_roles(app, demo, role):
    client = app.test_client()
    login_as(client, create_test_user(role))
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/catalogue/XK-WJ-001/draft").status_code == 403


def test_admin_pages_need_a_login(client, demo):
    response = client.get("/admin/catalogue")
    assert response.status_code == 302 and "/login" in response.location


@pytest.fixture
def admin_client(app, session):
    client = app.test_client()
    login_as(client, create_test_user(Role.admin))
    return client


def test_admin_lists_and_views(admin_client, demo):
    listing = admin_client.get("/admin/catalogue").get_data(as_text=True)
    assert listing.count('data-item="') == 32
    assert admin_client.get("/admin/catalogue?q=XK-WJ").get_data(as_text=True).count(
        'data-item="') == 2
    for url in ADMIN_PAGES:
        assert admin_client.get(url).status_code == 200, url


def form_data(version: ItemVersion, **overrides) -> dict:
    """What the edit form posts for a version, with changes."""
    c = services.version_content(version)
    data = {
        "row_version": str(version.row_version), "change_note": "",
        "name": c.name, "legal_basis": c.legal_basis,
        "approval_department": c.approval_department,
        "supervisory_department": c.supervisory_department,
        "applicant_kinds": [k.value for k in c.applicant_kinds],
        "tracks": [t.value for t in c.tracks],
        "statutory_limit_days": str(c.statutory_limit_days),
        "promised_limit_days": str(c.promised_limit_days),
        "verification_rule": c.verification_rule.value,
        "verification_working_days": str(c.verification_working_days),
        "verification_basis": c.verification_basis,
        "verification_method": c.verification_method.value,
        "verification_checklist": "\n".join(c.verification_checklist),
        "moved_checks": [m.value for m in c.moved_checks],
        "supervision_measures": c.supervision_measures,
        "commitment_conditions": c.commitment_conditions,
        "commitment_content": c.commitment_content,
        "breach_consequences": c.breach_consequences,
        "exclusions": [e.value for e in c.exclusions],
        "letter_template": c.letter_template,
        "qualification_reasons": c.qualification_reasons,
        "list_approval_document": c.list_approval_document,
        "letter_template_source": c.letter_template_source,
    }
    for i, m in enumerate(c.materials):
        data[f"materials-{i}-code"] = m.code
        data[f"materials-{i}-name"] = m.name
        if m.required_general:
            data[f"materials-{i}-required_general"] = "y"
        data[f"materials-{i}-modes"] = [mode.value for mode in m.modes]
        data[f"materials-{i}-supplement_days"] = str(m.supplement_days or "")
        if m.paper_at_counter:
            data[f"materials-{i}-paper_at_counter"] = "y"
    data.update(overrides)
    return data


def test_admin_edits_a_draft_adds_a_material_and_publishes(admin_client, session):
    with clock.freeze(datetime(2026, 3, 10, 2, tzinfo=UTC)):
        v1 = published_item("E-1")
        response = admin_client.post("/admin/catalogue/E-1/draft")
        assert response.status_code == 302
        draft = services.get_version("E-1", 2)
        assert admin_client.get("/admin/catalogue/E-1/versions/2/edit").status_code == 200
        data = form_data(draft, name="修订后的名称", change_note="补充材料")
        data.update({"materials-4-code": "M5", "materials-4-name": "新增的材料",
                     "materials-4-modes": ["supplement"], "materials-4-supplement_days": "15",
                     "materials-0-remove": "y"})
        response = admin_client.post("/admin/catalogue/E-1/versions/2/edit", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)
        session.expire_all()
        draft = services.get_version("E-1", 2)
        assert draft.name == "修订后的名称" and draft.change_note == "补充材料"
        assert [m.code for m in draft.materials] == ["M2", "M3", "M4", "M5"]
        assert draft.material("M5").supplement_days == 15

        diff = admin_client.get("/admin/catalogue/E-1/diff?from=1&to=2").get_data(as_text=True)
        assert 'data-field="name"' in diff
        assert 'data-material="M1" data-kind="removed"' in diff
        assert 'data-material="M5" data-kind="added"' in diff

        response = admin_client.post("/admin/catalogue/E-1/versions/2/publish",
                                     data={"valid_from_on": "2026-03-11", **ALL_NO})
        assert response.status_code == 302
        session.expire_all()
        assert services.get_version("E-1", 2).status == VersionStatus.published
        assert services.get_version("E-1", 1).name == v1.name
        edit_published = admin_client.get("/admin/catalogue/E-1/versions/2/edit")
        assert edit_published.status_code == 302  # published: no edit form


def test_stale_edit_is_refused_with_a_clear_message(admin_client, session):
    draft = draft_item("E-2")
    opened = form_data(draft)
    first = admin_client.post("/admin/catalogue/E-2/versions/1/edit",
                              data={**opened, "name": "甲的修改"})
    assert first.status_code == 302
    second = admin_client.post("/admin/catalogue/E-2/versions/1/edit",
                               data={**opened, "name": "乙的修改"})
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "该草稿在您打开后已被他人修改" in page and "您的修改未保存" in page
    session.expire_all()
    assert services.get_version("E-2", 1).name == "甲的修改"


def test_edit_form_shows_rule_errors_at_their_fields(admin_client, session):
    draft = draft_item("E-3")
    response = admin_client.post("/admin/catalogue/E-3/versions/1/edit", data=form_data(
        draft, verification_working_days="30",
        **{"materials-1-supplement_days": ""}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "一般事项的核查时限为 60 个工作日" in page
    assert "必须写明补齐期限" in page


def test_publishing_an_excluded_item_from_the_page_names_the_rule(admin_client, session):
    draft_item("E-4", excluded=(Exclusion.ecological_protection,))
    page = admin_client.get("/admin/catalogue/E-4/versions/1").get_data(as_text=True)
    assert "该事项直接涉及生态环境保护，不得纳入告知承诺制（工作方案 二（一））" in page
    response = admin_client.post("/admin/catalogue/E-4/versions/1/publish", data={
        "valid_from_on": "2026-03-11", **ALL_NO, "exclusion-ecological_protection": "yes"},
        follow_redirects=True)
    assert "该事项直接涉及生态环境保护，不得纳入告知承诺制（工作方案 二（一））" in (
        response.get_data(as_text=True))
    session.expire_all()
    assert services.get_version("E-4", 1).status == VersionStatus.draft


def test_the_publisher_answers_each_exclusion_ground_on_the_page(admin_client, session):
    """工作方案 二（一）: an empty exclusion list is not a pass; each ground is answered."""
    draft_item("E-5")
    page = admin_client.get("/admin/catalogue/E-5/versions/1").get_data(as_text=True)
    for ground in Exclusion:
        assert f'name="exclusion-{ground.value}" value="yes"' in page
        assert f'name="exclusion-{ground.value}" value="no"' in page
        assert "checked" not in page.split(f'id="exclusion-{ground.value}-yes"')[1][:20]
    # nothing answered, then all but one: refused, naming what is still open
    for answers, open_ground in (({}, "直接涉及国家安全"),
                                 ({**ALL_NO, "exclusion-foreign_affairs": ""}, "属于重要涉外事项")):
        response = admin_client.post("/admin/catalogue/E-5/versions/1/publish", data={
            "valid_from_on": "2026-03-11", **answers}, follow_redirects=True)
        text = response.get_data(as_text=True)
        assert "尚未确认" in text and f"“{open_ground}”" in text
        session.expire_all()
        assert services.get_version("E-5", 1).status == VersionStatus.draft
    # a yes the draft does not record: refused, naming the ground
    response = admin_client.post("/admin/catalogue/E-5/versions/1/publish", data={
        "valid_from_on": "2026-03-11", **ALL_NO, "exclusion-public_safety": "yes"},
        follow_redirects=True)
    assert "“直接涉及公共安全”：确认为涉及，但草稿登记为不涉及" in response.get_data(as_text=True)
    response = admin_client.post("/admin/catalogue/E-5/versions/1/publish", data={
        "valid_from_on": "2026-03-11", **ALL_NO})
    assert response.status_code == 302
    session.expire_all()
    version = services.get_version("E-5", 1)
    assert version.status == VersionStatus.published
    assert version.exclusion_check == {g.value: False for g in Exclusion}
    page = admin_client.get("/admin/catalogue/E-5/versions/1").get_data(as_text=True)
    answers = page.split('id="exclusion-answers"')[1].split("</table>")[0]
    assert answers.count("不涉及") == len(Exclusion)
    # kept on the published version: it never changes
    version.exclusion_check = {**version.exclusion_check, "public_safety": True}
    with pytest.raises(PublishedVersionImmutable):
        session.flush()
    session.rollback()


def test_admin_creates_retires_and_discards(admin_client, session):
    from tests.factories import departments

    departments()
    session.commit()
    response = admin_client.post("/admin/catalogue/new", data={
        "code": "N-1", "name": "新事项", "approval_department": "xzspj",
        "supervisory_department": "scjgj"})
    assert response.status_code == 302 and response.location.endswith("/versions/1/edit")
    taken = admin_client.post("/admin/catalogue/new", data={
        "code": "N-1", "name": "重复", "approval_department": "xzspj",
        "supervisory_department": "scjgj"})
    assert taken.status_code == 422 and "已存在" in taken.get_data(as_text=True)
    assert admin_client.post("/admin/catalogue/N-1/versions/1/discard").status_code == 302
    with pytest.raises(Exception):  # noqa: B017 - gone
        services.get_item("N-1")

    with clock.freeze(datetime(2026, 3, 10, 2, tzinfo=UTC)):
        published_item("R-1")
        response = admin_client.post("/admin/catalogue/R-1/versions/1/retire",
                                     data={"retired_on": "2026-04-01"})
        assert response.status_code == 302
        session.expire_all()
        version = services.get_version("R-1", 1)
        assert version.status == VersionStatus.retired
        assert version.retired_on == date(2026, 4, 1)
