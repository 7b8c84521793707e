"""The catalogue's content rules, without a database."""

from __future__ import annotations

import dataclasses

import pytest

from licensing.catalogue.content import (
    MaterialContent,
    commitment_lines,
    content_problems,
    exclusion_message,
    letter_environment,
    letter_template_problems,
)
from licensing.catalogue.models import CommitmentMode, Exclusion, Track, VerificationRule
from tests.catalogue_factories import LETTER, content


def messages(c, **kwargs) -> list[str]:
    return [p.message for p in content_problems(c, **kwargs)]


def test_complete_content_has_no_problems():
    assert content_problems(content()) == []
    assert content_problems(content(public_interest=True)) == []
    assert content_problems(content(general_only=True)) == []


@pytest.mark.parametrize("exclusion", list(Exclusion))
def test_each_exclusion_keeps_an_item_off_the_commitment_track(exclusion):
    problems = content_problems(content(excluded=(exclusion,)))
    assert [p.path for p in problems] == [("exclusions",)]
    assert exclusion.label in problems[0].message
    assert "不得纳入告知承诺制（工作方案 二（一））" in problems[0].message


def test_exclusion_message_names_the_rule():
    assert exclusion_message([Exclusion.public_safety]) == (
        "该事项直接涉及公共安全，不得纳入告知承诺制（工作方案 二（一））")


def test_excluded_item_may_stay_on_the_general_track():
    assert content_problems(content(general_only=True, excluded=(Exclusion.public_safety,))) == []


@pytest.mark.parametrize(
    ("rule", "days", "basis", "fragment"),
    [
        (VerificationRule.standard, 30, "", "一般事项的核查时限为 60"),
        (VerificationRule.public_interest, 10, "", "7 个工作日"),
        (VerificationRule.item_specific, 60, "依据", "必须短于 60"),
        (VerificationRule.item_specific, 20, "", "必须写明其依据"),
        (VerificationRule.standard, 61, "", "1–60"),
        (VerificationRule.standard, 0, "", "1–60"),
    ],
)
def test_verification_rules(rule, days, basis, fragment):
    c = content(verification_rule=rule, verification_working_days=days, verification_basis=basis)
    found = messages(c)
    assert any(fragment in m for m in found), found


def test_item_specific_shorter_limit_with_basis_is_fine():
    c = content(verification_rule=VerificationRule.item_specific, verification_working_days=15,
                verification_basis="《某条例》第十条规定 15 日内检查。")
    assert content_problems(c) == []


def test_supplement_days_go_with_the_supplement_mode():
    missing = MaterialContent("M9", "补充材料", True, (CommitmentMode.supplement,))
    stray = MaterialContent("M9", "补充材料", True, (CommitmentMode.substitute,), 10)
    assert any("必须写明补齐期限" in m for m in messages(content(materials=(missing,))))
    assert any("才有补齐期限" in m for m in messages(content(materials=(stray,))))


def test_duplicate_material_codes_and_blank_names():
    a = MaterialContent("M1", "甲", True, (CommitmentMode.substitute,))
    b = MaterialContent("M1", " ", True, ())
    found = messages(content(materials=(a, b)))
    assert any("重复" in m for m in found)
    assert any("材料名称不能为空" in m for m in found)


def test_commitment_item_needs_texts_but_a_draft_may_be_incomplete():
    c = content(commitment_conditions="", breach_consequences="", letter_template="")
    found = messages(c)
    assert any("承诺条件" in m for m in found)
    assert any("违反承诺的后果" in m for m in found)
    assert any("告知承诺书文本" in m for m in found)
    assert content_problems(c, complete=False) == []


def test_general_only_item_cannot_offer_modes():
    c = content(tracks=(Track.general,), letter_template="")
    assert any("不能设置承诺方式" in m for m in messages(c))


def test_promised_limit_within_statutory():
    assert any("承诺办结时限" in m for m in messages(content(promised_limit_days=30)))


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("{{ applicant_name }} {{ commitments }} {{ evil }}", "未知的占位符：evil"),
        ("{{ applicant_name }} {% for x in %}", "语法错误"),
        ("只有文字 {{ commitments }}", "{{ applicant_name }}"),
        (LETTER + "{{ commitments.__class__ }}", "无法生成"),
    ],
)
def test_letter_template_checks(template, fragment):
    found = [p.message for p in letter_template_problems(template, required=True)]
    assert any(fragment in m for m in found), found


def test_letter_sandbox_refuses_unsafe_attribute_access():
    from jinja2.exceptions import SecurityError

    env = letter_environment()
    with pytest.raises(SecurityError):
        env.from_string("{{ x.__class__.__mro__ }}").render(x=commitment_lines([]))


def test_commitment_lines_print_and_iterate():
    lines = commitment_lines([("M2", "平面图", "supplement", 20), ("M3", "健康证明", "substitute",
                                                                   None)])
    assert str(lines) == ("1. 《平面图》：承诺限期补齐补全（在许可决定后 20 个工作日内补齐）\n"
                          "2. 《健康证明》：承诺代替申请材料")
    env = letter_environment()
    text = env.from_string("{% for c in commitments %}[{{ c.material_code }}:{{ c.mode }}]"
                           "{% endfor %}").render(commitments=lines)
    assert text == "[M2:supplement][M3:substitute]"


def test_content_normalises_order_and_whitespace():
    a = content(tracks=(Track.commitment, Track.general), name="  名称 \n")
    b = content(tracks=(Track.general, Track.commitment), name="名称")
    assert a == b
    m1 = MaterialContent("M", "n", True, (CommitmentMode.substitute, CommitmentMode.supplement), 3)
    m2 = dataclasses.replace(m1, modes=(CommitmentMode.supplement, CommitmentMode.substitute))
    assert m1 == m2
