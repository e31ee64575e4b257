"""Dashboard tables as CSV, XLSX (openpyxl) and a printable PDF report (WeasyPrint through documents.pdf).

Exports write the rows of insight.tables.Table exactly as the page shows them (suppressed cells stay
"fewer than 5"), rounded as displayed. Text that a spreadsheet would run as a formula is neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string

from .tables import DEC1, PCT, Table, is_number

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Stop a spreadsheet treating text as a formula (CSV injection): a leading =, +, @, tab or return, or a
    minus sign not starting a number, gets an apostrophe in front."""
    if value.startswith(_FORMULA_START) or (value.startswith("-") and not value[1:2].isdigit()):
        return "'" + value
    return value


def export_value(value: Any, fmt: str) -> Any:
    if value is None:
        return ""
    if is_number(value):
        return round(float(value), 1) if fmt in (PCT, DEC1) else value
    return safe_text(str(value))


def _rows(table: Table) -> list[list[Any]]:
    return [[export_value(v, f) for v, f in zip(row, table.formats, strict=True)] for row in table.rows]


def csv_bytes(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headings)
    writer.writerows(_rows(table))
    # A byte order mark so Excel opens the file as UTF-8 (names with accents, the en dash).
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(tables: Sequence[Table], meta: Sequence[str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    used: set[str] = set()
    for table in tables:
        title = _sheet_title(table.title, used)
        sheet = book.create_sheet(title)
        sheet.append([safe_text(table.caption or table.title)])
        sheet["A1"].font = Font(bold=True, size=14)
        for line in meta:
            sheet.append([safe_text(line)])
        sheet.append([])
        sheet.append(list(table.headings))
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in _rows(table):
            sheet.append(row)
        if table.notes:
            sheet.append([])
            for note in table.notes:
                sheet.append([safe_text(note)])
        for index, heading in enumerate(table.headings, start=1):
            width = max([len(str(heading)), *(len(str(r[index - 1])) for r in table.rows)])
            sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(max(width + 2, 10), 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str, used: set[str]) -> str:
    # Excel sheet names: at most 31 characters, none of []:*?/\ , and unique in the workbook.
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Table"
    name, n = clean, 2
    while name in used:
        suffix = f" ({n})"
        name, n = clean[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def report_pdf(context: dict[str, Any]) -> bytes:
    # Imported here: WeasyPrint loads Pango, which only PDF requests need.
    from ourplan.documents.pdf import render_pdf

    html = render_to_string("insight/report_pdf.jinja", context)
    return render_pdf(html, stylesheets=())
