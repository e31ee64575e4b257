"""The held queue of the FHIR importer: a good result (or condition, or related person) for a patient who is
not in Ourplan yet is held, never refused and never filed against a guessed person, and it is attached once
that patient is imported. Anything else wrong with it is still an error."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ourplan.clinical.models import Condition, Observation
from ourplan.core.models import AuditEvent
from ourplan.fhir.models import HeldResource
from ourplan.imports.fhir import import_fhir
from ourplan.imports.fhir_held import discard_held, retry_held, waiting_queue
from ourplan.imports.report import Outcome
from ourplan.people.models import Organisation, Person, Practitioner, RelatedPerson, StaffMember
from tests import factories as f
from tests.test_import_fhir import (
    ALBUMIN_PATIENT,
    NEWS2_PATIENT,
    SNOMED,
    bundle,
    by_type,
    observation,
    patient,
    uk_core_files,
    write,
)

NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
WEIGHT = "27113001"


@pytest.fixture
def later_patients(tmp_path: Path) -> Path:
    """The two patients the UK Core NEWS2 and albumin examples refer to, arriving in a later export."""
    return write(tmp_path, "patients.json", bundle(
        patient(NEWS2_PATIENT, "9990000026"),
        {k: v for k, v in patient("x", "9990000034").items() if k != "id"},
        full_urls={1: ALBUMIN_PATIENT},
    ))


def model_counts() -> dict[str, int]:
    """Rows of everything an import can write (not every model: other apps' tables are not its business)."""
    models = (Person, Organisation, Practitioner, StaffMember, RelatedPerson, Condition, Observation, HeldResource,
              AuditEvent)
    return {m.__name__: m._default_manager.count() for m in models}


def held_ids() -> set[str]:
    return set(waiting_queue().values_list("resource_id", flat=True))


# --- The UK Core examples --------------------------------------------------------------------------------

def test_the_uk_core_examples_alone_import_with_no_errors_holding_the_nine_results_for_unknown_patients(db):
    report = import_fhir(uk_core_files())

    assert report.with_outcome(Outcome.ERROR) == []
    assert by_type(report, Outcome.HELD) == {"Observation": 9}
    assert by_type(report, Outcome.CREATED) == {
        "Patient": 2, "Organization": 2, "Practitioner": 5, "PractitionerRole": 2, "RelatedPerson": 1,
        "Condition": 2, "Observation": 3,
    }
    assert report.exit_code == 0
    assert report.summary().endswith("12 refused, 0 errors, 9 held")
    # Nobody was invented for them: the only people are the two example patients.
    assert Person.objects.count() == 2 and Observation.objects.count() == 3
    assert waiting_queue().count() == 9
    albumin = waiting_queue().get(resource_id="UKCore-Observation-Lab-Albumin-Example")
    assert (albumin.waiting_for, albumin.subject_display) == (ALBUMIN_PATIENT, "WELSH, Joel")
    assert albumin.resource["valueQuantity"]["value"] == 47
    item = next(i for i in report.items if i.id == "UKCore-Observation-Lab-Albumin-Example")
    assert item.message.startswith(f"waiting for {ALBUMIN_PATIENT} (WELSH, Joel); it will be attached when that "
                                   "person is imported: Result albumin 47 g/L on 2022-03-08")
    news2 = [i for i in report.items if "NEWS2" in i.file]
    assert len(news2) == 8 and {i.outcome for i in news2} == {Outcome.HELD}
    assert news2[0].location == "Bundle.entry[0]"
    assert news2[0].message.startswith(f"waiting for Patient/{NEWS2_PATIENT}; it will be attached")


def test_importing_the_examples_again_adds_nothing_and_the_held_results_stay_held_unchanged(db):
    import_fhir(uk_core_files())
    after_first = model_counts()
    first_versions = dict(waiting_queue().values_list("public_id", "version"))

    again = import_fhir(uk_core_files())

    assert model_counts() == after_first
    assert dict(waiting_queue().values_list("public_id", "version")) == first_versions
    assert again.counts[Outcome.CREATED] == again.counts[Outcome.UPDATED] == again.counts[Outcome.HELD] == 0
    assert again.counts[Outcome.UNCHANGED] == 17 + 9
    still = [i for i in again.items if "NEWS2" in i.file]
    assert all(i.outcome is Outcome.UNCHANGED and i.message.startswith("still held, waiting for") for i in still)
    assert again.summary().endswith("0 errors, 0 held; 9 held in all, waiting for their person "
                                    "(list them with import-fhir --held)")


def test_the_held_results_are_attached_when_their_patients_are_imported_later(db, later_patients):
    import_fhir(uk_core_files())

    report = import_fhir([later_patients])

    assert by_type(report, Outcome.CREATED) == {"Patient": 2}
    attached = report.with_outcome(Outcome.ATTACHED)
    assert len(attached) == 9
    albumin_line = next(i for i in attached if i.id == "UKCore-Observation-Lab-Albumin-Example")
    assert albumin_line.message == "now belongs to EXAMPLE, Pat: Result albumin 47 g/L on 2022-03-08"
    assert albumin_line.line().startswith("attached   UKCore-Observation-Lab-Albumin-Example.xml "
                                          "Observation/UKCore-Observation-Lab-Albumin-Example: now belongs to")
    assert report.summary().endswith("0 errors, 0 held, 9 attached")
    assert not waiting_queue().exists()

    # They are now results of those people, exactly as if the patients had come first.
    news2 = {o.measure: o for o in Observation.objects.filter(person__nhs_number="9990000026")}
    assert len(news2) == 8
    assert (news2["news2"].value, news2["bp"].value, news2["bp"].value2) == (6, 120, 60)
    assert news2["acvpu"].value_code == "248234008"
    albumin = Observation.objects.get(measure="albumin")
    assert (albumin.person.nhs_number, albumin.value, albumin.unit) == ("9990000034", Decimal(47), "g/L")
    rows = HeldResource.objects.filter(status=HeldResource.Status.ATTACHED)
    assert rows.count() == 9
    assert {r.attached_entity_id for r in rows} == set(
        Observation.objects.filter(person__nhs_number__in=["9990000026", "9990000034"])
        .values_list("public_id", flat=True))
    assert all(r.resolved_at is not None and r.attached_entity_type == "Observation" for r in rows)
    # Audited as any import is, naming the person, and saying it came from the queue.
    events = AuditEvent.objects.filter(action="import", entity_type="Observation",
                                       person_id_ref=albumin.person.public_id)
    held_albumin = rows.get(resource_id="UKCore-Observation-Lab-Albumin-Example")
    assert [e.detail["held_resource"] for e in events] == [str(held_albumin.public_id)]

    # The examples imported once more find the results in place: nothing new, nothing held.
    before = model_counts()
    again = import_fhir(uk_core_files())
    assert model_counts() == before
    assert again.counts[Outcome.HELD] == again.counts[Outcome.CREATED] == 0
    assert not waiting_queue().exists()


def test_a_held_condition_and_related_person_are_attached_like_results(db, tmp_path):
    doc = bundle(
        {"resourceType": "Condition", "id": "dm", "subject": {"reference": "Patient/later"},
         "code": {"coding": [{"system": SNOMED, "code": "44054006"}]}},
        {"resourceType": "RelatedPerson", "id": "wife", "patient": {"reference": "Patient/later"},
         "name": [{"family": "Later", "given": ["Lee"]}],
         "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                                       "code": "WIFE"}]}]},
    )
    first = import_fhir([write(tmp_path, "clinical.json", doc), tmp_path / "missing.json"])
    assert [i.outcome for i in first.items] == [Outcome.HELD, Outcome.HELD, Outcome.UNREADABLE]
    assert first.exit_code == 0  # what is held is saved: the run did not fail
    assert not Condition.objects.exists() and not RelatedPerson.objects.exists()

    later = import_fhir([write(tmp_path, "later.json", patient("later", "9990000042"))])

    assert by_type(later, Outcome.ATTACHED) == {"Condition": 1, "RelatedPerson": 1}
    person = Person.objects.get(nhs_number="9990000042")
    assert Condition.objects.get(source_id="dm").person == person
    assert Condition.objects.get(source_id="dm").register == "DM"
    assert RelatedPerson.objects.get(source_id="wife").person == person


def test_retry_held_attaches_a_result_once_its_patient_is_registered_by_other_means(db, practice, tmp_path):
    by_nhs = observation("w", "", WEIGHT, {"value": 80, "code": "kg"})
    by_nhs["subject"] = {"identifier": {"system": NHS_NUMBER, "value": "9990000042"}, "display": "LEE, Ann"}
    [item] = import_fhir([write(tmp_path, "weight.json", by_nhs)]).items
    assert item.outcome is Outcome.HELD
    assert item.message.startswith("waiting for Patient with NHS number 9990000042 (LEE, Ann)")
    assert retry_held().items == []  # still nobody with that NHS number

    ann = f.person(practice, given="Ann", family="Lee", nhs="9990000042")
    report = retry_held()

    assert [i.outcome for i in report.items] == [Outcome.ATTACHED]
    assert report.still_held == 0
    assert Observation.objects.get(source_id="w").person == ann


# --- What is not held ------------------------------------------------------------------------------------

def test_a_result_with_an_unknown_code_and_an_unknown_patient_is_an_error_not_held(db, tmp_path):
    doc = bundle(
        observation("unknown-code", "Patient/nobody", "123456789", {"value": 1, "code": "mmol/L"}),
        observation("no-unit", "Patient/nobody", WEIGHT, {"value": 80}),
        observation("too-high", "Patient/nobody", WEIGHT, {"value": 8000, "code": "kg"}),
        observation("good", "Patient/nobody", WEIGHT, {"value": 80, "code": "kg"}),
    )
    name_only = observation("name-only", "", WEIGHT, {"value": 80, "code": "kg"})
    name_only["subject"] = {"display": "WELSH, Joel"}
    local_id = observation("local-id", "", WEIGHT, {"value": 80, "code": "kg"})
    local_id["subject"] = {"identifier": {"system": "https://trust.example/mrn", "value": "M123"}}

    report = import_fhir([write(tmp_path, "mixed.json", doc), write(tmp_path, "name.json", name_only),
                          write(tmp_path, "local.json", local_id)])

    outcome = {i.id: i for i in report.items}
    assert outcome["unknown-code"].outcome is Outcome.ERROR
    assert outcome["unknown-code"].message.startswith("Observation.code 123456789 (http://snomed.info/sct) is not "
                                                      "a result Ourplan knows")
    assert outcome["no-unit"].message == "Body weight: the unit is missing. Expected kg"
    assert "value 8000 is outside the possible range" in outcome["too-high"].message
    # A reference that nothing could ever match is not worth waiting for.
    assert outcome["name-only"].outcome is Outcome.ERROR
    assert "has neither a reference nor an identifier" in outcome["name-only"].message
    assert outcome["local-id"].outcome is Outcome.ERROR
    assert "only by NHS number" in outcome["local-id"].message
    assert outcome["good"].outcome is Outcome.HELD
    assert held_ids() == {"good"}


def test_a_result_for_a_patient_refused_in_the_same_import_is_an_error_to_fix_not_held(db, tmp_path):
    doc = bundle(patient("future", "9990000050", birthDate="2999-01-01"),
                 observation("w", "Patient/future", WEIGHT, {"value": 80, "code": "kg"}))

    report = import_fhir([write(tmp_path, "future.json", doc)])

    assert report.items[1].outcome is Outcome.ERROR
    assert report.items[1].message.startswith("Observation.subject Patient/future was not imported")
    assert not HeldResource.objects.exists()


def test_a_dry_run_reports_what_would_be_held_and_holds_nothing(db):
    report = import_fhir(uk_core_files(), dry_run=True)

    assert report.counts[Outcome.HELD] == 9
    assert not HeldResource.objects.exists() and not AuditEvent.objects.exists()


# --- Changes and conflicts -------------------------------------------------------------------------------

def test_a_held_result_changed_at_source_is_updated_in_the_queue_not_duplicated(db, tmp_path):
    import_fhir([write(tmp_path, "w.json", observation("w", "Patient/later", WEIGHT, {"value": 80, "code": "kg"}))])

    [item] = import_fhir([write(tmp_path, "w.json", observation("w", "Patient/later", WEIGHT,
                                                                {"value": 81, "code": "kg"}))]).items

    assert item.outcome is Outcome.UPDATED
    assert item.message.startswith("still held (changed: resource), waiting for Patient/later")
    held = waiting_queue().get()
    assert (held.resource["valueQuantity"]["value"], held.version) == (81, 2)


def test_a_held_result_whose_id_belongs_to_another_persons_record_stays_held_saying_why(db, tmp_path):
    import_fhir([write(tmp_path, "a.json", bundle(
        patient("a", "9990000042"), observation("w", "Patient/a", WEIGHT, {"value": 80, "code": "kg"})))])
    import_fhir([write(tmp_path, "b.json", observation("w", "Patient/b", WEIGHT, {"value": 80, "code": "kg"}))])
    assert held_ids() == {"w"}

    report = import_fhir([write(tmp_path, "pb.json", patient("b", "9990000026"))])

    [problem] = report.with_outcome(Outcome.ERROR)
    assert "same identifier as one imported before for a different person" in problem.message
    held = waiting_queue().get()
    assert held.reason.startswith("its person (EXAMPLE, Pat) is now in Ourplan, but it could not be attached")
    assert Observation.objects.get(source_id="w").person.nhs_number == "9990000042"


# --- Staff: listing and discarding -------------------------------------------------------------------------

def test_the_command_counts_held_resources_in_its_summary_and_lists_them(db):
    out = io.StringIO()
    call_command("import-fhir", *map(str, uk_core_files()), stdout=out)
    assert out.getvalue().splitlines()[-1] == (
        "Summary: 31 files, 38 resources: 17 created, 0 updated, 0 unchanged, 12 refused, 0 errors, 9 held")

    listing = io.StringIO()
    call_command("import-fhir", "--held", stdout=listing)

    lines = listing.getvalue().splitlines()
    assert lines[0] == "9 held resources waiting for their patient:"
    albumin = next(i for i, line in enumerate(lines) if "Observation/UKCore-Observation-Lab-Albumin-Example" in line)
    assert f"waiting for {ALBUMIN_PATIENT} (WELSH, Joel)" in lines[albumin]
    assert lines[albumin].startswith(str(waiting_queue().get(resource_id__startswith="UKCore").public_id))
    assert lines[albumin + 1].strip().startswith("Observation.subject: no patient with this reference")


def test_staff_can_discard_a_held_resource_with_a_note_and_it_is_not_held_again(db, practice_admin):
    import_fhir(uk_core_files())
    albumin = waiting_queue().get(resource_id="UKCore-Observation-Lab-Albumin-Example")
    out = io.StringIO()

    call_command("import-fhir", "--discard-held", str(albumin.public_id), "--note", "test message from the lab",
                 "--by", practice_admin.username, stdout=out)

    albumin.refresh_from_db()
    assert albumin.status == HeldResource.Status.DISCARDED
    assert (albumin.resolution_note, albumin.resolved_by) == ("test message from the lab", practice_admin)
    assert out.getvalue().startswith("Discarded Observation/UKCore-Observation-Lab-Albumin-Example")
    event = AuditEvent.objects.get(entity_type="HeldResource", entity_id=str(albumin.public_id), action="update")
    assert (event.actor, event.detail["note"]) == (practice_admin, "test message from the lab")
    assert waiting_queue().count() == 8

    again = import_fhir(uk_core_files())

    line = next(i for i in again.items if i.id == "UKCore-Observation-Lab-Albumin-Example")
    assert line.outcome is Outcome.UNCHANGED
    assert "discarded from the held queue" in line.message and "(test message from the lab)" in line.message
    assert waiting_queue().count() == 8


def test_discarding_needs_a_note_and_a_held_resource(db, tmp_path):
    import_fhir([write(tmp_path, "w.json", observation("w", "Patient/later", WEIGHT, {"value": 80, "code": "kg"}))])
    held = waiting_queue().get()

    with pytest.raises(CommandError, match="a note is required"):
        call_command("import-fhir", "--discard-held", str(held.public_id), stdout=io.StringIO())
    with pytest.raises(CommandError, match="is not the id of a held resource"):
        call_command("import-fhir", "--discard-held", "abc", "--note", "junk", stdout=io.StringIO())
    discard_held(held.public_id, "junk")
    with pytest.raises(CommandError, match="no longer held"):
        call_command("import-fhir", "--discard-held", str(held.public_id), "--note", "junk", stdout=io.StringIO())
