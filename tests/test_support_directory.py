"""The community services directory: curation with validation and versioned edits, CSV and FHIR import,
ranked search with distance, and the demo seed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from ourplan.core.errors import ActionError, EditConflict
from ourplan.core.models import AuditEvent
from ourplan.support import directory
from ourplan.support.demo_services import seed_services
from ourplan.support.models import Service
from ourplan.support.services import do_create_service, do_update_service

FHIR_EXAMPLE = "/work/shared/fhir-examples/uk-core/UKCore-HealthcareService-OrthopaedicService-Example.xml"
pytestmark = pytest.mark.django_db


def _service(**extra):
    fields = {"name": "Riverside Walking Group", "description": "A health walk", "category_codes":
              "physical-activity", "postcode": "RV1 2AB", "online": False} | extra
    return do_create_service(None, **fields)


def test_creating_a_service_places_it_at_its_postcode_district_and_audits(clinician):
    service = do_create_service(clinician, name="Walk", description="A walk", category_codes="physical-activity",
                                postcode="rv1 2ab")
    assert service.postcode == "RV1 2AB" and service.latitude == pytest.approx(53.8)
    assert AuditEvent.objects.filter(entity_type="Service", entity_id=str(service.public_id), action="create").exists()


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": ""}, "Enter the name of the service"),
    ({"description": " "}, "Describe what the service offers"),
    ({"category_codes": ""}, "Choose at least one category"),
    ({"category_codes": "yoga"}, "Unknown category 'yoga'"),
    ({"email": "not-an-email"}, "Enter an email address in the correct format"),
    ({"min_age": 70, "max_age": 60}, "youngest age must not be above"),
    ({"postcode": "NOT A POSTCODE"}, "is not a postcode"),
    ({"condition_registers": "XYZ"}, "Unknown condition register"),
])
def test_service_validation_gives_a_clear_message(fields, message):
    with pytest.raises(ActionError, match=message):
        _service(**fields)


def test_a_stale_edit_is_refused_with_a_conflict_message(clinician):
    service = _service()
    do_update_service(clinician, service, 1, name="Renamed")
    with pytest.raises(EditConflict, match="Someone else changed this record"):
        do_update_service(clinician, Service.objects.get(pk=service.pk), 1, name="Mine")
    assert Service.objects.get(pk=service.pk).name == "Renamed"


def test_services_not_checked_for_six_months_are_flagged_and_filterable():
    old = _service(name="Old", last_checked=timezone.localdate() - timedelta(days=200))
    fresh = _service(name="Fresh", last_checked=timezone.localdate() - timedelta(days=10))
    assert old.is_stale() and not fresh.is_stale()
    assert [h.service for h in directory.search(stale_only=True)] == [old]


def test_csv_import_reports_bad_rows_keeps_good_ones_and_does_not_duplicate(tmp_path):
    path = tmp_path / "services.csv"
    path.write_text(
        "id,name,description,categories,cost,access_route,postcode,online,last_checked\n"
        "w1,Millbrook Walking Group,Health walk,Physical activity;social-connection,free,self,RV4 1AB,,2025-01-10\n"
        "w2,,No name,physical-activity,free,self,RV4 1AB,,\n"
        "w3,Chat line,Phone chat,Social connection,free,both,,yes,\n"
        "w4,Bad cat,Something,knitting,free,self,RV1 1AA,,\n")
    call_command("import-services", str(path))
    assert Service.objects.count() == 2
    report_again = __import__("ourplan.support.services_import", fromlist=["x"]).import_csv(path)
    assert report_again.count("updated") == 2 and report_again.count("created") == 0
    errors = [line for line in report_again.lines if line.outcome == "error"]
    assert "row 3" in errors[0].where and "Enter the name" in errors[0].detail
    assert "Unknown category 'knitting'" in errors[1].detail
    assert Service.objects.count() == 2


def test_the_uk_core_healthcare_service_example_imports_once(capsys):
    call_command("import-services", FHIR_EXAMPLE)
    call_command("import-services", FHIR_EXAMPLE)
    service = Service.objects.get()
    assert service.name == "Orthopaedic Trauma Services"
    assert service.phone == "0113 3926991" and service.email == "patientexperience.leedsth@nhs.net"
    assert service.cost == "free" and service.access_route == "professional"
    assert "Mon, Tue, Thu, Fri" in service.opening_times and service.accessibility == "Wheelchair access"
    assert service.source_id == "RR813"
    assert "1 updated" in capsys.readouterr().out


def test_searching_walking_group_near_the_practice_ranks_walking_groups_first_by_distance():
    seed_services()
    hits = directory.search("walking group", near="RV1 1AA")
    groups = [h for h in hits if "walking group" in h.service.name.lower()]
    assert len(groups) >= 4
    assert hits[:len(groups)] == groups  # every real walking group before anything else
    distances = [h.distance_km for h in groups]
    assert distances == sorted(distances)
    assert groups[0].service.name == "Riverside Walking Group"
    names = [h.service.name for h in hits]
    assert names.index("Walking Aid Loans (Red Cross)") > len(groups) - 1


def test_filters_by_category_cost_and_access_route():
    seed_services()
    hits = directory.search(categories=["money-housing"], cost="free", access_route="self")
    assert hits and all("money-housing" in h.service.categories and h.service.cost == "free"
                        and h.service.access_route in {"self", "both"} for h in hits)


def test_an_unknown_postcode_gives_a_clear_message():
    with pytest.raises(ActionError, match="We do not know where ZZ9 9ZZ is"):
        directory.search("walk", near="ZZ9 9ZZ")
    with pytest.raises(ActionError, match="is not a postcode"):
        directory.search("walk", near="hello there")


def test_suggestions_for_social_connection_are_nearby_befriending_and_groups():
    seed_services()
    hits = directory.suggestions(["social-connection"], "RV1 4QB", limit=5)
    assert len(hits) == 5 and all("social-connection" in h.service.categories for h in hits)
    assert [h.distance_km for h in hits] == sorted(h.distance_km for h in hits)


def test_seed_services_is_deterministic_and_has_sixty_services():
    assert seed_services()["created"] >= 60
    assert seed_services() == {"created": 0, "updated": Service.objects.count()}
    names = set(Service.objects.values_list("name", flat=True))
    for expected in ("Riverside Befriending Service", "Citizens Advice Riverside: Debt and Benefits",
                     "Riverside Stop Smoking Service", "Take Control: Type 2 Diabetes Course",
                     "Pulmonary Rehabilitation (Riverside Community Health)", "Riverside Talking Therapies",
                     "Riverside Carers Centre", "Breathe Easy Riverside"):
        assert expected in names


def test_load_postcode_districts_replaces_the_bundled_table(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("pcd_district,latitude,longitude\nLS9,53.80,-1.50\n")
    call_command("load-postcode-districts", str(path))
    assert directory.postcodes.centroid("LS9 7TF") == (53.80, -1.50)
    assert directory.postcodes.centroid("RV1") is None  # a loaded table is authoritative


def test_staff_add_a_service_through_the_form_and_see_errors(as_user, clinician):
    client = as_user(clinician)
    response = client.post("/staff/services/new/", {"name": "", "description": "x", "categories": ["carers"],
                                                      "postcode": "RV1 1AA"})
    assert response.status_code == 400 and "Enter the name of the service" in response.content.decode()
    response = client.post("/staff/services/new/", {"name": "Carers group", "description": "x",
                                                      "categories": ["carers"], "postcode": "RV1 1AA", "cost": "free",
                                                      "access_route": "both"})
    assert response.status_code == 302 and Service.objects.filter(name="Carers group").exists()


def test_staff_edit_with_an_old_version_shows_the_conflict(as_user, clinician):
    service = _service()
    do_update_service(clinician, service, 1, name="Changed by someone")
    response = as_user(clinician).post(f"/staff/services/{service.public_id}/edit/", {
        "version": "1", "name": "Mine", "description": "x", "categories": ["carers"], "postcode": "RV1 1AA",
        "cost": "free", "access_route": "both"})
    assert response.status_code == 400 and "Someone else changed this record" in response.content.decode()


def test_directory_search_page_shows_unknown_postcode_message(as_user, clinician):
    _service()
    response = as_user(clinician).get("/staff/services/", {"q": "walk", "near": "ZZ9 9ZZ"})
    assert "We do not know where ZZ9 9ZZ is" in response.content.decode()


def test_directory_pages_are_for_staff_only(as_user, anonymous, person, carer):
    assert anonymous.get("/staff/services/").status_code == 302
    assert as_user(person.user).get("/staff/services/").status_code == 404
    assert as_user(carer).get("/staff/services/new/").status_code == 404
