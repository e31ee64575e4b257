"""Commissioners: the same dashboards across their practices, aggregates only. No person-level data on any
page or export they can reach, small numbers suppressed so they cannot be worked back from totals, and
every staff or person page "not found"."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ourplan.core.models import AuditEvent
from ourplan.insight.suppress import ALL_COLUMN, SUPPRESSED_TEXT, TOTAL_ROW, suppress
from ourplan.people.models import Person
from tests import insight_factories as inf
from tests import recall_factories as rf

pytestmark = pytest.mark.django_db


@pytest.fixture
def commissioner(practice, other_practice):
    return inf.commissioner("icb.chris", practice, other_practice)


def _round_done(person, days: float = 20) -> None:
    inf.round_for(person, invited=days + 40, information_gathered=days + 20, preparation_sent=days + 10,
                  conversation_held=days, plan_agreed=days, plan_shared=days)


@pytest.fixture
def populated(practice, other_practice, person, other_person):
    """Three people counted at Riverside (a small number), twenty at Hillview."""
    for i in range(3):
        _round_done(rf.on_registers(practice, f"Smallcount{i}", "HYP", given="Rosa"), days=60 + i)
    for i in range(20):
        _round_done(rf.on_registers(other_practice, f"Hillview{i}", "DM", given="Hugo"), days=60 + i)
    return Person.objects.all()


class TestSuppressionRules:
    def test_counts_from_1_to_4_are_hidden_and_zero_is_shown(self):
        grid = suppress({"a": {1: 0, 2: 4, 3: 12}}, [1, 2, 3], column_totals=False)
        assert grid.is_hidden("a", 2) and not grid.is_hidden("a", 1)

    def test_a_lone_hidden_practice_cell_hides_another_so_the_total_cannot_give_it_away(self):
        grid = suppress({"a": {1: 3, 2: 40, 3: 9}}, [1, 2, 3], column_totals=False)
        assert grid.is_hidden("a", 1) and grid.is_hidden("a", 3)  # 9 is the smallest other count
        assert not grid.is_hidden("a", 2) and not grid.is_hidden("a", ALL_COLUMN)

    def test_a_figure_hides_its_numerator_when_the_people_not_counted_are_few(self):
        grid = suppress({"counted": {1: 48}, "not": {1: 2}}, [1], column_totals=True)
        assert grid.is_hidden("counted", 1) and grid.is_hidden("not", 1)
        assert not grid.is_hidden(TOTAL_ROW, 1) and grid.get(TOTAL_ROW, 1) == 50

    def test_a_distribution_with_one_hidden_row_hides_the_next_smallest(self):
        grid = suppress({"x": {1: 2}, "y": {1: 30}, "z": {1: 7}}, [1], column_totals=True)
        assert grid.is_hidden("x", 1) and grid.is_hidden("z", 1) and not grid.is_hidden("y", 1)

    def test_when_nothing_else_can_hide_it_the_total_is_hidden(self):
        grid = suppress({"x": {1: 2}, "y": {1: 0}}, [1], column_totals=True)
        assert grid.is_hidden("x", 1) and grid.is_hidden(TOTAL_ROW, 1)

    def test_no_combination_of_shown_cells_recovers_a_hidden_one(self):
        counts = {"counted": {1: 3, 2: 20, 3: 11}, "not": {1: 10, 2: 5, 3: 1}}
        grid = suppress(counts, [1, 2, 3], column_totals=True)
        for row in counts:
            for col in (1, 2, 3, ALL_COLUMN):
                hidden_in_row = [c for c in (1, 2, 3) if grid.is_hidden(row, c)]
                assert len(hidden_in_row) != 1 or grid.is_hidden(row, ALL_COLUMN)
                hidden_in_col = [r for r in counts if grid.is_hidden(r, col)]
                assert len(hidden_in_col) != 1 or grid.is_hidden(TOTAL_ROW, col)


class TestWhatCommissionersSee:
    def test_they_see_aggregates_across_their_practices(self, as_user, commissioner, populated):
        body = as_user(commissioner).get(reverse("insight:c_fidelity")).content.decode()
        assert "All practices (2)" in body and "People counted" not in body
        prepared = re.findall(r"Results sent at least 7 days before the conversation</th>(.*?)</tr>", body, re.S)
        assert prepared and "</span>23</td>" in prepared[0] and "100.0%" in prepared[0]
        # 23 of the 24 people on a register had a conversation: the one who did not is a count below 5, and
        # the count of 23 next to the total of 24 would give them away, so it is hidden.
        had = re.findall(r"Had a care planning conversation</th>(.*?)</tr>", body, re.S)[0]
        assert SUPPRESSED_TEXT in had and "</span>24</td>" in had

    def test_a_small_practice_count_is_hidden_and_so_is_its_complement(self, as_user, commissioner, practice,
                                                                      other_practice, populated):
        client = as_user(commissioner)
        small = client.get(reverse("insight:c_fidelity"), {"practice": str(practice.public_id)}).content.decode()
        row = re.findall(r"Had a care planning conversation</th>(.*?)</tr>", small, re.S)[0]
        assert SUPPRESSED_TEXT in row
        # Without hiding Hillview's count too, "all practices" minus Hillview would give Riverside's back.
        big = client.get(reverse("insight:c_fidelity"), {"practice": str(other_practice.public_id)}).content.decode()
        assert SUPPRESSED_TEXT in re.findall(r"Had a care planning conversation</th>(.*?)</tr>", big, re.S)[0]

    def test_exports_hold_the_same_suppressed_figures(self, as_user, commissioner, practice, populated):
        client = as_user(commissioner)
        params = {"practice": str(practice.public_id), "table": "fidelity"}
        response = client.get(reverse("insight:c_export", kwargs={"dashboard": "fidelity", "fmt": "csv"}), params)
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        had = next(r for r in rows if r[0] == "Had a care planning conversation")
        assert had[1] == SUPPRESSED_TEXT and had[3] == SUPPRESSED_TEXT
        event = AuditEvent.objects.filter(entity_type="InsightExport").get()
        assert event.actor == commissioner and event.detail["aggregate_only"] is True

    def test_an_inactive_commissioner_sees_nothing(self, as_user, practice):
        user = inf.commissioner("icb.gone", practice, active=False)
        assert as_user(user).get(reverse("insight:c_fidelity")).status_code == 404

    def test_staff_do_not_get_the_commissioner_pages(self, as_user, clinician):
        assert as_user(clinician).get(reverse("insight:c_fidelity")).status_code == 404

    def test_they_choose_whole_months_only(self, as_user, commissioner):
        body = as_user(commissioner).get(reverse("insight:c_fidelity"), {"month": "1999-01"}).content.decode()
        assert "Choose a month from the list" in body
        body = as_user(commissioner).get(reverse("insight:c_fidelity"), {"from": "2025-01-01"}).content.decode()
        assert 'name="from"' not in body


STAFF_AND_PERSON_PAGES = ["people:register", "recall:worklist", "insight:fidelity", "insight:outcomes",
                          "support:referrals", "planning:aids"]


def test_every_staff_page_is_not_found_for_a_commissioner(as_user, commissioner, person):
    client = as_user(commissioner)
    for name in STAFF_AND_PERSON_PAGES:
        assert client.get(reverse(name)).status_code == 404, name
    assert client.get(reverse("people:person_detail", kwargs={"public_id": person.public_id})).status_code == 404
    for key in ("had", "prepared"):
        assert client.get(reverse("insight:figure_people", kwargs={"key": key})).status_code == 404
        assert client.get(reverse("insight:figure_people_export", kwargs={"key": key, "fmt": "csv"})
                          ).status_code == 404


def _patterns(resolver: URLResolver, prefix: str = "", namespace: str = "") -> list[tuple[str, str, URLPattern]]:
    out = []
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            out += _patterns(p, prefix + str(p.pattern), ns)
        else:
            out.append((namespace, prefix + str(p.pattern), p))
    return out


KWARGS = {"key": ["had", "prepared", "invite_to_conversation"], "dashboard": ["fidelity", "outcomes"],
          "fmt": ["csv", "xlsx", "pdf"], "public_id": []}


def _reachable_urls() -> list[str]:
    """Every insight URL (kwargs filled in every way the views accept) plus home and the account pages
    without arguments, from the URL resolver itself: a new insight page is walked without editing this."""
    urls = ["/"]
    for namespace, _, pattern in _patterns(get_resolver()):
        route = str(pattern.pattern)
        if namespace == "insight":
            names = list(pattern.pattern.converters) if hasattr(pattern.pattern, "converters") else []
            combos: list[dict[str, str]] = [{}]
            for name in names:
                combos = [{**c, name: v} for c in combos for v in KWARGS.get(name, [])]
            for kwargs in combos:
                urls.append(reverse(f"insight:{pattern.name}", kwargs=kwargs or None))
        elif pattern.name and "<" not in route and pattern.callback.__module__.startswith("allauth"):
            try:
                urls.append(reverse(pattern.name))
            except Exception:  # noqa: S112 - a name that needs arguments is not walkable without them
                continue
    return sorted(set(urls))


def test_no_page_or_export_a_commissioner_can_reach_holds_person_level_data(as_user, commissioner, populated,
                                                                          practice):
    client = as_user(commissioner)
    people = list(populated.values_list("given_name", "family_name", "nhs_number", "public_id"))
    urls = _reachable_urls()
    assert any(u.startswith("/insight/") for u in urls) and any(u.startswith("/accounts/") for u in urls)
    reached = 0
    for url in urls:
        for params in ({}, {"practice": str(practice.public_id)}):
            response = client.get(url, params)
            if response.status_code != 200:
                continue
            reached += 1
            if response["Content-Type"].startswith("application/pdf"):
                text = _pdf_text(response.content)
            elif "spreadsheetml" in response["Content-Type"]:
                text = _xlsx_text(response.content)
            else:
                text = response.content.decode("utf-8-sig")
            for given, family, nhs, public_id in people:
                for name in (f"{given} {family}", f"{family.upper()}, {given}", f"{family}, {given}"):
                    assert name not in text, (url, name)
                # Generated family names are unique words; "Other" (the other person) is an English word.
                if family != "Other":
                    assert not re.search(rf"\b{family}\b", text, re.IGNORECASE), (url, family)
                assert nhs not in text and f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}" not in text, (url, nhs)
                assert str(public_id) not in text, (url, public_id)
    assert reached >= 10


def _xlsx_text(content: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for v in row if v is not None)


def _pdf_text(content: bytes) -> str:
    """The PDF's text, through pdftotext when poppler is installed; otherwise the raw bytes (WeasyPrint
    subsets fonts, so names would not be readable there, and the check would prove less)."""
    import shutil
    import subprocess

    assert content.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        return content.decode("latin-1")
    result = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True)
    return result.stdout.decode()
