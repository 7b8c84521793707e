"""Identity codes (GB 32100, GB 11643), phone numbers and masking: pure rules, no database."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from licensing.applicants.errors import InvalidCreditCode, InvalidIdNumber, InvalidPhone
from licensing.applicants.identity import (
    CREDIT_CODE_CHARSET,
    ApplicantKind,
    credit_code_check_char,
    id_number_check_char,
    mask_code,
    mask_credit_code,
    mask_id_number,
    mask_phone,
    validate_code,
    validate_credit_code,
    validate_id_number,
    validate_phone,
)
from licensing.errors import ValidationFailed

TODAY = date(2026, 11, 29)

# Published samples: the first is the example code used across documentation of GB 32100,
# the second the example number printed in GB 11643-1999 itself.
PUBLISHED_CREDIT_CODES = ["91350100M000100Y43"]
PUBLISHED_ID_NUMBERS = ["11010519491231002X"]
# The demo applicants' codes (README): their check characters must hold.
DEMO_CREDIT_CODES = ["91130682MA0CHT7K84", "91130682MA0E6LX183", "91130682MA0FQW3N7R",
                     "91130682MA0GB8PU81"]
DEMO_ID_NUMBERS = ["13068219850715431X", "130682199203082622"]


def _reference_credit_check(first17: str) -> str:
    """Independent restatement of GB 32100 §5: weights 3^i mod 31, C18 = 31 - (sum mod 31)."""
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(CREDIT_CODE_CHARSET.index(c) * w for c, w in zip(first17, weights, strict=True))
    value = 31 - total % 31
    return CREDIT_CODE_CHARSET[0 if value == 31 else value]


def _reference_id_check(first17: str) -> str:
    """Independent restatement of GB 11643 (ISO 7064 MOD 11-2)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]


def _random_credit_code(rng: random.Random) -> str:
    first17 = (rng.choice("159") + rng.choice("123") + f"{rng.randrange(110000, 660000):06d}"
               + "".join(rng.choice(CREDIT_CODE_CHARSET) for _ in range(9)))
    return first17 + _reference_credit_check(first17)


def _random_id_number(rng: random.Random) -> str:
    born = date(1930, 1, 1) + timedelta(days=rng.randrange(0, 365 * 90))
    first17 = f"{rng.choice([11, 13, 31, 44, 65])}{rng.randrange(0, 10000):04d}" \
              f"{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return first17 + _reference_id_check(first17)


# --- unified social credit code -------------------------------------------------------------


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES + DEMO_CREDIT_CODES)
def test_published_and_demo_credit_codes_are_valid(code):
    assert validate_credit_code(code) == code


def test_generated_credit_codes_agree_with_reference_computation():
    rng = random.Random(32100)
    for _ in range(500):
        code = _random_credit_code(rng)
        assert credit_code_check_char(code[:17]) == code[17]
        assert validate_credit_code(code) == code


def test_every_wrong_check_character_is_refused():
    code = PUBLISHED_CREDIT_CODES[0]
    for ch in CREDIT_CODE_CHARSET:
        if ch != code[17]:
            with pytest.raises(InvalidCreditCode, match="校验位"):
                validate_credit_code(code[:17] + ch)


def test_credit_code_is_normalised():
    assert validate_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    # full-width characters typed with a Chinese input method
    assert validate_credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "请填写"),
        (None, "请填写"),
        ("91350100M000100Y4", "应为18位，当前为17位"),
        ("91350100M000100Y433", "当前为19位"),
        ("91350100M000100YO3", "不允许的字符：O"),
        ("91350100M0001I0Y43", "不允许的字符：I"),
        ("913S0100M000100Y43", "不允许的字符：S"),
        ("91A50100M000100Y43", "行政区划码"),
        ("91350100M000100Y44", "校验位"),
    ],
)
def test_bad_credit_codes_are_refused_with_a_clear_message(value, fragment):
    with pytest.raises(InvalidCreditCode) as caught:
        validate_credit_code(value)
    assert fragment in caught.value.message
    assert caught.value.code == "invalid_credit_code"
    assert isinstance(caught.value, ValidationFailed)


# --- resident ID number ----------------------------------------------------------------------


@pytest.mark.parametrize("number", PUBLISHED_ID_NUMBERS + DEMO_ID_NUMBERS)
def test_published_and_demo_id_numbers_are_valid(number):
    assert validate_id_number(number, today=TODAY) == number


def test_generated_id_numbers_agree_with_reference_computation():
    rng = random.Random(11643)
    for _ in range(500):
        number = _random_id_number(rng)
        assert id_number_check_char(number[:17]) == number[17]
        assert validate_id_number(number, today=TODAY) == number


def test_lower_case_x_is_accepted():
    assert validate_id_number("11010519491231002x", today=TODAY) == "11010519491231002X"


def _with_check(first17: str) -> str:
    return first17 + _reference_id_check(first17)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "请填写"),
        ("1101051949123100", "应为18位，当前为16位"),
        ("110105194912310021", "校验位"),
        ("11010519491231002Y", "最后一位为数字或X"),
        ("1101051949123A002X", "前17位应为数字"),
        (_with_check("99010519491231002"), "省级行政区划代码"),
        (_with_check("11010519490230002"), "出生日期无效"),  # 30 February
        (_with_check("11010518991231002"), "出生日期无效"),  # before 1900
        (_with_check("11010520271231002"), "出生日期无效"),  # born in the future
    ],
)
def test_bad_id_numbers_are_refused_with_a_clear_message(value, fragment):
    with pytest.raises(InvalidIdNumber) as caught:
        validate_id_number(value, today=TODAY)
    assert fragment in caught.value.message
    assert caught.value.code == "invalid_id_number"


def test_validate_code_dispatches_on_kind():
    assert validate_code(ApplicantKind.enterprise, "91350100M000100Y43") == "91350100M000100Y43"
    assert validate_code("individual", PUBLISHED_ID_NUMBERS[0]) == PUBLISHED_ID_NUMBERS[0]
    with pytest.raises(InvalidCreditCode):
        validate_code("enterprise", PUBLISHED_ID_NUMBERS[0])
    with pytest.raises(InvalidIdNumber):
        validate_code("individual", "91350100M000100Y43")


# --- phones -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("86-13812345678", "13812345678"),
        ("19912345678", "19912345678"),
        ("0312-1234567", "0312-1234567"),
        ("03121234567", "0312-1234567"),
        ("010-12345678", "010-12345678"),
        ("(010)12345678", "010-12345678"),
        ("0312-1234567-8021", "0312-1234567-8021"),
    ],
)
def test_valid_phones_are_normalised(value, normalised):
    assert validate_phone(value) == normalised


@pytest.mark.parametrize("value", ["", "12812345678", "1381234567", "138123456789", "12345",
                                   "0312-123", "abc", "0312-123456789"])
def test_bad_phones_are_refused(value):
    with pytest.raises(InvalidPhone) as caught:
        validate_phone(value)
    assert caught.value.code == "invalid_phone"


# --- masking ------------------------------------------------------------------------------------


def test_masking():
    assert mask_id_number("130682199203082622") == "130682********2622"
    assert mask_id_number("11010519491231002x") == "110105********002X"
    assert mask_id_number("") == ""
    assert "*" in mask_id_number("12345")
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0312-1234567") == "0312-***4567"
    assert mask_phone("") == ""
    assert mask_credit_code("91350100m000100y43") == "91350100M000100Y43"
    assert mask_code("individual", "130682199203082622") == "130682********2622"
    assert mask_code("enterprise", "91350100M000100Y43") == "91350100M000100Y43"
