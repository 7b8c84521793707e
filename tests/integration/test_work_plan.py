"""One test per point where the system departed from the work plan (issue 15).

Each test is named after the policy sentence it enforces; the sentence itself is quoted in the
docstring. The finer cases of each point live beside the domain's own tests.
"""

from __future__ import annotations

import base64
import hashlib
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

import licensing.cases.jobs
import licensing.supervision.jobs
import licensing.supplements.jobs  # noqa: F401
from licensing import clock
from licensing.audit.models import AuditEntry
from licensing.auth.models import Role
from licensing.calendar import services as calendar
from licensing.calendar.models import CalendarRecomputeEvent
from licensing.cases import services as cases
from licensing.cases.models import Channel, Decision, SignerCapacity
from licensing.cases.models import Track as CaseTrack
from licensing.cases.signals import licence_credit_barred
from licensing.catalogue.content import DUAL_TRACK_MESSAGE, letter_template_problems
from licensing.catalogue.demo import DEMO_FILE
from licensing.catalogue.errors import (
    CatalogueImportFailed,
    ExclusionsMismatch,
    ExclusionsUnconfirmed,
    VersionIncomplete,
)
from licensing.catalogue.importer import import_catalogue
from licensing.catalogue.models import Exclusion, Track, VerificationRule
from licensing.catalogue.services import create_item, publication_problems, publish_version
from licensing.credit.jobs import credit_recheck
from licensing.credit.models import (
    CreditRecheck,
    CreditRecord,
    CreditRecordType,
    CreditSource,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    RecheckStatus,
)
from licensing.credit.outbox import deliver_pending
from licensing.credit.platform import set_platform
from licensing.credit.rechecks import pending_rechecks
from licensing.credit.services import (
    check_eligibility,
    file_objection,
    mark_repaired,
    resolve_objection,
    sampling_ratio,
)
from licensing.enforcement.models import BreachCase, BreachOrigin, Finding
from licensing.errors import ValidationFailed
from licensing.extensions import db
from licensing.jobs.builtin import deadline_recomputed_notices
from licensing.notifications.models import Notification
from licensing.reports.dashboards import approver_queue
from licensing.reports.services import build_monthly_report
from licensing.supervision import services as supervision
from licensing.supervision.models import VerificationTask
from licensing.supervision.sampling import draw_routine_sample, sampling_frame
from licensing.supervision.services import open_routine_inspections, record_routine_result
from licensing.supervision.signals import inspection_found_breach
from licensing.uploads import store_upload, stored_path
from tests.case_factories import applicant, calendar_loaded
from tests.case_factories import published_item as case_item
from tests.catalogue_factories import LETTER, answered, content, draft_item
from tests.credit_fake_platform import credit_record
from tests.factories import create_test_user, departments, login_as
from tests.integration.test_api import ApiClient
from tests.integration.test_calendar import TEST_NOTICE_2027
from tests.work_plan_helpers import COMMIT_MODES, MemoryPlatform, licensed, staff


def test_applicants_unwilling_or_unable_to_commit_go_the_general_way(session):
    """申请人不愿承诺或者无法承诺的，应当提交法定申请材料，按照一般程序办理。

    A commitment-only item is refused on import, on publish and by the database.
    """
    departments()
    session.commit()
    text = DEMO_FILE.read_text(encoding="utf-8").replace(
        "    tracks: [general, commitment]", "    tracks: [commitment]", 1)
    with pytest.raises(CatalogueImportFailed) as refused:
        import_catalogue(text, publish=True, exclusions_confirmed=True)
    assert any(DUAL_TRACK_MESSAGE in problem for problem in refused.value.errors)
    session.rollback()

    with pytest.raises(VersionIncomplete) as incomplete:
        create_item("T-DUAL-1", content(tracks=(Track.commitment,)))
    assert DUAL_TRACK_MESSAGE in str(incomplete.value.problems[0])

    version = draft_item()
    version.offers_general = False  # as a console session or a bug would
    with db.session.no_autoflush:
        assert DUAL_TRACK_MESSAGE in [p.message for p in publication_problems(version)]
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    session.rollback()


