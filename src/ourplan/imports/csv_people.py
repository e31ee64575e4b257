"""Importing people, their conditions and their results from a CSV file (format: docs/csv-import.md).

One long table, a `record_type` column saying what each row is, so a practice can export from a
spreadsheet in one go. Person rows are imported first, then condition and result rows, so the order of
rows does not matter. Each row is its own unit of work: a bad row is reported with its row number and the
reason, and every good row is kept. Re-importing the same file creates nothing new: people match by NHS
number, conditions by person and code, results by person, measure, time and value.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, transaction

from ourplan.clinical.models import Condition, Observation
from ourplan.clinical.terminology import (
    CONDITION_NAMES,
    LOINC,
    MEASURES,
    REGISTERS,
    SNOMED,
    condition_names,
    register_for_code,
)
from ourplan.clinical.validation import check_value, find_measure
from ourplan.core.errors import ActionError
from ourplan.core.models import User
from ourplan.imports.records import (
    ImportContext,
    Saved,
    audit_saved,
    aware,
    check_not_future,
    describe_result,
    name_for_person,
    organisation_by_ods,
    require_practice,
    save,
)
from ourplan.imports.report import ImportReport, Outcome, ReportItem
from ourplan.imports.snomed import sctid_problem
from ourplan.people import nhs_number
from ourplan.people.actions import check_person_fields
from ourplan.people.models import Organisation, Person

COLUMNS = (
    "record_type", "nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode", "address",
    "phone", "email", "practice_ods", "code", "code_system", "display", "value", "value2", "unit",
    "effective_date",
)
REQUIRED_COLUMNS = ("record_type", "nhs_number")
RECORD_TYPES = ("person", "condition", "result")
SEXES = {"female": "female", "f": "female", "male": "male", "m": "male", "other": "other",
         "unknown": "unknown", "u": "unknown"}
CODE_SYSTEMS = {"snomed": SNOMED, "sct": SNOMED, "snomed ct": SNOMED, SNOMED: SNOMED,
                "loinc": LOINC, LOINC: LOINC}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                     "%d/%m/%Y %H:%M")


class UnreadableCsv(Exception):
    pass


@dataclass(frozen=True)
class Row:
    number: int  # as a spreadsheet numbers it: the header is row 1
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "").strip()


# --- Reading ---------------------------------------------------------------------------------------------

def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in Windows-1252 unless told otherwise.
        return data.decode("cp1252", errors="replace")


def read_rows(path: Path) -> tuple[list[Row], list[tuple[int, str]]]:
    """(good rows, [(row number, problem)] for rows with the wrong number of values)."""
    try:
        text = _decode(path.read_bytes())
    except OSError as exc:
        raise UnreadableCsv(f"cannot be read ({exc.strerror or exc})") from exc
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise UnreadableCsv(f"is not a readable CSV file ({exc})") from exc
    if not records or not any(c.strip() for c in records[0]):
        raise UnreadableCsv("is empty or has no header row")
    header = [c.strip().lower() for c in records[0]]
    unknown = [c for c in header if c not in COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if unknown or missing:
        problems = ([f"unknown column(s) {', '.join(unknown)}"] if unknown else []) + (
            [f"missing column(s) {', '.join(missing)}"] if missing else [])
        raise UnreadableCsv(f"has a header Ourplan does not recognise: {'; '.join(problems)}. "
                            f"The columns are: {', '.join(COLUMNS)} (see docs/csv-import.md)")
    rows: list[Row] = []
    bad: list[tuple[int, str]] = []
    for number, cells in enumerate(records[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # blank line
        if len(cells) != len(header):
            bad.append((number, f"malformed row: it has {len(cells)} values but the header has "
                                f"{len(header)} columns (check for a missing or extra comma)"))
            continue
        rows.append(Row(number, dict(zip(header, cells, strict=True))))
    return rows, bad


# --- Values ----------------------------------------------------------------------------------------------

def parse_date(text: str, column: str) -> date:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no time zone involved
        except ValueError:
            continue
    raise ActionError(f"{column} '{text}' is not a date: use YYYY-MM-DD or DD/MM/YYYY", field=column)


def parse_moment(text: str, column: str) -> datetime:
    """A date (midnight) or date and time, in Ourplan's time zone."""
    for fmt in _DATETIME_FORMATS:
        try:
            return aware(datetime.strptime(text, fmt))  # noqa: DTZ007 - made aware in Ourplan's zone
        except ValueError:
            continue
    return aware(parse_date(text, column))


