"""The fidelity and outcomes dashboards, their drill-downs (staff only) and exports.

Every view exists twice: for practice staff (their practices, person-level drill-downs, through
people.access) and for commissioners (aggregates only, suppressed, never a person). Both call the same
functions; the Mode says which scope, period chooser, URL names and layout to use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from ourplan.core import audit
from ourplan.core.decorators import staff_required
from ourplan.core.models import AccessBasis, AuditAction

from . import dashboards, export
from . import fidelity as fid
from .scope import (
    Period,
    Scope,
    commissioner_period,
    commissioner_required,
    commissioner_scope,
    month_choices,
    staff_period,
    staff_scope,
)
from .tables import TEXT, Table

PAGE_SIZE = 50
LISTS = {"counted": "People counted", "act": "People to act on"}


@dataclass(frozen=True)
class Mode:
    name: str
    url_prefix: str  # URL names: "insight:<prefix>fidelity"
    layout: str
    scope: Callable[[HttpRequest], Scope]
    period: Callable[[Any, date], tuple[Period, list[dict[str, str]]]]

    @property
    def aggregate_only(self) -> bool:
        return self.name == "commissioner"

    def url(self, name: str, **kwargs: Any) -> str:
        return reverse(f"insight:{self.url_prefix}{name}", kwargs=kwargs or None)


STAFF = Mode("staff", "", "layouts/staff.jinja", staff_scope, staff_period)
COMMISSIONER = Mode("commissioner", "c_", "insight/commissioner_layout.jinja", commissioner_scope, commissioner_period)


@dataclass
class Request:
    """What every insight page needs: the mode, the scope, the period, and the query string that keeps them."""

    mode: Mode
    scope: Scope
    period: Period
    errors: list[dict[str, str]]
    today: date

    @property
    def params(self) -> dict[str, str]:
        period = ({"month": self.period.end.strftime("%Y-%m")} if self.mode.aggregate_only
                  else self.period.params())
        return {**period, **self.scope.params()}

    def query(self, **extra: str) -> str:
        return urlencode({**self.params, **extra})

    def audit_detail(self, **extra: Any) -> dict[str, Any]:
        return {"from": self.period.start.isoformat(), "to": self.period.end.isoformat(),
                "practices": [str(p.public_id) for p in self.scope.practices if p.pk in self.scope.chosen_ids],
                "aggregate_only": self.scope.aggregate_only, **extra}


def _request(request: HttpRequest, mode: Mode) -> Request:
    today = timezone.localdate()
    scope = mode.scope(request)
    period, errors = mode.period(request.GET, today)
    return Request(mode, scope, period, [*scope.errors, *errors], today)


def _context(r: Request, insight_page: str, **extra: Any) -> dict[str, Any]:
    return {
        "layout": r.mode.layout, "nav": "insight", "insight_page": insight_page, "mode": r.mode, "scope": r.scope,
        "period": r.period, "errors": r.errors, "query": r.query(), "params": r.params,
        "months": month_choices(r.today) if r.mode.aggregate_only else [], "today": r.today, **extra,
    }


def _link_for(r: Request) -> Callable[[str, str], str] | None:
    if r.mode.aggregate_only:
        return None  # commissioners never get a list of people

    def link(key: str, which: str) -> str:
        if key.startswith("gap:"):
            return reverse("insight:gap_people", kwargs={"key": key[4:]}) + "?" + r.query()
        return reverse("insight:figure_people", kwargs={"key": key}) + "?" + r.query(list=which)

    return link


# ---- the dashboards ----------------------------------------------------------------------------------------


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    return redirect("insight:fidelity")


@commissioner_required
def c_index(request: HttpRequest) -> HttpResponse:
    return redirect("insight:c_fidelity")


def _fidelity(request: HttpRequest, mode: Mode) -> HttpResponse:
    r = _request(request, mode)
    board = dashboards.fidelity(r.scope, r.period, r.today, _link_for(r))
    return render(request, "insight/fidelity.jinja", _context(
        r, "fidelity", page_title="Care planning fidelity", dashboard=board,
        baseline_percent=float(fid.NATIONAL_BASELINE) * 100,
    ))


def _outcomes(request: HttpRequest, mode: Mode) -> HttpResponse:
    r = _request(request, mode)
    board = dashboards.outcomes(r.scope, r.period, r.today)
    return render(request, "insight/outcomes.jinja", _context(
        r, "outcomes", page_title="Care planning outcomes", dashboard=board,
        chart_data=dashboards.chart_json(board.charts),
    ))


@staff_required
def fidelity(request: HttpRequest) -> HttpResponse:
    return _fidelity(request, STAFF)


@commissioner_required
def c_fidelity(request: HttpRequest) -> HttpResponse:
    return _fidelity(request, COMMISSIONER)


@staff_required
def outcomes(request: HttpRequest) -> HttpResponse:
    return _outcomes(request, STAFF)


@commissioner_required
def c_outcomes(request: HttpRequest) -> HttpResponse:
    return _outcomes(request, COMMISSIONER)


# ---- exports ------------------------------------------------------------------------------------------------


def _board(r: Request, which: str) -> dashboards.Dashboard:
    if which == "fidelity":
        return dashboards.fidelity(r.scope, r.period, r.today)
    if which == "outcomes":
        return dashboards.outcomes(r.scope, r.period, r.today)
    raise Http404("Not found")


def _meta(r: Request) -> list[str]:
    lines = [f"Practice: {r.scope.chosen_label}", f"Period: {r.period.label}",
             f"Produced by Ourplan on {r.today:%d %B %Y}"]
    if r.scope.aggregate_only:
        lines.append("Counts from 1 to 4 are shown as 'fewer than 5', with other cells hidden where needed so they "
                     "cannot be worked out from totals.")
    return lines


def _export(request: HttpRequest, mode: Mode, dashboard: str, fmt: str) -> HttpResponse:
    r = _request(request, mode)
    board = _board(r, dashboard)
    key = str(request.GET.get("table", "") or "")
    tables = [t for t in board.tables if t.key == key] if key else board.tables
    if not tables or fmt not in ("csv", "xlsx"):
        raise Http404("Not found")
    stem = f"ourplan-{dashboard}-{r.period.start.isoformat()}-to-{r.period.end.isoformat()}"
    if fmt == "csv":
        table = tables[0]  # a CSV file holds one table: the one asked for, or the first
        content, kind, name = export.csv_bytes(table), "text/csv; charset=utf-8", f"{stem}-{table.key}.csv"
    else:
        name = f"{stem}-{key}.xlsx" if key else f"{stem}.xlsx"
        content, kind = export.xlsx_bytes(tables, _meta(r)), export.XLSX_TYPE
    audit.record(request.user, AuditAction.DOWNLOAD, "InsightExport", basis=_basis(r),  # type: ignore[arg-type]
                 request=request, detail=r.audit_detail(dashboard=dashboard, format=fmt,
                                                        tables=[t.key for t in tables]))
    return export.download(content, kind, name)


def _basis(r: Request) -> AccessBasis:
    # A commissioner's export holds no one's record: it is recorded as a system-level (aggregate) access.
    return AccessBasis.SYSTEM if r.scope.aggregate_only else AccessBasis.DIRECT_CARE


@staff_required
def export_table(request: HttpRequest, dashboard: str, fmt: str) -> HttpResponse:
    return _export(request, STAFF, dashboard, fmt)


@commissioner_required
def c_export_table(request: HttpRequest, dashboard: str, fmt: str) -> HttpResponse:
    return _export(request, COMMISSIONER, dashboard, fmt)


def _report(request: HttpRequest, mode: Mode) -> HttpResponse:
    r = _request(request, mode)
    fidelity_board = dashboards.fidelity(r.scope, r.period, r.today)
    outcomes_board = dashboards.outcomes(r.scope, r.period, r.today)
    content = export.report_pdf({
        "scope": r.scope, "period": r.period, "today": r.today, "meta": _meta(r),
        "boards": [("Fidelity: is care planning happening as designed?", fidelity_board),
                   ("Outcomes: what care planning achieves", outcomes_board)],
        "caveat": dashboards.OBSERVATIONAL_CAVEAT,
    })
    audit.record(request.user, AuditAction.DOWNLOAD, "InsightReport", basis=_basis(r),  # type: ignore[arg-type]
                 request=request, detail=r.audit_detail(format="pdf"))
    name = f"ourplan-care-planning-report-{r.period.start.isoformat()}-to-{r.period.end.isoformat()}.pdf"
    return export.download(content, "application/pdf", name)


@staff_required
def report(request: HttpRequest) -> HttpResponse:
    return _report(request, STAFF)


@commissioner_required
def c_report(request: HttpRequest) -> HttpResponse:
    return _report(request, COMMISSIONER)


# ---- drill-downs (practice staff only) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    public_id: Any
    name: str
    nhs_number: str
    when: Any
    detail: str


def _listed(r: Request, members: list[fid.Member]) -> list[Listed]:
    """The people behind `members`, read through the staff scope (people.access) in one query, by name.
    The whole practice's names are read rather than an IN list of ids, which would meet SQLite's limit on
    query parameters for a large practice."""
    wanted = {m.person_id for m in members}
    people: dict[int, tuple[Any, str, str, str]] = {
        pk: (public_id, family, given, nhs or "") for pk, public_id, family, given, nhs in r.scope.chosen_people()
        .values_list("pk", "public_id", "family_name", "given_name", "nhs_number") if pk in wanted}
    rows = []
    for m in members:
        if m.person_id not in people:
            continue  # not openable by this user: never listed
        public_id, family, given, nhs = people[m.person_id]
        rows.append((m, Listed(public_id, f"{family.upper()}, {given}".strip(", "), _nhs(nhs), m.when, m.detail)))
    if members and members[0].value is not None:
        rows.sort(key=lambda pair: (-(pair[0].value or 0), pair[1].name))
    else:
        rows.sort(key=lambda pair: (pair[1].name, str(pair[1].public_id)))
    return [listed for _, listed in rows]


def _nhs(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}" if len(number) == 10 else number


def _drill(request: HttpRequest, title: str, how: str, members: list[fid.Member], which: str, key: str,
           r: Request, export_name: str, *, show_lists: bool) -> HttpResponse:
    listed = _listed(r, members)
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    audit.record(request.user, AuditAction.SEARCH, "InsightDrillDown", basis=AccessBasis.DIRECT_CARE,  # type: ignore[arg-type]
                 request=request, detail=r.audit_detail(figure=key, list=which, page=page.number,
                                                        people=[str(p.public_id) for p in page.object_list],
                                                        total=len(listed)))
    return render(request, "insight/people.jinja", _context(
        r, "people", page_title=title, title=title, how=how, which=which, lists=LISTS, page=page,
        total=len(listed), key=key, paging_query=r.query(list=which), show_lists=show_lists,
        export_csv=reverse(export_name, kwargs={"key": key, "fmt": "csv"}) + "?" + r.query(list=which),
        export_xlsx=reverse(export_name, kwargs={"key": key, "fmt": "xlsx"}) + "?" + r.query(list=which),
    ))


def _which(request: HttpRequest) -> str:
    which = str(request.GET.get("list", "counted"))
    return which if which in LISTS else "counted"


def _figure_members(r: Request, key: str, which: str) -> tuple[fid.Figure, list[fid.Member]]:
    figure = fid.FIGURES_BY_KEY.get(key)
    if figure is None:
        raise Http404("Not found")
    members = figure.members(r.scope.chosen_people(), r.period, r.today)
    return figure, [m for m in members if m.counted == (which == "counted")]


@staff_required
def figure_people(request: HttpRequest, key: str) -> HttpResponse:
    r = _request(request, STAFF)
    which = _which(request)
    figure, members = _figure_members(r, key, which)
    title = f"{figure.title}: {LISTS[which].lower()}"
    return _drill(request, title, figure.how, members, which, key, r, "insight:figure_people_export",
                  show_lists=True)


@staff_required
def gap_people(request: HttpRequest, key: str) -> HttpResponse:
    r = _request(request, STAFF)
    gap = fid.GAPS_BY_KEY.get(key)
    if gap is None:
        raise Http404("Not found")
    members = fid.gap_members(r.scope.chosen_people(), r.period, gap)
    return _drill(request, f"{gap.title}: longest first", "Rounds with a conversation in the period, longest wait "
                  "between these two stages first.", members, "counted", key, r, "insight:gap_people_export",
                  show_lists=False)


def _people_export(request: HttpRequest, r: Request, key: str, title: str, members: list[fid.Member],
                   fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404("Not found")
    listed = _listed(r, members)
    table = Table("people", title, ["Name", "NHS number", "Date", "Detail"], [TEXT, TEXT, TEXT, TEXT],
                  caption=title)
    for p in listed:
        when = p.when.isoformat() if isinstance(p.when, date) and not hasattr(p.when, "hour") else (
            timezone.localtime(p.when).date().isoformat() if p.when else "")
        table.add([p.name, p.nhs_number, when, p.detail])
    audit.record(request.user, AuditAction.DOWNLOAD, "InsightDrillDown", basis=AccessBasis.DIRECT_CARE,  # type: ignore[arg-type]
                 request=request, detail=r.audit_detail(figure=key, format=fmt, total=len(listed),
                                                        people=[str(p.public_id) for p in listed]))
    stem = f"ourplan-{key}-{r.period.start.isoformat()}-to-{r.period.end.isoformat()}"
    if fmt == "csv":
        return export.download(export.csv_bytes(table), "text/csv; charset=utf-8", f"{stem}.csv")
    return export.download(export.xlsx_bytes([table], _meta(r)), export.XLSX_TYPE, f"{stem}.xlsx")


@staff_required
def figure_people_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    r = _request(request, STAFF)
    which = _which(request)
    figure, members = _figure_members(r, key, which)
    return _people_export(request, r, key, f"{figure.title}: {LISTS[which].lower()}", members, fmt)


@staff_required
def gap_people_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    r = _request(request, STAFF)
    gap = fid.GAPS_BY_KEY.get(key)
    if gap is None:
        raise Http404("Not found")
    return _people_export(request, r, f"gap-{key}", gap.title, fid.gap_members(r.scope.chosen_people(), r.period, gap),
                          fmt)

