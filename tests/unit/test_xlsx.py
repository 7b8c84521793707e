"""Every text cell of an export is written as text (issue 19, point 5)."""

import io

from openpyxl import Workbook, load_workbook

from licensing.xlsx import save_workbook


def test_formula_triggers_are_written_as_quoted_text_and_numbers_stay_numbers():
    workbook = Workbook()
    texts = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "普通文字"]
    workbook.active.append([*texts, 42, -7])
    loaded = load_workbook(io.BytesIO(save_workbook(workbook))).active
    row = [c for c in loaded[1]]
    assert [c.value for c in row[:6]] == texts
    assert all(c.data_type == "s" for c in row[:6])
    assert [c.quotePrefix for c in row[:6]] == [True] * 5 + [False]
    assert (row[6].value, row[7].value) == (42, -7)