def _code_system(row: Row) -> str:
    raw = row.get("code_system")
    if not raw:
        # LOINC codes have a hyphen before their check digit; SNOMED CT codes are digits only.
        return LOINC if "-" in row.get("code") else SNOMED
    system = CODE_SYSTEMS.get(raw.lower())
    if system is None:
        raise ActionError(f"code_system '{raw}' is not SNOMED CT or LOINC (write snomed or loinc)",
                          field="code_system")
    return system


def _person_for(row: Row) -> Person:
    number = nhs_number.normalise(row.get("nhs_number"))
    problem = nhs_number.problem(number)
    if problem:
        raise ActionError(f"nhs_number '{row.get('nhs_number')}': {problem}", field="nhs_number")
    person = Person.objects.filter(nhs_number=number).first()
    if person is None:
        raise ActionError(f"no person with NHS number {nhs_number.format_nhs_number(number)}: add a person "
                          "row for them, or import them first", field="nhs_number")
    return person


# --- Rows ------------------------------------------------------------------------------------------------

@dataclass
class CsvRun:
    ctx: ImportContext
    file: str
    practice: Organisation | None


def _detail(run: CsvRun, row: Row) -> dict[str, Any]:
    return {"source": "csv", "file": run.file, "row": row.number}


def import_person_row(row: Row, run: CsvRun) -> tuple[Saved[Person], str]:
    fields: dict[str, Any] = {"nhs_number": row.get("nhs_number")}
    if not fields["nhs_number"]:
        raise ActionError("nhs_number is missing: every person row needs one", field="nhs_number")
    for column in ("given_name", "family_name", "address", "phone"):
        if row.get(column):
            fields[column] = row.get(column)
    if row.get("postcode"):
        fields["postcode"] = re.sub(r"\s+", " ", row.get("postcode").upper())
    if row.get("date_of_birth"):
        fields["date_of_birth"] = parse_date(row.get("date_of_birth"), "date_of_birth")
    if row.get("sex"):
        sex = SEXES.get(row.get("sex").lower())
        if sex is None:
            raise ActionError(f"sex '{row.get('sex')}' is not one of female, male, other, unknown", field="sex")
        fields["sex"] = sex
    if row.get("email"):
        try:
            validate_email(row.get("email"))
        except ValidationError:
            raise ActionError(f"email '{row.get('email')}' is not a valid email address", field="email") from None
        fields["email"] = row.get("email")
    try:
        cleaned = check_person_fields(fields)
    except ActionError as exc:
        value = row.get(exc.field or "")
        raise ActionError(f"{exc.field or 'row'}" + (f" '{value}'" if value else "") + f": {exc.message}",
                          field=exc.field) from exc
    existing = Person.objects.filter(nhs_number=cleaned["nhs_number"]).first()
    if existing is None and not cleaned.get("family_name"):
        raise ActionError("family_name is missing: a new person needs at least a family name", field="family_name")
    if row.get("practice_ods"):
        practice = organisation_by_ods(row.get("practice_ods"))
        if practice is None:
            raise ActionError(f"practice_ods '{row.get('practice_ods')}': no organisation with this ODS code "
                              "is in Ourplan", field="practice_ods")
        cleaned["practice"] = practice
    elif run.practice is not None and not (existing and existing.practice_id):
        cleaned["practice"] = run.practice
    saved = save(Person, existing, cleaned, ("csv:person", cleaned["nhs_number"]))
    audit_saved(run.ctx, saved, saved.obj, _detail(run, row))
    note = "" if saved.obj.practice_id else "; note: no GP practice, so no member of staff can see them yet"
    return saved, f"Person {name_for_person(saved.obj)}{note}"


