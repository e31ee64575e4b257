"""Exports: every dashboard table as CSV and XLSX with the same data as the screen, a printable PDF report,
each one audited, and text a spreadsheet could run as a formula made harmless."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from ourplan.core.models import AuditEvent
from ourplan.insight.export import csv_bytes, safe_text, xlsx_bytes
from ourplan.insight.tables import DEC1, INT, PCT, TEXT, Table
from tests import insight_factories as inf
from tests import recall_factories as rf

pytestmark = pytest.mark.django_db


@pytest.fixture
def some_rounds(practice):
    for i, prep in enumerate((20, 12, None)):
        p = rf.on_registers(practice, f"Export{i}", "HYP")
        inf.round_for(p, invited=60, information_gathered=30, preparation_sent=prep, conversation_held=10,
                      plan_agreed=10, plan_shared=10 if i else None)


def _screen_rows(body: str, key: str) -> list[list[str]]:
    table = re.search(rf'data-testid="table-{key}">(.*?)</table>', body, re.S).group(1)
    rows = []
    for row in re.findall(r'<tr class="nhsuk-table__row" role="row">(.*?)</tr>', table, re.S)[1:]:
        cells = re.findall(r'<t[hd][^>]*>(?:<span[^>]*>[^<]*</span>)?(.*?)</t[hd]>', row, re.S)
        rows.append([re.sub(r"<[^>]+>", "", c).strip().replace("&#39;", "'") for c in cells])
    return rows


def test_the_csv_holds_the_table_on_screen(as_user, clinician, some_rounds):
    client = as_user(clinician)
    body = client.get(reverse("insight:fidelity")).content.decode()
    screen = _screen_rows(body, "fidelity")
    response = client.get(reverse("insight:export", kwargs={"dashboard": "fidelity", "fmt": "csv"}),
                          {"table": "fidelity"})
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Measure", "Counted", "Out of", "Percentage", "Reference"]
    assert len(rows) - 1 == len(screen)
    for exported, shown in zip(rows[1:], screen, strict=True):
        assert exported[0] == shown[0]
        assert f"{int(exported[1]):,}" == shown[1] and f"{int(exported[2]):,}" == shown[2]
        assert (f"{float(exported[3]):.1f}%" if exported[3] else "\u2013") == shown[3]


def test_the_xlsx_has_a_sheet_per_table_with_the_period_and_notes(as_user, clinician, some_rounds):
    response = as_user(clinician).get(reverse("insight:export", kwargs={"dashboard": "outcomes", "fmt": "xlsx"}))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 7 and "Results before and after care p" in book.sheetnames
    sheet = book["Goals set, by category"]
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert any(str(v).startswith("Period:") for v in values) and "Goal category" in values


def test_the_printable_report_is_a_pdf_and_is_audited(as_user, clinician, some_rounds):
    response = as_user(clinician).get(reverse("insight:report"))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Content-Type"] == "application/pdf"
    event = AuditEvent.objects.filter(entity_type="InsightReport").get()
    assert event.actor == clinician and event.action == "download" and event.detail["format"] == "pdf"


def test_every_table_export_is_audited(as_user, clinician, some_rounds):
    client = as_user(clinician)
    client.get(reverse("insight:export", kwargs={"dashboard": "fidelity", "fmt": "xlsx"}))
    client.get(reverse("insight:export", kwargs={"dashboard": "outcomes", "fmt": "csv"}), {"table": "changes"})
    events = list(AuditEvent.objects.filter(entity_type="InsightExport").order_by("at"))
    assert [(e.detail["dashboard"], e.detail["format"], e.detail["tables"]) for e in events] == [
        ("fidelity", "xlsx", ["fidelity", "stages"]), ("outcomes", "csv", ["changes"])]


def test_unknown_dashboards_tables_and_formats_are_not_found(as_user, clinician):
    client = as_user(clinician)
    assert client.get(reverse("insight:export", kwargs={"dashboard": "secret", "fmt": "csv"})).status_code == 404
    assert client.get(reverse("insight:export", kwargs={"dashboard": "fidelity", "fmt": "exe"})).status_code == 404
    assert client.get(reverse("insight:export", kwargs={"dashboard": "fidelity", "fmt": "csv"}),
                      {"table": "nope"}).status_code == 404


def test_drill_down_lists_export_exactly_the_people_on_the_list(as_user, clinician, some_rounds):
    response = as_user(clinician).get(
        reverse("insight:figure_people_export", kwargs={"key": "prepared", "fmt": "xlsx"}), {"list": "act"})
    book = load_workbook(io.BytesIO(response.content))
    names = [row[0] for row in book.active.iter_rows(values_only=True) if row and str(row[0]).startswith("EXPORT")]
    assert names == ["EXPORT1, Pat", "EXPORT2, Pat"]


class TestFormulaInjection:
    @pytest.mark.parametrize(("value", "safe"), [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1+2", "'+1+2"), ("@SUM(A1)", "'@SUM(A1)"),
        ("-cmd", "'-cmd"), ("-2 Much less than expected", "-2 Much less than expected"), ("Smith", "Smith"),
    ])
    def test_text_that_would_run_as_a_formula_is_quoted(self, value, safe):
        assert safe_text(value) == safe

    def test_a_name_like_a_formula_stays_text_in_both_formats(self):
        table = Table("t", "T", ["Name", "n", "pct", "mean"], [TEXT, INT, PCT, DEC1])
        table.add(["=1+1", 3, 42.25, -1.04])
        assert csv_bytes(table).decode("utf-8-sig").splitlines()[1] == "'=1+1,3,42.2,-1.0"
        sheet = load_workbook(io.BytesIO(xlsx_bytes([table], []))).active
        row = next(r for r in sheet.iter_rows(values_only=True) if r and r[0] == "'=1+1")
        assert row[1:] == (3, 42.2, -1.0)