@pytest.fixture
def platform(app):
    fake = MemoryPlatform()
    set_platform(app, fake)
    yield fake
    set_platform(app, None)


def test_no_discriminatory_supervision_of_commitment_track_licensees(session, platform):
    """不得对通过告知承诺制方式办理的企业和群众采取歧视性监管措施。

    Every applicant's credit is checked at intake, whatever the track: two licensees with the
    same records get the same risk level and sampling rate, and a general-track licensee with a
    serious record known only to the platform is level D.
    """
    calendar_loaded()
    clerk, approver = staff()
    version = case_item()
    penalty = (CreditRecordType.administrative_penalty, date(2026, 5, 1))
    pairs = {"A": (), "B": (penalty,)}
    holders = {}
    for level, records in pairs.items():
        for track in (CaseTrack.general, CaseTrack.commitment):
            holder = applicant()
            platform.add(holder.code, *records)
            licensed(version, holder, track, clerk=clerk, approver=approver)
            holders[(level, track)] = holder
    barred = applicant()
    platform.add(barred.code, (CreditRecordType.serious_dishonesty, date(2026, 1, 5)))
    application = licensed(version, barred, CaseTrack.general, clerk=clerk, approver=approver)
    session.commit()

    assert application.credit_check is not None and application.credit_check.eligible is False
    frame = {lic.applicant_id: lic.risk_level
             for lic in sampling_frame(version.supervisory_department_id)}
    for level in pairs:
        general, commitment = holders[(level, CaseTrack.general)], holders[
            (level, CaseTrack.commitment)]
        assert general.risk_level == commitment.risk_level == level
        assert frame[general.id] == frame[commitment.id] == level
        assert sampling_ratio(general.risk_level) == sampling_ratio(commitment.risk_level)
    assert barred.risk_level == frame[barred.id] == "D"
    assert sampling_ratio(barred.risk_level) == Decimal("1.00")


#: The made-up 2027 notice, with Sunday 2027-09-26 a make-up working day for National Day.
NOTICE_2027_MAKEUP_SUNDAY = TEST_NOTICE_2027.replace(
    "  - name: 国庆节\n    start: 2027-10-01\n    end: 2027-10-05\n",
    "  - name: 国庆节\n    start: 2027-10-01\n    end: 2027-10-05\n"
    "    makeup_days: [2027-09-26]\n")


