"""Errors of the credit domain (records, repair, objections, outbox, import)."""

from licensing.errors import Conflict, InvalidTransition, ValidationFailed


class RecordNotRepairable(ValidationFailed):
    """Only adverse records (失信、违诺、处罚...) can be repaired."""

    code = "credit_record_not_repairable"
    default_message = "该类信用记录不属于不良信用记录，无需信用修复。"


class RecordManagedByPlatform(ValidationFailed):
    """A record that came from the credit platform is repaired there, not here."""

    code = "credit_record_managed_by_platform"
    default_message = "该记录来自省信用信息共享平台，其信用修复由平台办理，本系统在下次核查时同步。"


class RecordNotActive(InvalidTransition):
    """The record is already repaired or withdrawn."""

    code = "credit_record_not_active"
    default_message = "该信用记录已修复或已撤销，不能再执行此操作。"


class InvalidRepair(ValidationFailed):
    """A repair without a basis, or with an impossible date."""

    code = "invalid_credit_repair"
    default_message = "信用修复信息有误。"


class ObjectionAlreadyOpen(Conflict):
    """A record can have one open objection at a time."""

    code = "credit_objection_already_open"
    default_message = "该信用记录已有正在处理的异议。"


class InvalidObjection(ValidationFailed):
    """An objection without reasons, or with an impossible date or outcome."""

    code = "invalid_credit_objection"
    default_message = "异议信息有误。"


class ObjectionNotOpen(InvalidTransition):
    """The objection was already decided."""

    code = "credit_objection_not_open"
    default_message = "该异议已处理完毕，不能再次处理。"


class UnknownCreditEvent(ValidationFailed):
    """A commitment event kind the credit domain does not know."""

    code = "unknown_credit_event"
    default_message = "未知的信用事件类型。"


class OutboxNotRetryable(InvalidTransition):
    """A delivered message is never sent again."""

    code = "outbox_not_retryable"
    default_message = "该消息已送达，无需重试。"


class CreditImportInvalid(ValidationFailed):
    """The import file has bad rows; ``details['errors']`` lists ``(line, message)``."""

    code = "credit_import_invalid"
    default_message = "导入文件有错误，未导入任何记录。"
