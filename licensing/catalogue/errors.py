"""Errors of the catalogue domain."""

from __future__ import annotations

from licensing.errors import Conflict, DomainError, InvalidTransition, NotFound, ValidationFailed


class UnknownItem(NotFound):
    """No item has this code."""

    code = "unknown_item"
    default_message = "事项不存在。"


class ItemNotInForce(NotFound):
    """The item exists but no version of it governs the given date."""

    code = "item_not_in_force"
    default_message = "该事项在所选日期没有有效的版本（尚未发布或已停用）。"


class UnknownVersion(NotFound):
    """The item has no version with this number."""

    code = "unknown_item_version"
    default_message = "该事项没有这个版本。"


class ItemCodeTaken(ValidationFailed):
    """An item with this code exists already."""

    code = "item_code_taken"
    default_message = "事项编码已存在。"


class ExcludedFromCommitment(ValidationFailed):
    """The policy's exclusions keep this item off the commitment track (工作方案 二（一））."""

    code = "excluded_from_commitment"
    default_message = "该事项不得纳入告知承诺制（工作方案 二（一））"


class ExclusionsUnconfirmed(ValidationFailed):
    """The publisher did not answer every exclusion ground yes or no (工作方案 二（一））."""

    code = "exclusions_unconfirmed"
    default_message = "发布前须逐项确认不得纳入告知承诺制的情形（工作方案 二（一））。"


class ExclusionsMismatch(ValidationFailed):
    """The publisher's answers differ from the grounds the draft records."""

    code = "exclusions_mismatch"
    default_message = "逐项确认的结果与草稿登记的不得纳入情形不一致。"


class VersionIncomplete(ValidationFailed):
    """The version breaks catalogue rules; ``problems`` lists them all."""

    code = "item_version_invalid"
    default_message = "事项版本不符合要求。"

    def __init__(self, problems, message: str | None = None) -> None:
        self.problems = list(problems)
        text = message or "；".join(p.message for p in self.problems) or self.default_message
        super().__init__(text, problems=[p.message for p in self.problems])


class VersionNotDraft(InvalidTransition):
    """Only a draft can be edited, published or discarded."""

    code = "item_version_not_draft"
    default_message = "只能修改草稿；已发布的版本不可更改，请先生成新草稿。"


class StaleDraft(Conflict):
    """The draft changed since the form was opened (optimistic locking)."""

    code = "item_version_stale"
    default_message = "该草稿在您打开后已被他人修改，您的修改未保存。请重新打开草稿，核对后再修改。"


class InvalidValidity(ValidationFailed):
    """A validity or retirement date that would rewrite history or overlap another version."""

    code = "invalid_validity_date"
    default_message = "生效日期无效。"


class ModeNotAllowed(ValidationFailed):
    """A commitment mode the version does not allow for that material."""

    code = "commitment_mode_not_allowed"
    default_message = "该材料不允许以所选方式承诺。"


class CatalogueImportFailed(DomainError):
    """The import file has problems; ``errors`` holds every message, each with its line."""

    code = "catalogue_import_failed"
    http_status = 422
    default_message = "导入失败，未做任何修改。"

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__(f"导入失败，共 {len(self.errors)} 处错误，未做任何修改。",
                         errors=self.errors)
