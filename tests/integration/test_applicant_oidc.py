"""Online applicants: sign-in through the (fake) identity platform over real HTTP, linking an
account to a company with proof, and seeing only the linked company's cases."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from config.settings import ConfigurationError, Settings
from licensing import create_app
from licensing.applicants.models import Applicant, ApplicantLink, LinkBasis
from licensing.audit.models import AuditEntry
from licensing.auth.models import OidcIdentity, Role, User
from licensing.cases.models import Application
from licensing.extensions import db
from tests.case_factories import calendar_loaded, published_item
from tests.conftest import make_settings
from tests.credit_fake_platform import enterprise_code
from tests.factories import create_test_user, login_as
from tests.oidc_fake_idp import idp_settings, new_person, through_idp


@pytest.fixture
def oidc_app(app, database_url, tmp_path, fake_idp):
    """An application with the sign-in enabled against the fake, on the test database."""
    fake_idp.mode = "normal"
    application = create_app(make_settings(database_url, tmp_path, **idp_settings(fake_idp)))
    with application.app_context():
        yield application
        db.session.rollback()
        db.session.remove()


def _audits(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_authorization_request_uses_pkce_state_and_nonce(oidc_app, fake_idp):
    new_person(fake_idp)
    response = oidc_app.test_client().get("/login/oidc")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{fake_idp.issuer}/authorize?")
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert "openid" in query["scope"][0].split()


def test_first_sign_in_creates_an_applicant_account_and_logs_in(oidc_app, fake_idp):
    person = new_person(fake_idp, name="李四")
    client = oidc_app.test_client()
    response = through_idp(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/companies")
    identity = db.session.scalar(select(OidcIdentity).where(
        OidcIdentity.subject == person["subject"]))
    assert identity.issuer == fake_idp.issuer
    assert identity.id_number == person["id_number"]
    user = db.session.get(User, identity.user_id)
    assert user.role == Role.applicant and user.display_name == "李四"
    page = client.get("/account/companies").get_data(as_text=True)
    assert "李四" in page and "还没有关联企业" in page
    assert person["id_number"] not in page  # masked
    assert _audits("user.logged_in")
    # the second sign-in finds the same account
    client.post("/logout")
    through_idp(client)
    assert db.session.scalar(select(db.func.count()).select_from(OidcIdentity)) == 1


def test_the_account_cannot_log_in_with_a_password(oidc_app, fake_idp):
    new_person(fake_idp)
    through_idp(oidc_app.test_client())
    user = db.session.scalar(select(User).where(User.username.like("oidc-%")))
    response = oidc_app.test_client().post("/login", data={"username": user.username,
                                                           "password": "!oidc"})
    assert response.status_code == 200 and "/logout" not in response.get_data(as_text=True)


def test_the_account_has_no_password_to_change(oidc_app, fake_idp):
    new_person(fake_idp)
    client = oidc_app.test_client()
    through_idp(client)
    assert "修改密码" not in client.get("/account/companies").get_data(as_text=True)
    response = client.get("/account/password")
    assert response.status_code == 302


@pytest.mark.parametrize("mode", ["bad_signature", "wrong_nonce", "wrong_audience", "expired"])
def test_an_id_token_that_fails_verification_logs_nobody_in(oidc_app, fake_idp, mode):
    new_person(fake_idp)
    fake_idp.mode = mode
    client = oidc_app.test_client()
    response = through_idp(client)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "身份凭证无法验证" in body
    assert db.session.scalar(select(db.func.count()).select_from(OidcIdentity)) == 0
    assert [a.changes["code"] for a in _audits("user.oidc_failed")] == ["oidc_invalid_token"]
    assert client.get("/account/companies").status_code == 302  # still anonymous


def test_refusal_at_the_platform_is_explained(oidc_app, fake_idp):
    new_person(fake_idp)
    response = through_idp(oidc_app.test_client(), decision="deny")
    assert response.status_code == 400
    assert "取消了授权" in response.get_data(as_text=True)
    assert [a.changes["code"] for a in _audits("user.oidc_failed")] == ["oidc_denied"]


def test_a_callback_with_a_foreign_state_is_refused(oidc_app, fake_idp):
    new_person(fake_idp)
    client = oidc_app.test_client()
    client.get("/login/oidc")  # this browser's state is another one
    response = client.get("/login/oidc/callback?code=abc&state=forged")
    assert response.status_code == 400
    assert "不是从本系统发起" in response.get_data(as_text=True)
    assert [a.changes["code"] for a in _audits("user.oidc_failed")] == ["oidc_bad_state"]


def test_claims_without_a_valid_id_number_are_refused(oidc_app, fake_idp):
    fake_idp.set_person("sub-x", "张三", "123456789012345678")
    response = through_idp(oidc_app.test_client())
    assert response.status_code == 400
    assert "身份证号码" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 0


def test_platform_down_is_a_clear_page_and_audited(app, database_url, tmp_path):
    settings = make_settings(database_url, tmp_path, oidc_enabled=True,
                             oidc_discovery_url="http://127.0.0.1:9/.well-known/openid-"
                                                "configuration",
                             oidc_client_id="x", oidc_client_secret="y", oidc_timeout_s=0.5)
    down = create_app(settings)
    with down.app_context():
        response = down.test_client().get("/login/oidc")
        assert response.status_code == 503
        assert "暂时无法访问" in response.get_data(as_text=True)
        assert [a.changes["code"] for a in _audits("user.oidc_failed")] == ["oidc_unavailable"]


def test_disabled_sign_in_is_a_404_and_the_login_page_has_no_button(client):
    assert client.get("/login/oidc").status_code == 404
    assert "统一身份认证登录" not in client.get("/login").get_data(as_text=True)


def test_production_refuses_an_incomplete_configuration(tmp_path):
    base = {"LICENSING_ENV": "production", "SECRET_KEY": "9f8e7d6c5b4a39281706f5e4d3c2b1a0" * 2,
            "DATABASE_URL": "postgresql://db/x", "RATELIMIT_STORAGE_URI": "redis://r:6379/0",
            "LICENSING_INSTANCE_DIR": str(tmp_path), "OIDC_ENABLED": "1"}
    with pytest.raises(ConfigurationError, match="OIDC_CLIENT_SECRET"):
        Settings.from_env({**base, "OIDC_DISCOVERY_URL": "https://idp/.well-known/x",
                           "OIDC_CLIENT_ID": "c"})
    with pytest.raises(ConfigurationError, match="https"):
        Settings.from_env({**base, "OIDC_DISCOVERY_URL": "http://idp/.well-known/x",
                           "OIDC_CLIENT_ID": "c", "OIDC_CLIENT_SECRET": "s"})
    settings = Settings.from_env({**base, "OIDC_DISCOVERY_URL": "https://idp/.well-known/x",
                                  "OIDC_CLIENT_ID": "c", "OIDC_CLIENT_SECRET": "s"})
    assert settings.oidc_enabled and settings.oidc_client_id == "c"


# --- linking ---------------------------------------------------------------------------------


def _signed_in(oidc_app, fake_idp, **person_args):
    person = new_person(fake_idp, **person_args)
    client = oidc_app.test_client()
    assert through_idp(client).status_code == 302
    return client, person


def test_legal_representative_links_the_company_the_platform_asserts(oidc_app, fake_idp):
    client, person = _signed_in(oidc_app, fake_idp, represents=801)
    code = person["companies"][0]["code"]
    page = client.get("/account/companies").get_data(as_text=True)
    assert "关联该企业" in page and code in page
    response = client.post("/account/companies/link", data={"code": code})
    assert response.status_code == 302
    applicant = db.session.scalar(select(Applicant).where(Applicant.code == code))
    link = db.session.scalar(select(ApplicantLink).where(ApplicantLink.applicant_id
                                                         == applicant.id))
    assert link.basis == LinkBasis.legal_representative and link.active
    assert applicant.user_id == link.user_id
    assert applicant.legal_representative == person["name"]
    assert _audits("applicant.link_created")


def test_a_company_the_platform_does_not_assert_cannot_be_self_linked(oidc_app, fake_idp):
    client, _ = _signed_in(oidc_app, fake_idp, represents=802)
    other = enterprise_code(803)
    response = client.post("/account/companies/link", data={"code": other},
                           follow_redirects=True)
    assert "未确认您是该企业的法定代表人" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(ApplicantLink)) == 0


def test_counter_links_on_an_authorisation_and_can_revoke(oidc_app, fake_idp):
    applicant_client, person = _signed_in(oidc_app, fake_idp)
    clerk = create_test_user(Role.clerk)
    counter = oidc_app.test_client()
    login_as(counter, clerk)
    code = enterprise_code(804)
    refused = counter.post("/applicant-links", data={
        "id_number": person["id_number"], "credit_code": code, "company_name": "代理示例有限公司",
        "evidence": "  "})
    assert "核验的授权材料" in refused.get_data(as_text=True)
    unknown = counter.post("/applicant-links", data={
        "id_number": "110101199003077777", "credit_code": code,
        "company_name": "代理示例有限公司", "evidence": "授权委托书"})
    assert unknown.status_code == 200
    response = counter.post("/applicant-links", data={
        "id_number": person["id_number"].lower(), "credit_code": code,
        "company_name": "代理示例有限公司",
        "evidence": "授权委托书（2026-11-18，法定代表人赵六签字盖章），身份证原件已核对"})
    assert response.status_code == 302
    link = db.session.scalar(select(ApplicantLink))
    assert link.basis == LinkBasis.authorisation and link.created_by_id == clerk.id
    assert "授权委托书" in applicant_client.get("/account/companies").get_data(as_text=True)
    assert _audits("applicant.link_checked")

    # a second account cannot take the company over silently
    _other_client, other = _signed_in(oidc_app, fake_idp, name="钱七")
    taken = counter.post("/applicant-links", data={
        "id_number": other["id_number"], "credit_code": code, "company_name": "代理示例有限公司",
        "evidence": "授权委托书"})
    assert "已关联其他网上账号" in taken.get_data(as_text=True)

    assert counter.post(f"/applicant-links/{link.id}/revoke", data={"reason": ""}
                        ).status_code == 302
    db.session.expire_all()
    assert db.session.get(ApplicantLink, link.id).active
    counter.post(f"/applicant-links/{link.id}/revoke", data={"reason": "委托期满"})
    db.session.expire_all()
    link = db.session.get(ApplicantLink, link.id)
    assert not link.active and link.revoke_reason == "委托期满"
    assert link.applicant.user_id is None
    assert _audits("applicant.link_revoked")


def test_an_applicant_sees_and_files_only_for_the_linked_company(oidc_app, fake_idp):
    calendar_loaded()
    version = published_item()
    client, person = _signed_in(oidc_app, fake_idp, represents=805)
    assert "去关联企业" in client.get("/applications/new").get_data(as_text=True)
    code = person["companies"][0]["code"]
    form = {"item_code": version.code, "applicant_kind": "enterprise", "applicant_code": code,
            "applicant_name": "随便填的名称"}
    denied = client.post("/applications/new", data={**form, "submission_token": "t1"})
    assert denied.status_code == 200 and "去关联企业" in denied.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(Application)) == 0

    client.post("/account/companies/link", data={"code": person["companies"][0]["code"]})
    other = {**form, "applicant_code": enterprise_code(806)}
    wrong = client.post("/applications/new", data={**other, "submission_token": "t0"})
    assert "已关联的企业" in wrong.get_data(as_text=True)
    response = client.post("/applications/new", data={**form, "submission_token": "t2"})
    assert response.status_code == 302
    own = db.session.scalar(select(Application))
    assert own.applicant.code == person["companies"][0]["code"]
    assert own.case_number in client.get("/applications").get_data(as_text=True)

    # someone else's case: 404
    clerk = create_test_user(Role.clerk)
    counter = oidc_app.test_client()
    login_as(counter, clerk)
    counter.post("/applications/new", data={
        "item_code": version.code, "applicant_kind": "enterprise",
        "applicant_code": enterprise_code(806), "applicant_name": "别家有限公司",
        "submission_token": "t3"})
    theirs = db.session.scalar(select(Application).where(Application.id != own.id))
    assert client.get(f"/applications/{theirs.public_id}").status_code == 404
    assert theirs.case_number not in client.get("/applications").get_data(as_text=True)