def import_condition_row(row: Row, run: CsvRun) -> tuple[Saved[Condition], str]:
    person = _person_for(row)
    code = row.get("code")
    if not code:
        raise ActionError("code is missing: give the condition's SNOMED CT code", field="code")
    if _code_system(row) != SNOMED:
        raise ActionError(f"code {code}: conditions must be SNOMED CT codes, not LOINC", field="code_system")
    problem = sctid_problem(code)
    if problem:
        raise ActionError(f"code {problem}", field="code")
    fields: dict[str, Any] = {"person": person, "code_system": SNOMED, "code": code,
                              "register": register_for_code(code)}
    existing = Condition.objects.filter(person=person, code_system=SNOMED, code=code).first()
    if row.get("display") or existing is None:
        fields["display"] = (row.get("display") or condition_names(code)[0])[:255]
    if row.get("effective_date"):
        onset = parse_date(row.get("effective_date"), "effective_date")
        check_not_future(aware(onset), "effective_date (onset)", "effective_date")
        fields["onset_date"] = onset
    saved = save(Condition, existing, fields, ("csv:condition", f"{person.nhs_number}|{code}"))
    audit_saved(run.ctx, saved, person, _detail(run, row))
    register = f", {fields['register']} register" if fields["register"] else ", on no register"
    return saved, f"Condition {code} {saved.obj.display}{register} for {name_for_person(person)}"


def import_result_row(row: Row, run: CsvRun) -> tuple[Saved[Observation], str]:
    person = _person_for(row)
    code = row.get("code")
    if not code:
        raise ActionError("code is missing: give the result's SNOMED CT or LOINC code", field="code")
    system = _code_system(row)
    measure = find_measure(system, code)
    if not row.get("effective_date"):
        raise ActionError("effective_date is missing: give the date the result was taken", field="effective_date")
    when = parse_moment(row.get("effective_date"), "effective_date")
    check_not_future(when, "effective_date", "effective_date")
    fields: dict[str, Any] = {"person": person, "measure": measure.key, "code_system": system, "code": code,
                              "display": measure.display, "effective_at": when,
                              "source": Observation.Source.IMPORT}
    if measure.coded:
        if not row.get("value"):
            raise ActionError(f"{measure.display}: the value (a SNOMED CT code) is missing", field="value")
        fields.update(value_code=row.get("value"), value_display=row.get("display")[:255], unit="")
    else:
        checked = check_value(measure.key, row.get("value"), row.get("unit") or None, row.get("value2") or None)
        fields.update(value=checked.value, value2=checked.value2, unit=checked.unit)
    # The same person, measure, time and value is the same result, whoever imported it first.
    existing = Observation.objects.filter(
        person=person, measure=measure.key, effective_at=when, value=fields.get("value"),
        value2=fields.get("value2"), value_code=fields.get("value_code", ""),
    ).first()
    if existing is not None:
        saved = Saved(existing, Outcome.UNCHANGED, [])
    else:
        saved = save(Observation, None, fields, ("csv:result", ""))
        audit_saved(run.ctx, saved, person, _detail(run, row))
    return saved, f"Result {describe_result(saved.obj)} for {name_for_person(person)}"


RowImporter = Callable[[Row, CsvRun], tuple[Saved[Any], str]]
IMPORTERS: dict[str, RowImporter] = {
    "person": import_person_row, "condition": import_condition_row, "result": import_result_row,
}


def _import_row(row: Row, run: CsvRun) -> ReportItem:
    kind = row.get("record_type").lower()
    try:
        with transaction.atomic():
            saved, message = IMPORTERS[kind](row, run)
    except ActionError as exc:
        return ReportItem(run.file, row.number, f"row {row.number}", kind, "", Outcome.ERROR, exc.message)
    except DatabaseError as exc:
        return ReportItem(run.file, row.number, f"row {row.number}", kind, "", Outcome.ERROR,
                          f"the database refused it ({exc})")
    if saved.outcome is Outcome.UPDATED:
        message += f" (changed: {', '.join(saved.changed)})"
    return ReportItem(run.file, row.number, f"row {row.number}", kind, "", saved.outcome, message)


