"""Walk every page as every role; no English reaches the visible text.

Visible text is what a person reads: element text outside ``<script>``, ``<style>``, ``<code>``
and ``<pre>`` (the signed letter, kept byte for byte), plus the ``placeholder``, ``title``,
``alt`` and ``aria-label`` attributes. An ASCII word there is English unless it is a code or a
unit on the allowlist below. The pages are those of the URL map that take no argument, plus
the pages of one commitment case (case, task, licence check) and one general case.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from licensing import create_app
from licensing.demo import load_all
from licensing.extensions import db
from tests.conftest import make_settings

ROLES = {
    "admin": "demo-admin-2026", "clerk": "demo-clerk-2026", "approver": "demo-approver-2026",
    "head": "demo-head-2026", "inspector": "demo-inspector-2026", "reform": "demo-reform-2026",
    "applicant": "demo-applicant-2026",
}

#: Codes and units that are not English: formats, units, scheme names, identifiers' letters.
ALLOWED = {
    "PDF", "XLSX", "CSV", "JSON", "YAML", "SHA", "MB", "KB", "JPG", "JPEG", "PNG", "WEBP",
    "QR", "API", "URL", "ID", "HTTP", "HTTPS", "SL", "XZSPJ", "XK", "WJ", "CS", "OK",
    "A", "B", "C", "D", "X", "GB", "ISO", "UTC", "CST", "SM", "SQLITE", "POSTGRESQL",
}
WORD = re.compile(r"[A-Za-z][A-Za-z']+")
#: Things that carry letters but are data: codes like XK-WJ-001, SL2026-000001, credit codes,
#: hashes, dates, e-mail addresses and paths.
DATA = re.compile(
    r"[A-Z0-9]{2,}(?:-[A-Z0-9]+)+"  # XK-WJ-001, XZSPJ-2026-000001, SL2026-000001
    r"|\b[0-9A-Z]{18}\b"  # unified social credit codes, ID numbers
    r"|\b[0-9a-f]{8,}\b"  # hashes
    r"|\b[a-z0-9]+(?:_[a-z0-9]+)+\b"  # identifiers: error codes, table names
    r"|\S+@\S+|/\S+|\b[\w.-]+/[\w./-]+|\bv?\d[\w.]*"  # e-mails, paths, numbers
)


class _Visible(HTMLParser):
    SKIP = frozenset({"script", "style", "code", "pre", "svg"})
    ATTRS = frozenset({"placeholder", "title", "alt", "aria-label"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1
        for name, value in attrs:
            if name in self.ATTRS and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth and data.strip():
            self.texts.append(data.strip())


def english_words(html: str) -> list[str]:
    """Return the English words in the visible text of a page."""
    parser = _Visible()
    parser.feed(html)
    found = []
    for text in parser.texts:
        for word in WORD.findall(DATA.sub(" ", text)):
            if word.upper() not in ALLOWED:
                found.append(f"{word} ← {text[:80]}")
    return found


def test_the_detector_finds_english_and_spares_codes():
    assert english_words("<p>Field cannot be longer than 200 characters.</p>")
    assert english_words('<input placeholder="Search">')
    assert not english_words("<p>事项 XK-WJ-001，许可证号 XZSPJ-2026-000001，5 MB 以内的 PDF</p>")
    assert not english_words("<p>受理编号 SL2026-000012</p><script>var x = 'hello';</script>")
    assert not english_words("<code>letter_changed</code><pre>Any text</pre>")


def _demo_cases() -> dict[str, str]:
    """One licensed commitment case and one accepted general case; return their paths."""
    from licensing.applicants.services import get_or_create_applicant
    from licensing.auth.models import User
    from licensing.calendar.services import sync_official_data
    from licensing.cases import services as cases
    from licensing.cases.models import Channel, Decision, Track
    from licensing.catalogue.models import ItemVersion, VersionStatus
    from tests.case_factories import enterprise_code

    sync_official_data()
    clerk = db.session.scalar(select(User).where(User.username == "clerk"))
    approver = db.session.scalar(select(User).where(User.username == "approver"))
    version = next(v for v in db.session.scalars(select(ItemVersion).where(
        ItemVersion.status == VersionStatus.published)) if v.code == "XK-WJ-001")
    who = get_or_create_applicant("enterprise", enterprise_code(4343), "定州市巡检示例有限公司",
                                  "13900000000")
    application = cases.start_application(version, who, Channel.counter, actor=clerk,
                                          business_address="定州市中山路 1 号")
    cases.give_notice(application)
    cases.choose_track(application, Track.commitment)
    cases.set_commitments(application, {m.code: (m.allowed_modes[0].value if m.allowed_modes
                                                 else None) for m in version.materials})
    text = cases.letter_text(application)
    cases.sign_letter(application, "王经理", cases.letter_digest(text), Channel.counter,
                      actor=clerk)
    result = cases.decide(application, Decision.approve, approver)
    general = cases.start_application(version, who, Channel.counter, actor=clerk)
    cases.give_notice(general)
    cases.choose_track(general, Track.general)
    cases.accept_general(general, [m.code for m in version.materials], actor=clerk)
    db.session.commit()
    return {
        "case": f"/applications/{application.public_id}",
        "general": f"/applications/{general.public_id}",
        "task": f"/supervision/tasks/{result.task.id}",
        "verify": f"/verify/{result.licence.verify_token}",
    }


@pytest.fixture(scope="module")
def walker(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("walk")
    app = create_app(make_settings(f"sqlite:///{tmp / 'walk.db'}", tmp))
    with app.app_context():
        db.create_all()
        load_all()
        paths = _demo_cases()
    yield app, paths


def _pages(app, extra: dict[str, str]) -> list[str]:
    pages = set(extra.values())
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        path = rule.rule
        if path.startswith("/api/") or path.endswith((".xlsx", ".pdf", ".json", ".txt",
                                                     ".csv", ".yaml")):
            continue
        pages.add(path)
    return sorted(pages)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_no_english_on_any_page(walker, role):
    app, extra = walker
    client = app.test_client()
    response = client.post("/login", data={"username": role, "password": ROLES[role]})
    assert response.status_code == 302
    problems = {}
    for path in _pages(app, extra):
        response = client.get(path)
        if response.status_code >= 500:
            problems[path] = [f"HTTP {response.status_code}"]
            continue
        if response.status_code in (301, 302, 303) or response.mimetype != "text/html":
            continue  # a redirect's body is never shown
        words = english_words(response.get_data(as_text=True))
        if words:
            problems[path] = words[:5]
    assert not problems, "\n".join(f"{path}: {word}" for path, words in problems.items()
                                    for word in words)
