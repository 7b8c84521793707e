"""Errors of the applicants domain: identity codes and contact data that break their rules."""

from licensing.errors import ValidationFailed


class InvalidCreditCode(ValidationFailed):
    """A unified social credit code (统一社会信用代码) that breaks GB 32100-2015."""

    code = "invalid_credit_code"
    default_message = "统一社会信用代码无效。"


class InvalidIdNumber(ValidationFailed):
    """A resident identity card number (居民身份证号码) that breaks GB 11643-1999."""

    code = "invalid_id_number"
    default_message = "居民身份证号码无效。"


class InvalidPhone(ValidationFailed):
    """A phone number that is neither a mainland mobile number nor a landline number."""

    code = "invalid_phone"
    default_message = "联系电话无效。"


class InvalidApplicant(ValidationFailed):
    """Applicant data that is missing or malformed (kind, name)."""

    code = "invalid_applicant"
    default_message = "申请人信息不完整。"


class LinkRefused(ValidationFailed):
    """An online account may not be linked to this company (no proof of the right to act)."""

    code = "link_refused"
    http_status = 403
    default_message = "无法关联该企业。"


class AlreadyLinked(ValidationFailed):
    """The company already acts through another online account."""

    code = "applicant_already_linked"
    http_status = 409
    default_message = "该企业已关联其他网上账号；如需变更，请持材料到政务服务窗口撤销原关联。"


class LinkNotFound(ValidationFailed):
    """No active link with this id."""

    code = "link_not_found"
    http_status = 404
    default_message = "未找到该关联记录。"
