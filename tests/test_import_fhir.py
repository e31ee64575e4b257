"""The FHIR importer and `ourplan import-fhir`: the UK Core examples written by NHS England import (or are
refused with a reason), re-importing adds nothing, and bad resources are reported while the rest of the
same Bundle is kept."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from ourplan.clinical.models import Condition, Observation
from ourplan.core.models import AuditEvent
from ourplan.imports.fhir import import_fhir
from ourplan.imports.report import Outcome
from ourplan.people.access import people_for
from ourplan.people.models import Organisation, Person, Practitioner, RelatedPerson, StaffMember

UK_CORE = Path(__file__).resolve().parents[2] / "shared" / "fhir-examples" / "uk-core"

# The NEWS2 Bundle and the albumin example point at patients that are not among the examples. The test
# supplies them (with NHS numbers from the 999 test range) in a JSON Bundle, as a real export would.
NEWS2_PATIENT = "ad2c58ab-ffab-4366-9c76-b0322e22e881"
ALBUMIN_PATIENT = "urn:uuid:ab87a3f8-1d37-44a9-804e-5e962598a6e4"
OUT_OF_SCOPE = {
    "Appointment", "CarePlan", "CareTeam", "Communication", "Consent", "DocumentReference",
    "HealthcareService", "Provenance", "Questionnaire", "QuestionnaireResponse", "ServiceRequest", "Task",
}
SNOMED = "http://snomed.info/sct"


def uk_core_files() -> list[Path]:
    files = sorted(UK_CORE.glob("*.xml"))
    assert files, f"The UK Core examples are missing: expected them in {UK_CORE}"
    return files


def patient(id_: str, nhs: str | None = None, **extra: object) -> dict:
    resource: dict = {"resourceType": "Patient", "id": id_, "name": [{"family": "Example", "given": ["Pat"]}]}
    if nhs:
        resource["identifier"] = [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}]
    resource.update(extra)
    return resource


def observation(id_: str, subject: str, code: str, quantity: dict | None, system: str = SNOMED) -> dict:
    resource: dict = {
        "resourceType": "Observation", "id": id_, "status": "final",
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": subject}, "effectiveDateTime": "2024-05-01T10:00:00+01:00",
    }
    if quantity is not None:
        resource["valueQuantity"] = quantity
    return resource


def bundle(*entries: dict, full_urls: dict[int, str] | None = None) -> dict:
    urls = full_urls or {}
    return {
        "resourceType": "Bundle", "type": "collection",
        "entry": [{"fullUrl": urls.get(i, f"{r['resourceType']}/{r.get('id', i)}"), "resource": r}
                  for i, r in enumerate(entries)],
    }


def write(tmp_path: Path, name: str, doc: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture
def missing_patients(tmp_path: Path) -> Path:
    """The two patients the UK Core observation examples refer to, as a JSON Bundle."""
    return write(tmp_path, "patients.json", bundle(
        patient(NEWS2_PATIENT, "9990000026"),
        {k: v for k, v in patient("x", "9990000034").items() if k != "id"},
        full_urls={1: ALBUMIN_PATIENT},
    ))


def model_counts() -> dict[str, int]:
    return {m.__name__: m._default_manager.count() for m in apps.get_models()}


def by_type(report, outcome: Outcome) -> dict[str, int]:
    counted: dict[str, int] = {}
    for item in report.with_outcome(outcome):
        counted[item.type] = counted.get(item.type, 0) + 1
    return counted


# --- The UK Core examples ----------------------------------------------------------------------------------

def test_every_in_scope_uk_core_example_imports_and_the_others_are_refused_with_a_reason(db, missing_patients):
    report = import_fhir([*uk_core_files(), missing_patients])

    assert by_type(report, Outcome.CREATED) == {
        "Patient": 4, "Organization": 2, "Practitioner": 5, "PractitionerRole": 2, "RelatedPerson": 1,
        "Condition": 2, "Observation": 4 + 8,
    }
    refused = report.with_outcome(Outcome.REFUSED)
    assert {item.type for item in refused} == OUT_OF_SCOPE
    for item in refused:
        assert item.message.startswith(f"{item.type}: not imported")
    care_plan = next(i for i in refused if i.type == "CarePlan")
    assert care_plan.message == "CarePlan: not imported yet; the care plan issue adds it"
    assert report.with_outcome(Outcome.ERROR) == []
    # The UK Core snippet of a PractitionerRole has no practitioner and names its trust by ODS code only:
    # the role is kept, at an organisation recorded from that code.
    snippet = StaffMember.objects.get(source_id="UKCore-PractitionerRole-Sn-Organization-Code-Example")
    assert snippet.practitioner is None and snippet.organisation.ods_code == "RD8"
    assert (Person.objects.count(), Organisation.objects.count(), Practitioner.objects.count()) == (4, 3, 5)
    assert (StaffMember.objects.count(), RelatedPerson.objects.count()) == (2, 1)
    assert (Condition.objects.count(), Observation.objects.count()) == (2, 12)


def test_importing_the_same_files_twice_adds_nothing(db, missing_patients):
    files = [*uk_core_files(), missing_patients]
    import_fhir(files)
    after_first = model_counts()

    again = import_fhir(files)

    assert model_counts() == after_first
    assert again.counts[Outcome.CREATED] == again.counts[Outcome.UPDATED] == 0
    assert again.counts[Outcome.UNCHANGED] == 28


def test_the_examples_read_back_as_what_they_say(db, missing_patients):
    import_fhir([*uk_core_files(), missing_patients])

    richard = Person.objects.get(nhs_number="9912003888")
    assert (richard.given_name, richard.family_name, richard.sex) == ("Richard", "SMITH", "male")
    assert richard.date_of_birth == date(1970, 9, 11)
    assert (richard.postcode, richard.phone) == ("LS17 7DF", "01131231234")
    # UK Core contact preference: telephone, large print; communication in British Sign Language.
    assert richard.preferred_contact == "phone"
    assert richard.accessible_formats == ["large-print", "bsl"]
    assert richard.preferred_language == "bfi"
    joy = RelatedPerson.objects.get()
    assert (joy.person, joy.relationship, joy.relationship_code) == (richard, "spouse", "WIFE")
    bp = Observation.objects.get(person=richard, measure="bp")
    assert (bp.value, bp.value2, bp.unit) == (Decimal(142), Decimal(94), "mm[Hg]")
    assert set(richard.conditions.values_list("code", "register", "clinical_status")) == {
        ("26322001", "", "active"), ("281445000", "", "active")}
    gp = StaffMember.objects.get(source_id="UKCore-PractitionerRole-GeneralPractitioner-Example")
    assert (gp.role, gp.role_code, gp.organisation.ods_code) == ("clinician", "62247001", "GP5")

    news2 = {o.measure: o for o in Observation.objects.filter(person__nhs_number="9990000026")}
    assert news2["news2"].value == 6
    assert (news2["resp_rate"].value, news2["heart_rate"].value, news2["spo2"].value) == (21, 95, 93)
    assert news2["temperature"].value == Decimal("37.5")
    assert (news2["bp"].value, news2["bp"].value2) == (120, 60)
    assert news2["inspired_air"].value_code == "722742002"
    assert news2["acvpu"].value_code == "248234008"
    albumin = Observation.objects.get(measure="albumin")
    assert (albumin.person.nhs_number, albumin.value, albumin.unit) == ("9990000034", 47, "g/L")


def test_an_observation_whose_patient_is_nowhere_is_held_naming_the_reference(db):
    # The held queue itself is tested in test_import_held.
    report = import_fhir(uk_core_files())

    news2 = [i for i in report.items if "NEWS2" in i.file]
    assert len(news2) == 8
    assert {i.outcome for i in news2} == {Outcome.HELD}
    assert news2[0].message.startswith(f"waiting for Patient/{NEWS2_PATIENT}; it will be attached")
    assert news2[0].location == "Bundle.entry[0]"
    assert not Observation.objects.filter(measure="news2").exists()


def test_each_import_of_person_data_is_audited(db, missing_patients):
    import_fhir([*uk_core_files(), missing_patients])

    events = AuditEvent.objects.filter(action="import")
    # 4 people, 1 related person, 2 conditions, 12 results; organisations and staff are not person data.
    assert events.count() == 19
    assert set(events.values_list("basis", flat=True)) == {"system"}
    richard = Person.objects.get(nhs_number="9912003888")
    assert events.filter(person_id_ref=richard.public_id, entity_type="Observation").count() == 3


def test_contact_preferences_and_interpreter_needs_are_kept_and_never_removed_by_a_later_import(db, tmp_path):
    preference = {"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ContactPreference",
                  "extension": [
                      {"url": "PreferredContactMethod", "valueCodeableConcept": {"coding": [{
                          "system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-PreferredContactMethod",
                          "code": "9"}]}},
                      {"url": "PreferredWrittenCommunicationFormat", "valueCodeableConcept": {"coding": [{
                          "system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-PreferredWrittenCommunicationFormat",
                          "code": "12"}]}}]}
    communication = {"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSCommunication",
                     "extension": [{"url": "interpreterRequired", "valueBoolean": True}]}
    doc = patient("p", "9990000042", extension=[preference, communication],
                  communication=[{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "pl"}]}}])
    import_fhir([write(tmp_path, "p.json", doc)])
    person = Person.objects.get()
    assert (person.preferred_contact, person.accessible_formats) == ("sms", ["braille"])
    assert (person.preferred_language, person.interpreter_needed) == ("pl", True)

    person.accessible_formats = ["easy-read"]
    person.save()
    import_fhir([write(tmp_path, "p.json", doc)])

    person.refresh_from_db()
    assert person.accessible_formats == ["easy-read", "braille"]


# --- Bad resources among good ones ---------------------------------------------------------------------------

def test_bad_resources_are_reported_clearly_and_the_rest_of_the_bundle_is_kept(db, tmp_path):
    doc = bundle(
        patient("good", "9990000042"),
        patient("bad-nhs", "9990000043"),
        patient("future", "9990000050", birthDate="2999-01-01"),
        observation("hba1c", "Patient/good", "999791000000106",
                    {"value": 58, "unit": "mmol/mol", "system": "http://unitsofmeasure.org", "code": "mmol/mol"}),
        observation("unknown", "Patient/good", "123456789", {"value": 1, "code": "mmol/L"}),
        observation("no-unit", "Patient/good", "27113001", {"value": 80}),
        observation("too-high", "Patient/good", "27113001", {"value": 8000, "code": "kg"}),
        observation("orphan", "Patient/future", "27113001", {"value": 80, "code": "kg"}),
    )
    report = import_fhir([write(tmp_path, "mixed.json", doc)])

    outcome = {item.id: item for item in report.items}
    assert outcome["good"].outcome == outcome["hba1c"].outcome == Outcome.CREATED
    assert outcome["bad-nhs"].message.startswith("Patient.identifier (NHS number) 9990000043: This is not a "
                                                 "valid NHS number: its check digit is wrong")
    assert outcome["future"].message == "Patient.birthDate: Date of birth must be in the past"
    assert outcome["unknown"].message.startswith("Observation.code 123456789 (http://snomed.info/sct) is not a "
                                                 "result Ourplan knows")
    assert outcome["no-unit"].message == "Body weight: the unit is missing. Expected kg"
    assert "value 8000 is outside the possible range" in outcome["too-high"].message
    assert outcome["orphan"].message.startswith("Observation.subject Patient/future was not imported")
    assert outcome["bad-nhs"].location == "Bundle.entry[1]"
    assert list(Person.objects.values_list("source_id", flat=True)) == ["good"]
    assert list(Observation.objects.values_list("measure", "value")) == [("hba1c", Decimal(58))]


def test_a_code_outside_a_required_binding_is_refused_and_a_refuted_diagnosis_is_on_no_register(db, tmp_path):
    def condition(id_: str, clinical: str, verification: str) -> dict:
        return {
            "resourceType": "Condition", "id": id_, "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": SNOMED, "code": "44054006"}]},
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": clinical}]},
            "verificationStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification}]},
        }

    doc = bundle(patient("p", "9990000042"), condition("ok", "active", "confirmed"),
                 condition("bogus", "ongoing", "confirmed"), condition("refuted", "active", "refuted"))
    report = import_fhir([write(tmp_path, "conditions.json", doc)])

    outcome = {item.id: item for item in report.items}
    assert outcome["bogus"].outcome == Outcome.ERROR
    assert outcome["bogus"].message.startswith("Condition.clinicalStatus 'ongoing' is not one of the FHIR codes")
    assert Condition.objects.get(source_id="ok").register == "DM"
    assert Condition.objects.get(source_id="refuted").register == ""


def test_an_unreadable_file_is_reported_and_the_other_files_still_import(db, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<Patient xmlns='http://hl7.org/fhir'><id value='x'>")
    good = write(tmp_path, "org.json", {"resourceType": "Organization", "id": "o", "name": "Riverside",
                                        "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code",
                                                        "value": "Y12345"}]})

    report = import_fhir([broken, good])

    assert [i.outcome for i in report.items] == [Outcome.UNREADABLE, Outcome.CREATED]
    assert "is not well-formed XML" in report.items[0].message
    assert report.exit_code == 0
    assert import_fhir([broken]).exit_code == 1


# --- Matching what is already there --------------------------------------------------------------------------

def test_a_person_already_registered_is_matched_by_nhs_number_and_updated(db, person, practice, tmp_path):
    before = Person.objects.count()
    doc = patient("emis-123", person.nhs_number, telecom=[{"system": "phone", "value": "07700 900123"}])
    doc["name"] = [{"family": "Thompson", "given": ["Margaret"]}]
    [item] = import_fhir([write(tmp_path, "margaret.json", doc)]).items

    person.refresh_from_db()
    assert item.outcome == Outcome.UPDATED and "phone" in item.message
    assert (Person.objects.count(), person.phone, person.practice) == (before, "07700 900123", practice)
    assert AuditEvent.objects.filter(action="import", person_id_ref=person.public_id).exists()


def test_an_id_imported_before_for_a_different_nhs_number_is_not_overwritten(db, tmp_path):
    import_fhir([write(tmp_path, "a.json", patient("p1", "9990000042"))])

    [item] = import_fhir([write(tmp_path, "b.json", patient("p1", "9990000026"))]).items

    assert item.outcome == Outcome.ERROR
    assert "different NHS number" in item.message
    assert list(Person.objects.values_list("nhs_number", flat=True)) == ["9990000042"]


def test_references_resolve_to_records_imported_in_an_earlier_run(db, tmp_path):
    import_fhir([UK_CORE / "UKCore-Patient-RichardSmith-Example.xml"])

    report = import_fhir([UK_CORE / "UKCore-Observation-VitalSigns-BodyWeight-Example.xml"])

    assert report.items[0].outcome == Outcome.CREATED
    assert Observation.objects.get().person.nhs_number == "9912003888"


def test_a_general_practitioner_reference_registers_the_person_at_that_practice(db, tmp_path):
    doc = patient("p", "9990000042", generalPractitioner=[
        {"reference": "Organization/UKCore-Organization-WhiteRoseMedicalCentre-Example"}])
    import_fhir([UK_CORE / "UKCore-Organization-WhiteRoseMedicalCentre-Example.xml",
                 write(tmp_path, "p.json", doc)])

    person = Person.objects.get()
    assert person.practice.ods_code == "GP5"
    assert person.practice.kind == Organisation.Kind.GP_PRACTICE


def test_the_practice_option_lets_the_practice_staff_see_people_without_a_gp(db, practice, clinician):
    import_fhir([UK_CORE / "UKCore-Patient-RichardSmith-Example.xml"], practice_ods=practice.ods_code)

    richard = Person.objects.get(nhs_number="9912003888")
    assert richard.practice == practice
    assert richard in people_for(clinician)


def test_a_dry_run_reports_everything_and_saves_nothing(db, missing_patients):
    before = model_counts()

    report = import_fhir([*uk_core_files(), missing_patients], dry_run=True)

    assert report.counts[Outcome.CREATED] == 28
    assert model_counts() == before
    assert report.summary().endswith("Dry run: nothing was saved")


# --- The command line ---------------------------------------------------------------------------------------

def test_the_command_prints_a_line_per_resource_and_a_summary(db, practice, missing_patients):
    out = io.StringIO()

    call_command("import-fhir", str(UK_CORE), str(missing_patients), "--practice", practice.ods_code, stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 28 + 12 + 1
    assert lines[-1] == ("Summary: 32 files, 40 resources: 28 created, 0 updated, 0 unchanged, "
                         "12 refused, 0 errors, 0 held")
    assert any(line.startswith("refused    UKCore-CarePlan-WellnessPlan-Example.xml CarePlan/") for line in lines)
    assert any(line.startswith("created    UKCore-Bundle-NEWS2Observations-Example.xml Bundle.entry[3] ")
               for line in lines)


def test_the_command_fails_only_when_nothing_could_be_read(db, tmp_path):
    with pytest.raises(CommandError, match="could not be read"):
        call_command("import-fhir", str(tmp_path / "missing.json"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="No organisation with ODS code ZZZ99"):
        call_command("import-fhir", str(UK_CORE), "--practice", "ZZZ99", stdout=io.StringIO())
