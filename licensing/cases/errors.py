"""Errors of the case journey."""

from licensing.errors import Conflict, DomainError, InvalidTransition, NotFound, ValidationFailed


class ItemNotAvailable(ValidationFailed):
    """The item is not published, or not for this applicant kind or track."""

    code = "item_not_available"
    default_message = "该事项当前不可申请。"


class TrackNotOffered(ValidationFailed):
    """The item does not offer the chosen track."""

    code = "track_not_offered"
    default_message = "该事项不提供所选办理方式。"


class CreditIneligible(DomainError):
    """The credit check bars the commitment track; the general track stays open."""

    code = "credit_ineligible"
    http_status = 422
    default_message = "经信用核查，申请人暂不适用告知承诺制，可按一般程序提交全部法定材料办理。"

    def __init__(self, reasons: list[str], message: str | None = None):
        super().__init__(message)
        self.reasons = reasons


class NoticeNotGiven(InvalidTransition):
    """The one-time notice must be given before the track is chosen."""

    code = "notice_not_given"
    default_message = "请先向申请人一次性告知事项要求，再选择办理方式。"


class InvalidCommitment(ValidationFailed):
    """A commitment mode the item does not allow for a material, or a material missing."""

    code = "invalid_commitment"
    default_message = "承诺方式不符合该事项的规定。"


class LetterChanged(Conflict):
    """The letter shown to the signer is not the letter that would be stored."""

    code = "letter_changed"
    default_message = "承诺书内容已发生变化，请重新阅读后再签署。"


class AlreadyDecided(Conflict):
    """Somebody else decided this application first."""

    code = "already_decided"
    default_message = "该申请已作出决定，不能重复决定。"


class ApplicationNotFound(NotFound):
    """No such application, or not the user's to see."""

    code = "application_not_found"
    default_message = "未找到该申请，或您无权查看。"


class LicenceNotFound(NotFound):
    """No such licence, or not the user's to see."""

    code = "licence_not_found"
    default_message = "未找到该许可证，或您无权查看。"


__all__ = [
    "AlreadyDecided", "ApplicationNotFound", "CreditIneligible", "InvalidCommitment",
    "ItemNotAvailable", "LetterChanged", "LicenceNotFound", "NoticeNotGiven", "TrackNotOffered",
]


class LicenceNotInForce(Conflict):
    """The licence is revoked, cancelled or expired: no procedure can change it any more."""

    code = "licence_not_in_force"
    default_message = "该许可证已不在有效状态，不能办理此项业务。"


class RenewalTooLate(ValidationFailed):
    """A renewal filed later than 30 days before the licence expires (行政许可法 第五十条)."""

    code = "renewal_too_late"
    default_message = "延续申请应当在有效期届满 30 日前提出。"
