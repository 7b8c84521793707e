"""The online channel's intake in one request, made idempotent by the ``Idempotency-Key``.

``submit_application`` only sequences the case services the counter pages call step by step
(``licensing.cases.services``): start, one-time notice, track and credit check, commitments,
letter and signature; or, on the general track, acceptance with the statutory materials. It
adds no rule of its own. What it adds is idempotency:

* the answer (status and body) is stored in ``IdempotentResponse`` in the same transaction as
  the application, so it exists exactly when the application does;
* the same key again (per account) gets that answer back, and nothing new is created; the
  same key with another body is refused (``IdempotencyKeyReused``);
* concurrent requests with one key race on the unique ``applications.idempotency_key``: one
  inserts, the others wait for it on the unique index, fail, roll back, and replay the
  winner's answer (``replay_after_race``).

A credit refusal is an answer too (422 ``credit_ineligible``): it is stored, and committed by
the caller with the credit check evidence, before it is sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
from dataclasses import dataclass

from sqlalchemy import insert, select

from licensing.api import present, schemas
from licensing.api.errors import AcceptanceByStaff, ApplicantNotLinked, IdempotencyKeyReused
from licensing.api.models import IdempotentResponse
from licensing.applicants.identity import normalise_code
from licensing.applicants.services import applicants_of_user, get_or_create_applicant
from licensing.auth.models import Role
from licensing.cases import services
from licensing.cases.errors import CreditIneligible
from licensing.cases.models import Channel, Purpose, Track
from licensing.catalogue.services import current_version
from licensing.errors import ValidationFailed
from licensing.extensions import db
from licensing.uploads import StoredUpload, discard, store_upload

OPERATION = "create_application"


@dataclass(frozen=True)
class Answer:
    """What the API answers: a status, a JSON body, and whether it was replayed."""

    status: int
    body: dict
    replayed: bool = False


def request_fingerprint(body: schemas.ApplicationIn) -> str:
    """The SHA-256 of the request body in canonical form."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def application_key(user, key: str) -> str:
    """The application's idempotency key: the client's key, scoped to the account."""
    return f"api:{user.id}:{key}"


def stored_answer(user, key: str, fingerprint: str,
                  operation: str = OPERATION) -> Answer | None:
    """The answer already given to ``key`` by this account, if any."""
    stored = db.session.scalar(select(IdempotentResponse).where(
        IdempotentResponse.user_id == user.id, IdempotentResponse.key == key))
    if stored is None:
        return None
    if stored.operation != operation or stored.request_sha256 != fingerprint:
        raise IdempotencyKeyReused()
    return Answer(stored.status_code, dict(stored.body), replayed=True)


def _store(user, key: str, fingerprint: str, application, answer: Answer,
           operation: str = OPERATION) -> Answer:
    # Through Core: the row is only ever read back, by a later request with the key, so the
    # unit of work would only cost a flush here (issue 18).
    db.session.execute(_INSERT_ANSWER, {
        "user_id": user.id, "key": key, "operation": operation, "request_sha256": fingerprint,
        "status_code": answer.status, "body": answer.body, "application_id": application.id})
    return answer


_INSERT_ANSWER = insert(IdempotentResponse.__table__)


def _applicant_for(user, given: schemas.ApplicantIn):
    """The applicant: an applicant's own linked identity, or registered by staff."""
    if user.role == Role.applicant:
        code = normalise_code(given.code)
        for own in applicants_of_user(user):
            if own.kind.value == given.kind and own.code == code:
                return own
        raise ApplicantNotLinked()
    return get_or_create_applicant(given.kind, given.code, given.name, given.phone, actor=user,
                                   legal_representative=given.legal_representative,
                                   address=given.address)


