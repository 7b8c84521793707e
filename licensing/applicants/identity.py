"""Identity codes and contact data of applicants: validation and masking. Pure Python.

* Enterprises and other organisations (including individual businesses, 个体工商户) are
  identified by the unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters
  from ``0-9A-HJ-NPQRTUWXY`` (no I, O, S, V, Z); characters 3-8 are the administrative division
  code (digits); the 18th is a check character, weights ``3^i mod 31``, modulus 31.
* Natural persons are identified by the resident identity card number (居民身份证号码),
  GB 11643-1999: 17 digits and a check character (``0-9`` or ``X``) under ISO 7064 MOD 11-2;
  the first two digits are a province-level code and characters 7-14 the birth date.

Every validator normalises first (full-width characters to half-width, spaces removed,
letters upper-cased) and returns the normalised value, or raises a typed ``ValidationFailed``
subclass whose message is Chinese and whose ``code`` is stable for the API.

ID numbers and phone numbers are personal data: lists, exports, logs and audit entries show
them masked (``mask_id_number``, ``mask_phone``). A credit code names an organisation and is
published on the national enterprise credit information publicity system, so it stays whole.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum

from licensing.applicants.errors import InvalidCreditCode, InvalidIdNumber, InvalidPhone

__all__ = [
    "CREDIT_CODE_CHARSET",
    "ApplicantKind",
    "credit_code_check_char",
    "id_number_check_char",
    "mask_code",
    "mask_credit_code",
    "mask_id_number",
    "mask_phone",
    "normalise_code",
    "validate_code",
    "validate_credit_code",
    "validate_id_number",
    "validate_phone",
]


class ApplicantKind(StrEnum):
    """Who applies: an organisation (credit code) or a natural person (ID number)."""

    enterprise = "enterprise"
    individual = "individual"

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"enterprise": "法人和其他组织", "individual": "自然人"}[self.value]

    @property
    def code_label(self) -> str:
        """Return the Chinese name of this kind's identity code."""
        return {"enterprise": "统一社会信用代码", "individual": "居民身份证号码"}[self.value]


# --- unified social credit code (GB 32100-2015) -----------------------------------------------

#: The 31 characters a credit code may use, in the order of their values 0..30.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_VALUES = {ch: i for i, ch in enumerate(CREDIT_CODE_CHARSET)}
#: Weight of position i (0-based) is 3^i mod 31.
_CREDIT_CODE_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def normalise_code(value: str | None) -> str:
    """Return ``value`` with full-width characters folded, whitespace removed, upper-cased."""
    if value is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(value))
    return "".join(folded.split()).upper()


