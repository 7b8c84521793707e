"""Reading and writing the catalogue file: every error with its line; writing reads back."""

from __future__ import annotations

import textwrap

import pytest

from licensing.catalogue.demo import DEMO_FILE
from licensing.catalogue.yaml_format import (
    CatalogueFileError,
    dump_catalogue,
    parse_catalogue,
)
from tests.catalogue_factories import content

GOOD_ITEM = """\
  - code: "A-001"
    name: 测试事项
    legal_basis: 《测试条例》第八条
    approval_department: xzspj
    supervisory_department: wsjkj
    applicant_kinds: [enterprise]
    tracks: [general, commitment]
    statutory_limit_days: 20
    promised_limit_days: 5
    verification:
      rule: public_interest
      method: on_site
      checklist: [核对场所]
    supervision_measures: 抽查。
    commitment_conditions: 具备场所。
    commitment_content: 材料真实。
    breach_consequences: 撤销许可。
    qualification_reasons: 风险可控、纠错成本低，不会产生严重危害后果。
    list_approval_document: 定政办字〔2022〕96号
    letter_template_source: 河北省测试告知承诺书（示范文本）
    letter_template: |
      {{ item_name }}告知承诺书
      申请人：{{ applicant_name }}
      许可条件：{{ commitment_conditions }}
      {{ commitments }}
      违反承诺的后果：{{ breach_consequences }}
      签署人：{{ signer }}  {{ date }}
    materials:
      - code: "01"
        name: 申请书
        modes: [substitute]
"""


def parse(text: str):
    return parse_catalogue(textwrap.dedent(text))


def errors_of(text: str) -> list[str]:
    with pytest.raises(CatalogueFileError) as info:
        parse(text)
    return [str(p) for p in info.value.problems]


def test_good_file_parses_with_defaults():
    [item] = parse("format_version: 1\nitems:\n" + GOOD_ITEM)
    assert item.code == "A-001"
    assert item.content.verification_working_days == 7  # the public-interest rule's default
    assert item.content.materials[0].code == "01"  # kept as written, not the number 1
    assert item.content.letter_template.endswith("{{ signer }}  {{ date }}")


def test_every_error_is_reported_with_its_line():
    text = (
        "format_version: 1\n"                        # 1
        "items:\n"                                   # 2
        "  - code: B-001\n"                          # 3
        "    name: 乙\n"                             # 4
        "    approval_department: xzspj\n"           # 5
        "    supervisory_department: wsjkj\n"        # 6
        "    applicant_kinds: [enterprise, robot]\n"  # 7
        "    tracks: [general]\n"                    # 8
        "    statutory_limit_days: twenty\n"         # 9
        "    promised_limit_days: 5\n"               # 10
        "    colour: red\n"                          # 11
        "    materials:\n"                           # 12
        "      - code: M1\n"                         # 13
        "        name: 申请书\n"                     # 14
        "  - code: B-002\n"                          # 15
        "    name: 丙\n"                             # 16
        "    legal_basis: 依据\n"                    # 17
        "    approval_department: xzspj\n"           # 18
        "    supervisory_department: wsjkj\n"        # 19
        "    applicant_kinds: [individual]\n"        # 20
        "    tracks: [general, commitment]\n"        # 21
        "    statutory_limit_days: 20\n"             # 22
        "    promised_limit_days: 5\n"               # 23
        "    verification:\n"                        # 24
        "      rule: standard\n"                     # 25
        "      working_days: 30\n"                   # 26
        "      checklist: [核对]\n"                  # 27
        "    exclusions: [public_safety]\n"          # 28
        "    supervision_measures: 抽查\n"           # 29
        "    commitment_conditions: 条件\n"          # 30
        "    commitment_content: 内容\n"             # 31
        "    breach_consequences: 后果\n"            # 32
        "    letter_template: \"{{ applicant_name }}{{ commitments }}\"\n"  # 33
        "    materials:\n"                           # 34
        "      - code: M1\n"                         # 35
        "        name: 申请书\n"                     # 36
        "        modes: [supplement]\n"              # 37
        "  - code: B-001\n"                          # 38
        "    name: 重复\n"                           # 39
    )
    errors = errors_of(text)
    lines = [int(e.split(" ")[1]) for e in errors]
    assert lines == sorted(lines)
    joined = "\n".join(errors)
    assert "第 7 行：applicant_kinds 的值“robot”无效" in joined
    assert "第 9 行：statutory_limit_days 必须是整数" in joined
    assert "第 11 行：事项有未知字段“colour”" in joined
    assert "第 26 行：事项“B-002”：一般事项的核查时限为 60 个工作日" in joined
    assert ("第 28 行：事项“B-002”：该事项直接涉及公共安全，不得纳入告知承诺制（工作方案 二（一））"
            in joined)
    assert "第 35 行：事项“B-002”：允许“承诺限期补齐补全”的材料必须写明补齐期限" in joined
    assert ("第 38 行：事项缺少必填字段：approval_department、supervisory_department、"
            "applicant_kinds、tracks、statutory_limit_days、promised_limit_days、materials。"
            in joined)


def test_duplicate_item_codes():
    errors = errors_of("format_version: 1\nitems:\n" + GOOD_ITEM + GOOD_ITEM)
    second = 3 + GOOD_ITEM.count("\n")
    assert errors == [f"第 {second} 行：事项编码“A-001”重复（第 3 行已出现）。"]


def test_syntax_error_points_at_its_line():
    errors = errors_of("format_version: 1\nitems:\n  - code: [unclosed\n    name: x\n")
    assert len(errors) == 1 and errors[0].startswith("第 4 行：YAML 语法错误")


def test_duplicate_keys_are_errors_not_silently_overwritten():
    errors = errors_of("format_version: 1\nformat_version: 1\nitems:\n" + GOOD_ITEM)
    assert errors == ["第 2 行：字段“format_version”重复。"]


def test_aliases_are_refused():
    errors = errors_of("format_version: 1\nx: &a [1]\nitems: *a\n")
    assert errors == ["第 3 行：不支持 YAML 别名（*），请写出完整内容。"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "文件为空"),
        ("- 1\n", "顶层必须是"),
        ("format_version: 2\nitems: []\n", "format_version 必须为 1"),
        ("format_version: 1\nitems: []\n", "items 必须是非空"),
    ],
)
def test_top_level_errors(text, fragment):
    assert any(fragment in e for e in errors_of(text))


def test_dump_reads_back_to_the_same_content():
    items = [("A-001", content()), ("A-002", content(general_only=True)),
             ("007", content(public_interest=True))]
    text = dump_catalogue(items)
    parsed = parse_catalogue(text)
    assert [(p.code, p.content) for p in parsed] == items
    assert dump_catalogue([(p.code, p.content) for p in parsed]) == text


def test_demo_file_is_valid_and_has_thirty_commitment_items():
    items = parse_catalogue(DEMO_FILE.read_bytes())
    commitment = [i for i in items if i.content.offers_commitment]
    general_only = [i for i in items if not i.content.offers_commitment]
    assert len(commitment) == 30
    assert all(i.content.exclusions for i in general_only) and len(general_only) == 2
    assert len({i.content.supervisory_department for i in commitment}) >= 8
    assert all(3 <= len(i.content.materials) <= 8 for i in commitment)
    assert any(i.content.verification_working_days == 7 for i in commitment)
