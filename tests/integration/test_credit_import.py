"""``flask --app wsgi credit import FILE``: whole-file validation, line numbers, idempotency."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from licensing.applicants.models import Applicant
from licensing.audit.models import AuditEntry
from licensing.credit.errors import CreditImportInvalid
from licensing.credit.importer import PROGRESS_MIN_ROWS, parse_csv
from licensing.credit.models import CreditRecord, CreditRecordStatus, CreditRecordType
from licensing.credit.platform import LocalOnlyPlatform
from licensing.credit.services import check_eligibility
from tests.credit_fake_platform import enterprise_code, id_number

HEADER = "code,name,record_type,start_on,repaired_on"
E1, E2, P1 = enterprise_code(901), enterprise_code(902), id_number(903)


def write(tmp_path, text: str, name: str = "list.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def counts(session) -> tuple[int, int]:
    return (session.scalar(select(func.count(CreditRecord.id))),
            session.scalar(select(func.count(Applicant.id))))


GOOD = "\n".join([
    HEADER + ",kind,external_ref,repair_basis,source_note,issuer",
    f"{E1},定州市甲建材有限公司,serious_dishonesty,2025-06-10,,,HB-1,,拒不履行,市市场监管局",
    f"{E2},定州市乙食品有限公司,serious_dishonesty,2024-03-01,2025-09-20,enterprise,HB-2,"
    "冀信修〔2025〕1号,,",
    f"{P1.lower()},张三,虚假承诺,2026-05-12,,个人,,,,",
    f"{E2},定州市乙食品有限公司,administrative_penalty,2026-01-15,,,,,,",
]) + "\n"


def test_good_file_is_imported_and_reimport_changes_nothing(runner, session, tmp_path):
    path = write(tmp_path, GOOD)
    result = runner.invoke(args=["credit", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "新增4条" in result.stdout and "新增申请人3个" in result.stdout
    assert counts(session) == (4, 3)
    person = session.scalar(select(Applicant).where(Applicant.code == P1))
    assert person.kind.value == "individual" and person.risk_level == "D"
    barred = session.scalar(select(Applicant).where(Applicant.code == E1))
    assert not check_eligibility(barred, platform=LocalOnlyPlatform()).eligible
    repaired = session.scalar(select(CreditRecord).where(
        CreditRecord.record_type == CreditRecordType.serious_dishonesty,
        CreditRecord.repaired_on.is_not(None)))
    assert repaired.status == CreditRecordStatus.repaired
    assert repaired.repair_basis == "冀信修〔2025〕1号"
    audits = session.scalar(select(func.count(AuditEntry.id)))
    session.commit()

    again = runner.invoke(args=["credit", "import", str(path)])
    assert again.exit_code == 0, again.output
    assert "新增0条" in again.stdout and "未变化4条" in again.stdout
    assert counts(session) == (4, 3)
    # only the import's own summary entry is new
    assert session.scalar(select(func.count(AuditEntry.id))) == audits + 1


def test_reimport_with_a_repair_date_marks_the_record_repaired(runner, session, tmp_path):
    first = write(tmp_path, f"{HEADER}\n{E1},甲公司,serious_dishonesty,2025-06-10,\n", "a.csv")
    assert runner.invoke(args=["credit", "import", str(first)]).exit_code == 0
    applicant = session.scalar(select(Applicant).where(Applicant.code == E1))
    assert applicant.risk_level == "D"
    session.commit()
    second = write(tmp_path, f"{HEADER},repair_basis\n"
                             f"{E1},甲公司,serious_dishonesty,2025-06-10,2026-02-01,修复决定\n",
                   "b.csv")
    result = runner.invoke(args=["credit", "import", str(second)])
    assert "标记修复1条" in result.stdout
    record = session.scalar(select(CreditRecord))
    assert record.status == CreditRecordStatus.repaired and record.repaired_on == date(2026, 2, 1)
    assert check_eligibility(applicant, platform=LocalOnlyPlatform()).eligible
    session.commit()
    # a later file without the date never revives the record
    assert runner.invoke(args=["credit", "import", str(first)]).exit_code == 0
    assert session.scalar(select(CreditRecord)).status == CreditRecordStatus.repaired


BAD = "\n".join([
    HEADER,
    f"{E1},甲公司,serious_dishonesty,2025-06-10,",  # 2: good
    f"{E1[:-1]}0,乙公司,serious_dishonesty,2025-06-10,",  # 3: bad check character
    f"{E2},,serious_dishonesty,2025-06-10,",  # 4: no name
    f"{E2},丙公司,praise,2025-06-10,",  # 5: unknown type
    f"{E2},丙公司,false_commitment,2025/06/10,",  # 6: bad date
    f"{E2},丙公司,false_commitment,2025-06-10,2025-01-01",  # 7: repaired before start
    f"{E1},甲公司,serious_dishonesty,2025-06-10,",  # 8: duplicate of line 2
    f"{E2},丙公司,commitment_made,2025-06-10,",  # 9: system-only type
    f"{E2},丙公司,false_commitment,2099-01-01,",  # 10: in the future
    f"{E2},丙公司,false_commitment",  # 11: too few columns
    f'{E2},"丁公司',  # 12-13: a quoted name over two lines, then too few columns
    '第二行",false_commitment,2025-06-10',
    f"{P1},李四,false_commitment,2025-06-10,",  # 14: good
]) + "\n"


def test_bad_file_reports_every_bad_line_and_imports_nothing(runner, session, tmp_path):
    path = write(tmp_path, BAD)
    result = runner.invoke(args=["credit", "import", str(path)])
    assert result.exit_code == 2
    err = result.stderr
    for line, fragment in [(3, "校验位"), (4, "名称"), (5, "praise"), (6, "2025/06/10"),
                           (7, "早于"), (8, "与第2行重复"), (9, "record_type"),
                           (10, "不能晚于今天"), (11, "列数"), (12, "列数")]:
        assert f"第{line}行：" in err and fragment in err, (line, err)
    assert "第2行" not in err.replace("与第2行重复", "") and "第14行" not in err
    assert "未导入任何记录" in err
    assert counts(session) == (0, 0)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "文件为空"),
        (b"code,name,record_type\n", "缺少必需的列：start_on, repaired_on"),
        (f"{HEADER},code\n".encode(), "列重复：code"),
        (f"{HEADER}\n{E1},甲公司,serious_dishonesty,2025-06-10,\n".encode("gbk")
         + "乙公司".encode("gbk"), "UTF-8"),
        (f"{HEADER}\n{E1},甲,false_commitment,2025-06-10,\n{E2},乙,x,2025-06-10,\n"
         f"{E2},乙,false_commitment,2025-06-10,,\n".encode(), "第3行"),
    ],
)
def test_file_level_problems(session, content, fragment):
    with pytest.raises(CreditImportInvalid) as caught:
        parse_csv(content)
    text = " ".join(f"第{line}行 {message}" for line, message in caught.value.details["errors"])
    assert fragment in text


def test_non_utf8_reports_the_line(session):
    content = f"{HEADER}\n{E1},甲公司,serious_dishonesty,2025-06-10,\n".encode() \
        + "乙公司".encode("gbk") + b"\n"
    with pytest.raises(CreditImportInvalid) as caught:
        parse_csv(content)
    assert caught.value.details["errors"][0][0] == 3


def test_bom_unknown_columns_and_blank_lines(session):
    rows, warnings = parse_csv(("\ufeff" + HEADER + ",remark\n\n"
                                f"{E1},甲公司,严重失信,2025-06-10,,备注\n\n").encode())
    assert len(rows) == 1 and rows[0].record_type == CreditRecordType.serious_dishonesty
    assert rows[0].line == 3
    assert warnings == ["忽略未知的列：remark"]


def test_dry_run_imports_nothing(runner, session, tmp_path):
    path = write(tmp_path, GOOD)
    result = runner.invoke(args=["credit", "import", "--dry-run", str(path)])
    assert result.exit_code == 0 and "校验通过：4行" in result.stdout
    assert counts(session) == (0, 0)


def test_large_file_shows_a_progress_bar_on_stderr(runner, session, tmp_path):
    lines = [HEADER] + [
        f"{enterprise_code(10000 + n)},批量公司{n},administrative_penalty,2025-01-01,"
        for n in range(PROGRESS_MIN_ROWS + 20)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    result = runner.invoke(args=["credit", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "导入信用记录" in result.stderr and "行" in result.stderr
    assert "导入信用记录" not in result.stdout
    assert counts(session) == (PROGRESS_MIN_ROWS + 20, PROGRESS_MIN_ROWS + 20)


def test_the_documented_example_is_a_valid_file(session):
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "credit-import.md").read_text()
    example = doc.split("```csv\n", 1)[1].split("```", 1)[0]
    rows, warnings = parse_csv(example.encode())
    assert len(rows) == 3 and not warnings