def test_deadlines_given_in_writing_never_move_against_the_person(session):
    """书面告知的期限（决定书、整改通知书载明的日期）不因节假日安排通知而对当事人不利地提前。

    A rectification due Monday 2027-09-27 stays due that day when the notice makes Sunday
    2027-09-26 a make-up working day; the administration's own verification deadline moves
    earlier, as the calendar says; both keep their provenance and their people are told.
    """
    assert "makeup_days: [2027-09-26]" in NOTICE_2027_MAKEUP_SUNDAY
    calendar_loaded()
    clerk, approver = staff()
    inspector = create_test_user(Role.inspector, "wsjkj")
    with clock.freeze(datetime(2027, 9, 20, 2, tzinfo=UTC)):  # Monday 10:00 in Shanghai
        version = case_item(rule=VerificationRule.public_interest, working_days=7)
        application = licensed(version, applicant(), CaseTrack.commitment, clerk=clerk,
                               approver=approver)
        other = licensed(version, applicant(), CaseTrack.commitment, clerk=clerk,
                         approver=approver)
        task, open_task = (session.scalars(sa.select(VerificationTask).where(
            VerificationTask.licence_id == a.licence.id)).one() for a in (application, other))
        assert task.verification_due_on == date(2027, 9, 29)
        supervision.record_result(task, "nonconform", "场所与平面图不符", date(2027, 9, 20),
                                  actor=inspector)
        order = supervision.order_rectification(task, date(2027, 9, 27), requirements="整改",
                                                actor=inspector)
        objection = file_objection(credit_record(application.applicant, "administrative_penalty"),
                                   "处罚已被复议撤销")
        session.commit()
    objection_due_before = objection.due_on
    assert order.rectification_due_on == date(2027, 9, 27)

    calendar.import_notice(calendar.read_notice_file(NOTICE_2027_MAKEUP_SUNDAY))
    session.commit()
    session.expire_all()

    assert order.rectification_due_on == date(2027, 9, 27)  # held: it binds the licensee
    assert order.rectification_deadline.provisional is False
    assert order.rectification_calendar_version == calendar.current_version()
    held = session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "deadline.recomputed",
        AuditEntry.object_type == "rectification")).one()
    assert held.changes["held"]["computed_due_on"] == "2027-09-26"
    event = session.scalars(sa.select(CalendarRecomputeEvent).where(
        CalendarRecomputeEvent.object_type == "rectification")).one()
    assert (event.old_due_on, event.new_due_on, event.computed_due_on) == (
        date(2027, 9, 27), date(2027, 9, 27), date(2027, 9, 26))
    # The inspectors' own deadline follows the calendar either way: one day earlier.
    assert open_task.verification_due_on == date(2027, 9, 28)
    assert open_task.verification_deadline.calendar_version == calendar.current_version()

    # Deciding an objection binds the administration: recomputed too, with its provenance.
    assert objection.due_on == calendar.due(date(2027, 9, 20), 15).due_on != objection_due_before
    assert objection.due_calendar_version == calendar.current_version()
    assert session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "deadline.recomputed",
        AuditEntry.object_type == "credit_objection")).one()
    assert deadline_recomputed_notices(datetime(2027, 9, 21, 1, tzinfo=UTC)) >= 2
    told = session.scalars(sa.select(Notification).where(
        Notification.object_type == "rectification")).all()
    assert told and "仍为 2027-09-27" in told[0].body


def _signed(version, clerk):
    application = cases.start_application(version, applicant(), Channel.online, actor=clerk)
    cases.give_notice(application)
    cases.require_eligible(cases.choose_track(application, CaseTrack.commitment))
    cases.set_commitments(application, COMMIT_MODES)
    text = cases.letter_text(application)
    cases.sign_letter(application, "张三", cases.letter_digest(text), Channel.online)
    return application


def _at(day: int, hour: int = 10):
    """An instant of November 2026, local time (UTC+8)."""
    return clock.freeze(datetime(2026, 11, day, hour - 8, tzinfo=UTC))


def test_approval_on_the_spot_is_made_the_day_the_letter_is_signed(session):
    """申请人符合适用告知承诺的情形……行政审批实施部门应当当场作出行政许可决定。

    Only a decision on the working day the letter was signed (the first working day after, for
    a letter signed on a day off) counts as on the spot; the report gives both figures and the
    approvers see what waits, oldest first, with how long it has waited.
    """
    calendar_loaded()
    clerk, approver = staff()
    with _at(18, 9):  # Wednesday
        version = case_item()
        same_day, next_day, waiting = (_signed(version, clerk) for _ in range(3))
    with _at(18, 17):
        cases.decide(same_day, Decision.approve, approver)
    with _at(19):
        cases.decide(next_day, Decision.approve, approver)
    with _at(21):  # Saturday, online
        weekend = _signed(version, clerk)
    with _at(23):  # Monday: the first working day after the signing
        cases.decide(weekend, Decision.approve, approver)
        session.commit()
        queue = approver_queue(approver)
        assert [a.id for a in queue.oldest_waiting] == [waiting.id]
        assert queue.waited(waiting) == "5天1小时"

    assert (same_day.decided_on_the_spot, next_day.decided_on_the_spot,
            weekend.decided_on_the_spot) == (True, False, True)
    figures = build_monthly_report("2026-11").totals
    assert figures["approved_on_the_spot"] == 2
    assert figures["approved_later"] == 1


