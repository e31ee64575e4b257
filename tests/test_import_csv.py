"""The CSV importer and `ourplan import-csv`: good rows are kept, each bad row is reported with its row
number and the reason, and re-importing adds nothing."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from ourplan.clinical.models import Condition, Observation
from ourplan.core.errors import ActionError
from ourplan.core.models import AuditEvent
from ourplan.imports.csv_people import DOC_END, DOC_START, code_table_markdown, import_csv
from ourplan.imports.report import Outcome
from ourplan.people.access import people_for
from ourplan.people.models import Person

HEADER = ("record_type,nhs_number,given_name,family_name,date_of_birth,sex,postcode,practice_ods,"
          "code,code_system,value,value2,unit,effective_date")
DOC = Path(__file__).resolve().parents[1] / "docs" / "csv-import.md"

GOOD = [
    "person,9990000042,Ann,Lee,14/03/1956,F,ls1 4ap,,,,,,,",  # row 2
    "condition,9990000042,,,,,,,44054006,snomed,,,,2015-06-01",  # row 3
    "result,9990000042,,,,,,,999791000000106,snomed,64,,mmol/mol,2025-01-10",  # row 4
    "result,9990000042,,,,,,,75367002,,138,84,mm[Hg],2025-01-10 09:30",  # row 5
    "result,9990000042,,,,,,,29463-7,,82.5,,kg,10/01/2025",  # row 6
]
BAD = [
    "person,9990000043,Bad,Number,1950-01-01,M,,,,,,,,",  # row 7: check digit wrong
    "person,9990000026,Too,Few",  # row 8: malformed
    "person,9990000034,Not,Born,2999-01-01,M,,,,,,,,",  # row 9: date of birth in the future
    "result,9990000042,,,,,,,123456789,snomed,5,,kg,2025-01-10",  # row 10: unknown code
    "result,9990000042,,,,,,,27113001,snomed,80,,,2025-01-10",  # row 11: missing unit
    "result,9990000042,,,,,,,27113001,snomed,8000,,kg,2025-01-10",  # row 12: implausible
    "condition,9990000042,,,,,,,44054007,snomed,,,,",  # row 13: SNOMED check digit wrong
    "result,9990000050,,,,,,,27113001,snomed,80,,kg,2025-01-10",  # row 14: nobody with that NHS number
    "patient,9990000042,,,,,,,,,,,,",  # row 15: unknown record type
]


def write(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def model_counts() -> dict[str, int]:
    return {m.__name__: m._default_manager.count() for m in apps.get_models()}


def test_good_rows_are_kept_and_each_bad_row_is_reported_with_its_row_number_and_reason(db, tmp_path):
    report = import_csv([write(tmp_path, *GOOD, *BAD)])

    assert [(i.index, i.outcome) for i in report.items[:5]] == [(n, Outcome.CREATED) for n in range(2, 7)]
    errors = {i.index: i.message for i in report.with_outcome(Outcome.ERROR)}
    assert errors[7].startswith("nhs_number '9990000043': This is not a valid NHS number: its check digit")
    assert errors[8].startswith("malformed row: it has 4 values but the header has 14 columns")
    assert errors[9] == "date_of_birth '2999-01-01': Date of birth must be in the past"
    assert errors[10].startswith("Unknown result code 123456789")
    assert errors[11] == "Body weight: the unit is missing. Expected kg"
    assert errors[12].startswith("Body weight: value 8000 is outside the possible range 2-400 kg")
    assert errors[13].startswith("code '44054007' is not a SNOMED CT code: its check digit is wrong")
    assert errors[14].startswith("no person with NHS number 999 000 0050")
    assert errors[15] == "record_type 'patient' is not one of person, condition, result"
    assert sorted(errors) == list(range(7, 16))

    ann = Person.objects.get()
    assert (ann.given_name, ann.family_name, ann.sex, ann.postcode) == ("Ann", "Lee", "female", "LS1 4AP")
    assert ann.date_of_birth == date(1956, 3, 14)
    condition = Condition.objects.get()
    assert (condition.code, condition.register, condition.onset_date) == ("44054006", "DM", date(2015, 6, 1))
    results = {o.measure: o for o in Observation.objects.all()}
    assert results["hba1c"].value == 64
    assert (results["bp"].value, results["bp"].value2) == (138, 84)
    assert (results["weight"].value, results["weight"].code_system) == (Decimal("82.5"), "http://loinc.org")
    assert AuditEvent.objects.filter(action="import", person_id_ref=ann.public_id).count() == 5


def test_re_importing_the_same_file_adds_nothing(db, tmp_path):
    path = write(tmp_path, *GOOD, *BAD)
    import_csv([path])
    after_first = model_counts()

    again = import_csv([path])

    assert model_counts() == after_first
    assert again.counts[Outcome.UNCHANGED] == 5
    assert again.counts[Outcome.CREATED] == again.counts[Outcome.UPDATED] == 0


def test_row_order_does_not_matter(db, tmp_path):
    report = import_csv([write(tmp_path, GOOD[2], GOOD[0])])

    assert {i.outcome for i in report.items} == {Outcome.CREATED}
    assert Observation.objects.get().person.nhs_number == "9990000042"


def test_a_person_already_in_ourplan_is_updated_by_nhs_number_not_duplicated(db, person, practice, tmp_path):
    before = Person.objects.count()

    [item] = import_csv([write(tmp_path, f"person,{person.nhs_number},,,,,LS2 9JT,,,,,,,")]).items

    person.refresh_from_db()
    assert item.outcome == Outcome.UPDATED and "postcode" in item.message
    assert (Person.objects.count(), person.postcode, person.family_name) == (before, "LS2 9JT", "Thompson")
    assert person.practice == practice


def test_practice_from_the_file_or_the_option_lets_staff_see_the_people(db, practice, other_practice, clinician,
                                                                      tmp_path):
    path = write(tmp_path, GOOD[0], f"person,9990000026,Bo,Hill,,,,{other_practice.ods_code},,,,,,")

    import_csv([path], practice_ods=practice.ods_code)

    assert Person.objects.get(nhs_number="9990000042").practice == practice
    assert Person.objects.get(nhs_number="9990000026").practice == other_practice
    assert list(people_for(clinician)) == [Person.objects.get(nhs_number="9990000042")]


def test_an_unknown_practice_is_refused_before_anything_is_saved(db, tmp_path):
    with pytest.raises(ActionError, match="No organisation with ODS code ZZZ99"):
        import_csv([write(tmp_path, *GOOD)], practice_ods="zzz99")
    assert not Person.objects.exists()


def test_a_header_with_an_unknown_column_makes_the_file_unreadable(db, tmp_path):
    path = write(tmp_path, "person,9990000042,Ann,Lee", header="record_type,nhs_number,given_name,surname")

    report = import_csv([path])

    [item] = report.items
    assert item.outcome == Outcome.UNREADABLE
    assert "unknown column(s) surname" in item.message
    assert report.exit_code == 1


def test_a_dry_run_saves_nothing(db, tmp_path):
    report = import_csv([write(tmp_path, *GOOD)], dry_run=True)

    assert report.counts[Outcome.CREATED] == 5
    assert not Person.objects.exists() and not AuditEvent.objects.exists()


def test_the_command_prints_a_line_per_row_and_a_summary(db, tmp_path):
    out = io.StringIO()

    call_command("import-csv", str(write(tmp_path, *GOOD, *BAD)), stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "created    people.csv row 2 person: Person LEE, Ann; note: no GP practice, so no member " \
                       "of staff can see them yet"
    assert lines[3] == ("created    people.csv row 5 result: Result bp 138/84 mmHg on 2025-01-10 for LEE, Ann")
    assert lines[5].startswith("error      people.csv row 7 person: nhs_number '9990000043'")
    assert lines[-1] == "Summary: 1 file, 14 rows: 5 created, 0 updated, 0 unchanged, 0 refused, 9 errors"


def test_the_command_fails_only_when_nothing_could_be_read(db, tmp_path):
    with pytest.raises(CommandError, match="could not be read"):
        call_command("import-csv", str(tmp_path / "missing.csv"), stdout=io.StringIO())
    call_command("import-csv", str(tmp_path / "missing.csv"), str(write(tmp_path, *GOOD)), stdout=io.StringIO())
    assert Person.objects.count() == 1


def test_the_documented_code_table_matches_the_terminology(db):
    out = io.StringIO()
    call_command("import-csv", "--codes", stdout=out)
    text = DOC.read_text()
    documented = text[text.index(DOC_START) + len(DOC_START):text.index(DOC_END)].strip()

    assert documented == code_table_markdown().strip() == out.getvalue().strip(), (
        "docs/csv-import.md is out of date: replace the table between the codes markers with the output of "
        "`ourplan import-csv --codes`")
