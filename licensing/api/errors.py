"""Errors of the API layer (messages in Simplified Chinese, codes stable)."""

from __future__ import annotations

from licensing.errors import Conflict, DomainError, Forbidden


class BadRequest(DomainError):
    """A request the server cannot read: not JSON, malformed JSON, a missing header."""

    code = "bad_request"
    http_status = 400
    default_message = "请求格式有误。"


class RequestInvalid(DomainError):
    """A well-formed request whose content breaks the schema; ``errors`` lists each problem."""

    code = "validation_failed"
    http_status = 422
    default_message = "请求内容不符合接口定义，请检查后重试。"

    def __init__(self, errors: list[dict], message: str | None = None) -> None:
        super().__init__(message)
        self.errors = errors


class InvalidToken(DomainError):
    """The bearer token is unknown, revoked, or its user's sessions were ended."""

    code = "invalid_token"
    http_status = 401
    default_message = "访问令牌无效或已被撤销，请重新获取。"


class TokenExpired(InvalidToken):
    """The bearer token's lifetime is over."""

    code = "token_expired"
    default_message = "访问令牌已过期，请重新获取。"


class TokenRequired(DomainError):
    """The operation acts on the current bearer token, and the request has none."""

    code = "token_required"
    http_status = 400
    default_message = "该操作需要使用访问令牌（Authorization: Bearer）调用。"


class IdempotencyKeyReused(DomainError):
    """The same ``Idempotency-Key`` came with another request body."""

    code = "idempotency_key_reused"
    http_status = 422
    default_message = "该 Idempotency-Key 已用于内容不同的请求，请为新请求使用新的键。"


class IdempotencyConflict(Conflict):
    """Another request with the same key is still being processed."""

    code = "idempotency_key_in_use"
    default_message = "使用同一 Idempotency-Key 的请求正在处理中，请稍后重试。"


class ApplicantNotLinked(Forbidden):
    """An applicant's account may apply only for the applicants it is linked to."""

    code = "applicant_not_linked"
    default_message = "该账号未关联此申请人，不能以其名义申请。"


class AcceptanceByStaff(Forbidden):
    """Statutory materials are received and accepted by counter staff, not by the applicant."""

    code = "acceptance_by_staff_only"
    default_message = "一般程序的材料由窗口人员接收并受理；申请人账号只能提交申请，不能自行受理。"


class LicenceNotFound(DomainError):
    """No licence with this number that the user may see."""

    code = "licence_not_found"
    http_status = 404
    default_message = "未找到该许可证，或您无权查看。"


class ApplicantNotFound(DomainError):
    """No applicant with this identity code."""

    code = "applicant_not_found"
    http_status = 404
    default_message = "未找到该申请人。"


class AmbiguousApplicant(DomainError):
    """The code belongs to an enterprise and a person alike: the kind must be given."""

    code = "applicant_kind_required"
    http_status = 422
    default_message = "该代码对应多个申请人，请用 kind 参数指明申请人类型。"