def submit_application(user, body: schemas.ApplicationIn, key: str) -> Answer:
    """Run the whole intake for ``body``; return the answer, stored under ``key``.

    Raises a ``DomainError`` (nothing stored, the caller rolls back) for anything refused
    before an answer exists; ``sqlalchemy.exc.IntegrityError`` when a concurrent request with
    the same key won the race (see ``replay_after_race``).
    """
    fingerprint = request_fingerprint(body)
    replay = stored_answer(user, key, fingerprint)
    if replay is not None:
        return replay
    codes = [c.material_code for c in body.commitments]
    if len(codes) != len(set(codes)):
        raise ValidationFailed("同一材料只能选择一种承诺方式。", code="duplicate_commitment")
    if body.track == "general" and body.materials_received is not None and (
            user.role == Role.applicant):
        raise AcceptanceByStaff()
    version = current_version(body.item_code)
    applicant = _applicant_for(user, body.applicant)
    # The key has no stored answer (above), so no application: the answer and the
    # application are written in one transaction. A concurrent request with the same key
    # fails on the unique index and replays this one's answer (replay_after_race).
    application = services.start_application(
        version, applicant, Channel.online, actor=user,
        idempotency_key=application_key(user, key), licensed_scope=body.licensed_scope,
        key_known_unused=True)

    # The API caller attests that the one-time notice was given (docs/api.md).
    services.give_notice(application)
    choice = services.choose_track(application, Track(body.track))
    if not choice.eligible:
        refusal = CreditIneligible(choice.reasons)
        return _store(user, key, fingerprint, application, Answer(422, {"error": {
            "code": refusal.code, "message": refusal.message, "reasons": choice.reasons}}))
    if body.track == "commitment":
        services.set_commitments(application,
                                 {c.material_code: c.mode for c in body.commitments})
        _sign(application, body.signature, user)
    elif body.materials_received is not None:
        services.accept_general(application, list(body.materials_received))
    # The answer is built from the objects of this transaction: every step above kept them
    # current, so a refresh would only read back what is in memory (issue 18). It names the
    # credit check's id: flushed here unless a step above has flushed it already.
    db.session.flush()
    answer = Answer(201, present.application(application).model_dump(mode="json"))
    return _store(user, key, fingerprint, application, answer)


def _attorney_file(given: schemas.AttachmentIn | None) -> StoredUpload | None:
    """Decode and store an agent's power of attorney sent in the request (checked upload)."""
    if given is None:
        return None
    try:
        raw = base64.b64decode(given.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("授权委托书文件内容不是有效的 Base64 编码。",
                               code="power_of_attorney_file_invalid") from None
    return store_upload(io.BytesIO(raw), given.filename, services.POWER_OF_ATTORNEY_FOLDER)


def _sign(application, signature: schemas.SignatureIn, user) -> None:
    """Sign the letter rendered now, in this transaction (docs/api.md), as ``signature`` says.

    An agent's power of attorney file is stored first and removed again if signing fails.
    """
    text = services.letter_text(application)
    attorney = _attorney_file(signature.power_of_attorney_file)
    try:
        services.sign_letter(application, signature.signer_name,
                             services.letter_digest(text), Channel.online,
                             capacity=signature.capacity, signer_id_number=signature.id_number,
                             power_of_attorney=signature.power_of_attorney,
                             power_of_attorney_file=attorney, actor=user)
    except BaseException:
        if attorney is not None:
            discard(services.POWER_OF_ATTORNEY_FOLDER, attorney.stored_name)
        raise


def replay_after_race(user, body: schemas.ApplicationIn, key: str) -> Answer | None:
    """After losing the race for a key (and rolling back): the winner's answer, if stored."""
    return stored_answer(user, key, request_fingerprint(body))


def submit_licence_request(user, licence, purpose: Purpose, body, key: str,
                           changes: dict | None = None) -> Answer:
    """A change, renewal or reissue of ``licence``: its own case through the same journey.

    The case is an application of the licence's item (its version in force now) by the
    licence's holder, tied to the licence (``licences.attach_request``, which refuses a
    licence no longer in force or a renewal filed later than 30 days before expiry), then
    taken through the track exactly as ``submit_application`` does. Idempotent by ``key``.
    """
    operation = f"licence_{purpose.value}"
    canonical = json.dumps({"licence": licence.number, "body": body.model_dump(mode="json")},
                           sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    fingerprint = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    replay = stored_answer(user, key, fingerprint, operation)
    if replay is not None:
        return replay
    if body.track == "general" and body.materials_received is not None and (
            user.role == Role.applicant):
        raise AcceptanceByStaff()
    application = services.start_licence_request(
        licence, purpose, Channel.online, actor=user, changes=changes,
        idempotency_key=application_key(user, key))
    replay = stored_answer(user, key, fingerprint, operation)
    if replay is not None:
        return replay
    services.give_notice(application)
    choice = services.choose_track(application, Track(body.track))
    if not choice.eligible:
        refusal = CreditIneligible(choice.reasons)
        return _store(user, key, fingerprint, application, Answer(422, {"error": {
            "code": refusal.code, "message": refusal.message, "reasons": choice.reasons}}),
            operation)
    if body.track == "commitment":
        if body.signature is None:
            raise ValidationFailed("告知承诺制须签署承诺书（signature.signer_name）。",
                                   code="signature_required")
        services.set_commitments(application,
                                 {c.material_code: c.mode for c in body.commitments})
        _sign(application, body.signature, user)
    elif body.materials_received is not None:
        services.accept_general(application, list(body.materials_received))
    db.session.flush()
    db.session.refresh(application)
    answer = Answer(201, present.application(application).model_dump(mode="json"))
    return _store(user, key, fingerprint, application, answer, operation)
