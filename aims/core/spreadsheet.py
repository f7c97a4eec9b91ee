"""Cells of CSV/XLSX files people open in a spreadsheet: made inert when they would run.

A cell that starts with ``= + - @`` (or a tab or carriage return) is read by spreadsheets as a
formula; exported text comes from users and uploads, so it is prefixed with ``'``. Shared by every
module that exports a spreadsheet (the register export, the affected-individuals mail merge).
"""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """The cell's text, made inert for spreadsheets when it would start a formula."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