def import_csv(
    paths: Sequence[Path | str],
    *,
    practice_ods: str | None = None,
    dry_run: bool = False,
    actor: User | None = None,
    label: str = "CSV import",
) -> ImportReport:
    """Import the CSV files; one report item per data row (or unreadable file). Raises ActionError before
    anything is saved if `practice_ods` names no organisation in Ourplan."""
    report = ImportReport(dry_run=dry_run)
    practice = require_practice(practice_ods)
    ctx = ImportContext(actor, label)
    with transaction.atomic() if dry_run else nullcontext():
        for path in paths:
            report.files += 1
            name = str(path)
            try:
                rows, malformed = read_rows(Path(path))
            except UnreadableCsv as exc:
                report.add(ReportItem(name, None, "", "", "", Outcome.UNREADABLE, f"the file {exc}"))
                continue
            for number, problem in malformed:
                report.add(ReportItem(name, number, f"row {number}", "", "", Outcome.ERROR, problem))
            run = CsvRun(ctx, name, practice)
            first = [r for r in rows if r.get("record_type").lower() == "person"]
            then = [r for r in rows if r.get("record_type").lower() in ("condition", "result")]
            for row in rows:
                if row.get("record_type").lower() not in RECORD_TYPES:
                    report.add(ReportItem(
                        name, row.number, f"row {row.number}", row.get("record_type"), "", Outcome.ERROR,
                        f"record_type '{row.get('record_type')}' is not one of {', '.join(RECORD_TYPES)}"))
            for row in first + then:
                report.add(_import_row(row, run))
        if dry_run:
            transaction.set_rollback(True)
    report.sort({str(p): i for i, p in enumerate(paths)})
    return report


# --- The code table in docs/csv-import.md ------------------------------------------------------------------

def code_table_markdown() -> str:
    """The accepted codes, generated from terminology.py so the documentation cannot drift from the code.
    `ourplan import-csv --codes` prints it; a test checks docs/csv-import.md holds the current version."""
    lines = [
        "### Results (`record_type` = `result`)",
        "",
        "| Result | Unit to use | Other units accepted | SNOMED CT codes | LOINC codes "
        "| Possible range (unit to use) |",
        "|---|---|---|---|---|---|",
    ]
    for m in MEASURES.values():
        if m.coded:
            unit, others, possible = "none: `value` is a SNOMED CT code", "-", "coded"
        else:
            unit = f"`{m.unit}`"
            others = ", ".join(f"`{u}`" for u in m.units if u != m.unit) or "-"
            low, high = m.plausible
            possible = f"{low}-{high}"
            if m.paired and m.plausible2:
                possible = f"systolic {possible}; diastolic (`value2`) {m.plausible2[0]}-{m.plausible2[1]}"
        lines.append(f"| {m.display} (`{m.key}`) | {unit} | {others} | {', '.join(m.codes)} | "
                     f"{', '.join(m.loinc) or '-'} | {possible} |")
    lines += [
        "",
        "### Conditions that put a person on a register (`record_type` = `condition`)",
        "",
        "Any valid SNOMED CT code is accepted; these are the ones Ourplan's registers and recall use.",
        "",
        "| Register | Condition | SNOMED CT codes |",
        "|---|---|---|",
    ]
    for r in REGISTERS.values():
        codes = ", ".join(f"{c} ({condition_names(c)[0]})" if c in CONDITION_NAMES else c for c in r.codes)
        lines.append(f"| {r.key} ({r.cluster}) | {r.display} | {codes} |")
    return "\n".join(lines) + "\n"


DOC_START = "<!-- codes:start (generated by `ourplan import-csv --codes`; do not edit by hand) -->"
DOC_END = "<!-- codes:end -->"

