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