def credit_code_check_char(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a credit code."""
    if len(first17) != 17 or any(ch not in _CREDIT_CODE_VALUES for ch in first17):
        raise ValueError("need 17 characters of the credit code charset")
    total = sum(_CREDIT_CODE_VALUES[ch] * w for ch, w in zip(first17, _CREDIT_CODE_WEIGHTS,
                                                               strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str | None) -> str:
    """Return the normalised credit code, or raise ``InvalidCreditCode`` saying what is wrong."""
    code = normalise_code(value)
    if not code:
        raise InvalidCreditCode("请填写统一社会信用代码。")
    if len(code) != 18:
        raise InvalidCreditCode(
            f"统一社会信用代码应为18位，当前为{len(code)}位。")
    bad = sorted({ch for ch in code if ch not in _CREDIT_CODE_VALUES})
    if bad:
        raise InvalidCreditCode(
            f"统一社会信用代码含有不允许的字符：{'、'.join(bad)}"
            "（只能使用数字和除I、O、S、V、Z以外的大写字母）。")
    if not code[2:8].isdigit():
        raise InvalidCreditCode("统一社会信用代码第3至8位应为登记管理机关行政区划码（数字）。")
    if credit_code_check_char(code[:17]) != code[17]:
        raise InvalidCreditCode("统一社会信用代码校验位不正确，请核对后重新输入。")
    return code


# --- resident identity card number (GB 11643-1999) --------------------------------------------

_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_ID_CHECK_CHARS = "10X98765432"
#: Province-level codes of GB/T 2260 used in ID numbers, and 83 (Taiwan residents' permits).
_ID_PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
     50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)


def id_number_check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    if len(first17) != 17 or not first17.isdigit() or not first17.isascii():
        raise ValueError("need 17 ASCII digits")
    total = sum(int(ch) * w for ch, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def validate_id_number(value: str | None, today: date | None = None) -> str:
    """Return the normalised ID number, or raise ``InvalidIdNumber`` saying what is wrong.

    ``today`` bounds the birth date (a birth date in the future is refused); it defaults to
    today in China Standard Time.
    """
    number = normalise_code(value)
    if not number:
        raise InvalidIdNumber("请填写居民身份证号码。")
    if len(number) != 18:
        raise InvalidIdNumber(f"居民身份证号码应为18位，当前为{len(number)}位。")
    if not (number[:17].isdigit() and number[:17].isascii()) or not (
        number[17].isdigit() or number[17] == "X"
    ):
        raise InvalidIdNumber("居民身份证号码前17位应为数字，最后一位为数字或X。")
    if int(number[:2]) not in _ID_PROVINCES:
        raise InvalidIdNumber("居民身份证号码前两位不是有效的省级行政区划代码。")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber("居民身份证号码中的出生日期无效。") from None
    if today is None:
        from licensing.clock import local_today

        today = local_today()
    if born.year < 1900 or born > today:
        raise InvalidIdNumber("居民身份证号码中的出生日期无效。")
    if id_number_check_char(number[:17]) != number[17]:
        raise InvalidIdNumber("居民身份证号码校验位不正确，请核对后重新输入。")
    return number


def validate_code(kind: ApplicantKind | str, value: str | None) -> str:
    """Validate the identity code of an applicant of ``kind``; return it normalised."""
    if ApplicantKind(kind) == ApplicantKind.enterprise:
        return validate_credit_code(value)
    return validate_id_number(value)


# --- phone numbers ----------------------------------------------------------------------------

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^(0\d{2,3})-?(\d{7,8})(?:-(\d{1,6}))?$")


def validate_phone(value: str | None) -> str:
    """Return a normalised phone number, or raise ``InvalidPhone``.

    A mainland mobile number (``1[3-9]`` and 9 digits, an optional ``+86`` / ``86`` prefix is
    dropped) comes back as its 11 digits; a landline (area code starting with 0, 7 or 8 local
    digits, an optional extension) as ``area-local`` or ``area-local-ext``. Area codes 010 and
    02x have three digits, the others four.
    """
    raw = normalise_code(value).replace("(", "").replace(")", "")
    if not raw:
        raise InvalidPhone("请填写联系电话。")
    compact = raw.replace("-", "")
    for prefix in ("+86", "0086", "86"):
        if compact.startswith(prefix) and len(compact) == len(prefix) + 11:
            compact = compact[len(prefix):]
            break
    if _MOBILE_RE.match(compact):
        return compact
    match = _LANDLINE_RE.match(raw)
    if match and "-" in raw:
        area, local, ext = match.groups()
    elif compact.isdigit() and compact.startswith("0"):
        area_len = 3 if compact[1] in "12" else 4
        area, local, ext = compact[:area_len], compact[area_len:], None
    else:
        area = local = ext = None
    if area and local and local.isdigit() and len(local) in (7, 8) and (
        (len(area) == 3 and area[1] in "12") or (len(area) == 4 and area[1] not in "12")
    ):
        return f"{area}-{local}" + (f"-{ext}" if ext else "")
    raise InvalidPhone("联系电话应为11位手机号码或带区号的固定电话（如0312-1234567）。")


# --- masking ----------------------------------------------------------------------------------


def mask_id_number(value: str | None) -> str:
    """Mask an ID number: the first 6 and last 4 characters stay (``130682********1234``)."""
    text = normalise_code(value)
    if len(text) >= 10:
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    if len(text) >= 5:
        return text[:1] + "*" * (len(text) - 3) + text[-2:]
    return "*" * len(text)


def mask_phone(value: str | None) -> str:
    """Mask a phone number: ``138****5678``; a landline keeps its area code and last 4 digits."""
    text = normalise_code(value)
    if not text:
        return ""
    if "-" in text:
        area, _, rest = text.partition("-")
        local = rest.split("-")[0]
        if len(local) > 4:
            return f"{area}-" + "*" * (len(local) - 4) + local[-4:]
        return f"{area}-" + "*" * len(local)
    if len(text) >= 8:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    return "*" * len(text)


def mask_credit_code(value: str | None) -> str:
    """Return the credit code whole: it names an organisation and is public, not personal data."""
    return normalise_code(value)


def mask_code(kind: ApplicantKind | str, value: str | None) -> str:
    """Mask an identity code as its kind requires (ID numbers masked, credit codes whole)."""
    if ApplicantKind(kind) == ApplicantKind.individual:
        return mask_id_number(value)
    return mask_credit_code(value)


#: Anything shaped like a resident ID number (18 characters, or the old 15 digits), not inside a
#: longer run of digits: letters and other texts are masked by shape, not only by known codes.
_ID_NUMBER_SHAPE = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


def mask_id_numbers_in(text: str, known_codes: tuple[str, ...] = ()) -> str:
    """Mask every resident ID number in a text (a letter as signed) for display.

    The stored text is never changed: this is how a letter is shown to anyone who has not
    revealed the number through the audited reveal.
    """
    for code in known_codes:
        if code:
            text = text.replace(code, mask_id_number(code))
    return _ID_NUMBER_SHAPE.sub(lambda m: mask_id_number(m.group(0)), text)