def test_applicants_who_do_not_qualify_are_told_in_writing(client, session):
    """对不符合适用条件的，应当告知申请人。

    A refused applicant gets a written notice (不适用告知承诺制告知书, PDF) with the reasons,
    how to repair the record and the general track offered; it is recorded on the case.
    """
    calendar_loaded()
    clerk, _approver = staff()
    version = case_item()
    refused = applicant()
    credit_record(refused, CreditRecordType.serious_dishonesty, issuer="市市场监督管理局")
    application = cases.start_application(version, refused, Channel.counter, actor=clerk)
    cases.give_notice(application)
    choice = cases.choose_track(application, CaseTrack.commitment)
    session.commit()

    assert not choice.eligible
    [notice] = application.ineligibility_notices
    assert notice.credit_check_id == application.credit_check_id
    assert any("严重失信" in reason for reason in notice.reasons)
    assert any("市市场监督管理局申请信用修复" in line for line in notice.repair_guidance)
    assert "一般程序" in notice.general_track and "《场所平面图》" in notice.general_track
    assert session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "application.ineligibility_notice_issued")).one()

    login_as(client, clerk)
    page = client.get(f"/applications/{application.public_id}").get_data(as_text=True)
    assert "不适用告知承诺制告知书" in page
    pdf = client.get(f"/applications/{application.public_id}/ineligibility/{notice.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    notice.reasons = ["改写"]
    with pytest.raises(ValueError):
        session.flush()
    session.rollback()


def _ready_to_sign(version, clerk, who):
    application = cases.start_application(version, who, Channel.counter, actor=clerk)
    cases.give_notice(application)
    cases.require_eligible(cases.choose_track(application, CaseTrack.commitment))
    cases.set_commitments(application, COMMIT_MODES)
    return application, cases.letter_digest(cases.letter_text(application))


#: A tiny PDF: what an agent's scanned power of attorney starts with.
ATTORNEY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_the_commitment_is_signed_by_the_applicant_or_its_authorised_agent(app, session):
    """申请人自愿作出……书面承诺；统一使用省行业主管部门制定的告知承诺书。

    The signer's capacity is recorded with a checked ID number: a company's legal
    representative or an agent with a power of attorney, a person or their agent; the letter
    shows it; a v1 API client that omits it gets the default, and the letter says so. A letter
    template without the item, conditions, materials, consequences, signer and date is refused.
    """
    calendar_loaded()
    clerk, _approver = staff()
    version = case_item()
    company = applicant()
    application, digest = _ready_to_sign(version, clerk, company)
    for capacity, id_number, code in (
            ("legal_representative", None, "signer_id_required"),
            ("legal_representative", "110105194912310021", "signer_id_invalid"),
            ("self", "11010519491231002X", "signer_capacity_invalid"),
            ("agent", "11010519491231002X", "power_of_attorney_required")):
        with pytest.raises(ValidationFailed) as refused:
            cases.sign_letter(application, "随便谁", digest, Channel.counter,
                              capacity=capacity, signer_id_number=id_number)
        assert refused.value.code == code
    # a description alone is not the material: the power of attorney is an uploaded file
    with pytest.raises(ValidationFailed) as refused:
        cases.sign_letter(application, "赵六", digest, Channel.counter, capacity="agent",
                          signer_id_number="11010519491231002X",
                          power_of_attorney="授权委托书（2026-11-18 窗口收取原件）")
    assert refused.value.code == "power_of_attorney_required"
    attorney = store_upload(io.BytesIO(ATTORNEY_PDF), "授权委托书.pdf",
                            cases.POWER_OF_ATTORNEY_FOLDER)
    letter = cases.sign_letter(application, "赵六", digest, Channel.counter, capacity="agent",
                               signer_id_number="11010519491231002X",
                               power_of_attorney="授权委托书（2026-11-18 窗口收取原件）",
                               power_of_attorney_file=attorney)
    assert letter.signer_capacity == SignerCapacity.agent
    assert "赵六（委托代理人，身份证号码" in letter.text and "授权委托书" in letter.text
    assert letter.power_of_attorney_sha256 == hashlib.sha256(ATTORNEY_PDF).hexdigest()
    assert letter.power_of_attorney_file_name == "授权委托书.pdf"
    assert letter.power_of_attorney_sha256[:16] in letter.text  # the stored letter names it
    assert stored_path(cases.POWER_OF_ATTORNEY_FOLDER,
                       letter.power_of_attorney_stored_name).read_bytes() == ATTORNEY_PDF

    person = applicant("individual", name="李四")
    application, digest = _ready_to_sign(version, clerk, person)
    with pytest.raises(ValidationFailed) as refused:
        cases.sign_letter(application, "李四", digest, Channel.counter, capacity="self",
                          signer_id_number="11010519491231002X")
    assert refused.value.code == "signer_id_mismatch"
    letter = cases.sign_letter(application, "李四", digest, Channel.counter)
    assert (letter.signer_capacity, letter.signer_id_number, letter.capacity_defaulted) == (
        SignerCapacity.self, person.code, True)
    assert "按默认记为申请人本人" in letter.text
    session.commit()

    # API v1: a client that omits the capacity gets the enterprise default, said in the letter.
    api = ApiClient(app)
    token = api.token(clerk)
    answer = api.post("/applications", token=token, json={
        "item_code": version.code, "track": "commitment",
        "applicant": {"kind": "enterprise", "name": "定州市示例商贸有限公司",
                      "code": applicant().code},
        "commitments": [{"material_code": "M2", "mode": "supplement"}],
        "signature": {"signer_name": "张三"}},
        headers={"Idempotency-Key": "wp-sign-1"})
    assert answer.status_code == 201, answer.json
    letter = answer.json["letter"]
    assert letter["signer_capacity"] == "legal_representative" and letter["capacity_defaulted"]
    assert "按默认记为法定代表人（负责人）" in letter["text"]

    # API: an agent uploads the power of attorney in the request (Base64), checked like any
    # upload; without it, or with a file that is not a photo or PDF, the letter is refused.
    agent = {"signer_name": "赵六", "capacity": "agent", "id_number": "11010519491231002X"}
    body = {"item_code": version.code, "track": "commitment",
            "applicant": {"kind": "enterprise", "name": "定州市代理商贸有限公司",
                          "code": applicant().code},
            "commitments": [{"material_code": "M2", "mode": "supplement"}]}
    for n, (attached, code) in enumerate((
            (None, "power_of_attorney_required"),
            ({"filename": "a.txt", "content_base64": base64.b64encode(b"hello").decode()},
             "upload_refused"),
            ({"filename": "a.pdf", "content_base64": "%%%not base64"},
             "power_of_attorney_file_invalid"))):
        refused = api.post("/applications", token=token, json={
            **body, "signature": {**agent, "power_of_attorney_file": attached}},
            headers={"Idempotency-Key": f"wp-agent-refused-{n}"})
        assert refused.status_code == 422, refused.json
        assert refused.json["error"]["code"] == code
    answer = api.post("/applications", token=token, json={**body, "signature": {
        **agent, "power_of_attorney_file": {
            "filename": "委托书.pdf",
            "content_base64": base64.b64encode(ATTORNEY_PDF).decode()}}},
        headers={"Idempotency-Key": "wp-agent-1"})
    assert answer.status_code == 201, answer.json
    letter = answer.json["letter"]
    assert letter["signer_capacity"] == "agent" and letter["power_of_attorney"] == "委托书.pdf"
    assert letter["power_of_attorney_sha256"] == hashlib.sha256(ATTORNEY_PDF).hexdigest()

    for missing in ("{{ signer }}", "{{ breach_consequences }}", "{{ commitment_conditions }}"):
        problems = letter_template_problems(LETTER.replace(missing, ""), required=True)
        assert problems and missing.strip("{} ") in problems[0].message


def test_the_list_holds_low_risk_items_on_an_approved_list(app, session):
    """将风险可控、纠错成本低……不会产生严重危害后果的行政许可事项，纳入告知承诺制改革范围。
    直接涉及国家安全、国家秘密、公共安全……以及重要涉外等事项，不纳入改革范围。

    A commitment item records why it qualifies, the approval document of the list and the
    provincial letter its template follows; publishing without them is refused. An empty
    exclusion list is not a pass: the publisher answers each ground yes or no, and the
    answers are kept on the published version.
    """
    departments()
    session.commit()
    version = create_item("T-LIST-ASK", content())
    with pytest.raises(ExclusionsUnconfirmed) as refused:
        publish_version(version, date(2026, 11, 18))
    assert refused.value.details["unconfirmed"] == [g.value for g in Exclusion]
    for ground in Exclusion:
        assert f"“{ground.label}”" in refused.value.message
    with pytest.raises(ExclusionsUnconfirmed) as refused:
        publish_version(version, date(2026, 11, 18), exclusion_check={
            **answered(version), "state_secrets": None})
    assert "“直接涉及国家秘密”" in refused.value.message
    assert "国家安全" not in refused.value.message
    with pytest.raises(ExclusionsMismatch):
        publish_version(version, date(2026, 11, 18), exclusion_check={
            **answered(version), "national_security": True})
    session.rollback()

    # the API: the admin publishes, answering each ground; the answers come back and stay
    admin = create_test_user(Role.admin)
    api = ApiClient(app)
    token = api.token(admin)
    draft = create_item("T-LIST-API", content())
    session.commit()
    url = f"/items/{draft.code}/versions/1/publish"
    refused = api.post(url, token=token, json={"valid_from_on": "2026-11-18",
                                               "exclusion_check": {"national_security": False}})
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "exclusions_unconfirmed"
    assert "“直接涉及公共安全”" in refused.json["error"]["message"]
    answer = api.post(url, token=token, json={
        "valid_from_on": "2026-11-18",
        "exclusion_check": {g.value: False for g in Exclusion}})
    assert answer.status_code == 200, answer.json
    assert [a["applies"] for a in answer.json["exclusion_check"]] == [False] * len(Exclusion)
    rules = api.get(f"/items/{draft.code}?v=1").json
    assert {a["code"] for a in rules["exclusion_check"]} == {g.value for g in Exclusion}
    session.expire_all()
    assert draft.exclusion_check == {g.value: False for g in Exclusion}
    for missing in ("qualification_reasons", "list_approval_document", "letter_template_source"):
        version = create_item(f"T-LIST-{missing[:6]}", content(**{missing: ""}))
        with pytest.raises(VersionIncomplete) as refused:
            publish_version(version, date(2026, 11, 18), exclusion_check=answered(version))
        assert refused.value.problems[0].path == (missing,)
        session.rollback()
    version = create_item("T-LIST-OK", content())
    publish_version(version, date(2026, 11, 18), exclusion_check=answered(version))
    session.commit()
    assert version.list_approval_document == "定政办字〔2022〕96号"
    assert "风险可控" in version.qualification_reasons
    assert version.letter_template_source.startswith("河北省")


def test_credit_is_checked_on_the_sharing_platform_even_after_an_outage(app, session, platform):
    """行政审批实施部门通过信用信息共享平台核查其信用记录。

    A decision made while the platform was down goes into a re-check queue; the queue is
    worked as soon as the platform answers again; a re-check that finds the applicant barred
    tells the approval department and announces it for a breach case (origin credit_recheck).
    """
    calendar_loaded()
    clerk, approver = staff()
    version = case_item()
    barred, clean = applicant(), applicant()
    platform.add(barred.code, (CreditRecordType.serious_dishonesty, date(2026, 1, 5)))
    platform.down = True
    applications = {who.id: licensed(version, who, CaseTrack.commitment, clerk=clerk,
                                     approver=approver) for who in (barred, clean)}
    session.commit()
    assert all(a.credit_check.degraded for a in applications.values())
    assert [r.applicant_id for r in pending_rechecks()] == [barred.id, clean.id]

    # Still down: the job tries, notes the attempt, resolves nothing.
    assert credit_recheck(datetime(2026, 12, 1, 2, tzinfo=UTC)) == 0
    assert pending_rechecks()[0].attempts == 1

    told = []

    def listener(application, **kw):
        told.append((application.id, kw["licence"].number, kw["origin"], kw["reasons"]))

    licence_credit_barred.connect(listener)
    try:
        platform.down = False  # the platform answers again
        assert credit_recheck(datetime(2026, 12, 1, 2, 1, tzinfo=UTC)) == 2
    finally:
        licence_credit_barred.disconnect(listener)
    assert pending_rechecks() == []
    statuses = dict(session.execute(sa.select(CreditRecheck.applicant_id,
                                              CreditRecheck.status)).all())
    assert statuses == {barred.id: RecheckStatus.barred, clean.id: RecheckStatus.cleared}
    application = applications[barred.id]
    assert told == [(application.id, application.licence.number, "credit_recheck", told[0][3])]
    assert "严重失信" in told[0][3][0]
    notices = session.scalars(sa.select(Notification).where(
        Notification.kind == "application.credit_recheck_barred")).all()
    assert {n.user_id for n in notices} == {approver.id}
    assert barred.risk_level == "D"
    # the enforcement domain listens: a breach case for the supervisory department
    cases = session.scalars(sa.select(BreachCase)).all()
    assert [(c.licence_id, c.origin, c.finding) for c in cases] == [
        (application.licence.id, BreachOrigin.credit_recheck, Finding.breach)]
    assert cases[0].supervisory_department_id == version.supervisory_department_id


def test_credit_repair_and_objections_reach_the_sharing_platform(session, platform):
    """严格执行……告知承诺信用信息记录、信息推送、信用修复、异议处理工作机制。

    A repaired record and an upheld objection are pushed through the outbox to the platform,
    like the records themselves.
    """
    holder = applicant()
    repaired = credit_record(holder, CreditRecordType.administrative_penalty)
    platform.add(holder.code, (CreditRecordType.abnormal_operation, date(2026, 3, 1)))
    check_eligibility(holder)  # mirrors the platform's record
    mirrored = session.scalars(sa.select(CreditRecord).where(
        CreditRecord.applicant_id == holder.id,
        CreditRecord.source == CreditSource.platform)).one()
    mark_repaired(repaired, date(2026, 10, 1), "修复决定书〔2026〕12号")
    objection = file_objection(mirrored, "经营异常已移出名录")
    resolve_objection(objection, "upheld", "经核实，已移出经营异常名录")
    session.commit()

    kinds = dict(session.execute(sa.select(OutboxMessage.idempotency_key, OutboxMessage.kind)
                                 ).all())
    assert kinds == {f"record_repaired:{repaired.id}": OutboxKind.record_repaired,
                     f"objection_upheld:{objection.id}": OutboxKind.objection_upheld}
    deliver_pending(platform=platform)
    pushed = {kind: payload for kind, _key, payload in platform.pushed}
    assert pushed["record_repaired"]["details"]["repair_basis"] == "修复决定书〔2026〕12号"
    assert pushed["objection_upheld"]["ref"] == mirrored.external_ref
    assert pushed["objection_upheld"]["record_source"] == "platform"
    assert all(m.status == OutboxStatus.delivered
               for m in session.scalars(sa.select(OutboxMessage)))


def test_breaches_found_in_routine_supervision_are_acted_on(app, client, session):
    """行业监管部门在核查或日常监管中发现存在不实承诺或违反承诺情形的，责令其限期整改。

    The routine sampling draw puts routine inspection tasks in the inspectors' work; its seed
    is unpredictable and recorded after the draw, so the draw can be reproduced; a nonconform
    result announces a breach (origin routine_inspection).
    """
    calendar_loaded()
    clerk, approver = staff()
    inspector = create_test_user(Role.inspector, "wsjkj")
    version = case_item()
    holders = [applicant() for _ in range(4)]
    for holder in holders:
        licensed(version, holder, CaseTrack.general, clerk=clerk, approver=approver)
    session.commit()

    department = version.supervisory_department_id
    draw = draw_routine_sample(department, {"A": 1, "B": 1, "C": 1, "D": 1}, actor=inspector,
                               create_inspections=True)
    other = draw_routine_sample(department, {"A": "0.5", "B": "0.5", "C": 1, "D": 1})
    session.commit()
    assert len(draw.seed) == 32 and draw.seed != other.seed  # secrets, not the date
    inspections = open_routine_inspections(inspector)
    assert {i.applicant_id for i in inspections} == {h.id for h in holders}
    assert {i.draw_seed for i in inspections} == {draw.seed}
    audit = session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "routine_sample.drawn").order_by(AuditEntry.id)).first()
    assert audit.changes["seed"] == draw.seed
    replay = draw_routine_sample(department, {"A": "0.5", "B": "0.5", "C": 1, "D": 1},
                                 seed=other.seed)
    assert replay.applicant_ids == other.applicant_ids

    found = []

    def listener(inspection, **kw):
        found.append((inspection.id, kw["licence"].id, kw["origin"], kw["findings"]))

    inspection_found_breach.connect(listener)
    try:
        first, second = inspections[0], inspections[1]
        record_routine_result(first, "conform", "", date(2026, 11, 18), actor=inspector)
        # a nonconform result must be classified by the inspector: nothing is recorded without
        with pytest.raises(ValidationFailed) as refused:
            record_routine_result(second, "nonconform", "经营场所与许可不符",
                                  date(2026, 11, 18), actor=inspector)
        assert refused.value.code == "finding_required"
        assert second.checked_on is None
        record_routine_result(second, "nonconform", "经营场所与许可不符", date(2026, 11, 18),
                              actor=inspector, finding="false_commitment")
    finally:
        inspection_found_breach.disconnect(listener)
    assert found == [(second.id, second.licence_id, "routine_inspection", "经营场所与许可不符")]
    # the enforcement domain listens: a breach case on the general-track licence, classified
    # as the inspector said
    cases = session.scalars(sa.select(BreachCase)).all()
    assert [(c.licence_id, c.origin, c.facts, c.finding) for c in cases] == [
        (second.licence_id, BreachOrigin.routine_inspection, "经营场所与许可不符",
         Finding.false_commitment)]
    assert second.finding == "false_commitment"
    session.commit()

    # the page: the inbox opens each inspection; the result form asks for the classification
    login_as(client, inspector)
    page = client.get("/supervision/tasks").get_data(as_text=True)
    third = inspections[2]
    assert f'data-routine-id="{third.id}"' in page and draw.seed in page
    form = client.get(f"/supervision/routine/{third.id}").get_data(as_text=True)
    assert 'name="finding" type="radio" value="false_commitment"' in form
    assert "违诺性质" in form
    refused = client.post(f"/supervision/routine/{third.id}", data={
        "outcome": "nonconform", "checked_on": "2026-11-18", "findings": "未公示许可证"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "请选择违诺性质" in text
    assert "未公示许可证" in text  # what was typed comes back
    response = client.post(f"/supervision/routine/{third.id}", data={
        "outcome": "nonconform", "checked_on": "2026-11-18", "findings": "未公示许可证",
        "finding": "breach"})
    assert response.status_code == 302
    session.expire_all()
    assert session.scalar(sa.select(BreachCase).where(
        BreachCase.licence_id == third.licence_id)).finding == Finding.breach

    # the API: the inbox, and a result that must be classified too
    api = ApiClient(app)
    token = api.token(inspector)
    fourth = inspections[3]
    listed = api.get("/routine-inspections", token=token).json["inspections"]
    assert [i["id"] for i in listed] == [fourth.id] and listed[0]["draw_seed"] == draw.seed
    url = f"/routine-inspections/{fourth.id}/result"
    refused = api.post(url, token=token, json={
        "outcome": "nonconform", "findings": "超范围经营", "checked_on": "2026-11-18"})
    assert refused.status_code == 422 and refused.json["error"]["code"] == "finding_required"
    answer = api.post(url, token=token, json={
        "outcome": "nonconform", "findings": "超范围经营", "finding": "breach",
        "checked_on": "2026-11-18"})
    assert answer.status_code == 200, answer.json
    assert answer.json["finding"] == "breach" and answer.json["outcome"] == "nonconform"
    assert open_routine_inspections(inspector) == []
    session.expire_all()
    assert session.scalar(sa.select(BreachCase).where(
        BreachCase.licence_id == fourth.licence_id)).facts == "超范围经营"
