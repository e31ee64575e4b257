"""Self-monitoring and contingency triggers: checking readings, the zone boundaries, the messages, the
care team alert, and carers who may or may not contribute."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ourplan.clinical.models import Observation
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditEvent
from ourplan.people.models import Consent
from ourplan.support import readings, triggers
from ourplan.support.models import HomeReading, SupportAlert
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("reading", "zone"), [
    ("400", "green"), ("320", "green"), ("319.9", "amber"), ("200", "amber"), ("199.6", "red"), ("100", "red"),
])
def test_peak_flow_zone_boundaries_against_best_of_400(reading, zone):
    # 80% exactly is green, 50% exactly is amber, 49.9% is red.
    assert triggers.peak_flow_zone(Decimal(reading), 400) == zone


@pytest.mark.parametrize(("sys", "dia", "level"), [
    (134, 84, "ok"), (135, 80, "high"), (130, 85, "high"), (179, 119, "high"), (180, 90, "severe"),
    (150, 120, "severe"),
])
def test_home_blood_pressure_levels(sys, dia, level):
    assert triggers.bp_level(Decimal(sys), Decimal(dia)) == level


def test_a_wrong_unit_gets_a_clear_message():
    with pytest.raises(ActionError, match=r"Your meter shows mg/dL\. Ourplan uses mmol/L"):
        readings.check_reading("glucose", "110", unit="mg/dL")
    with pytest.raises(ActionError, match="'furlongs' is not a unit"):
        readings.check_reading("weight", "80", unit="furlongs")


def test_an_unusual_value_is_queried_then_accepted_with_confirmation(person):
    with pytest.raises(readings.NeedsConfirmation, match=r"That looks unusual\. Is it right\?"):
        readings.check_reading("glucose", "28")
    assert readings.check_reading("glucose", "28", confirm=True).unusual
    with pytest.raises(ActionError, match="cannot be right"):
        readings.check_reading("glucose", "500", confirm=True)


def test_readings_are_stored_with_source_home_and_the_acting_user(person):
    user = person.user
    readings.do_log_reading(user, person, AccessBasis.SELF, "bp", "128", "78")
    readings.do_log_reading(user, person, AccessBasis.SELF, "glucose", "6.4")
    readings.do_log_reading(user, person, AccessBasis.SELF, "symptoms", text="Wheezy at night")
    obs = Observation.objects.get(person=person, source="home")
    assert (obs.measure, obs.value, obs.value2, obs.recorded_by) == ("bp", 128, 78, user)
    assert HomeReading.objects.filter(person=person, recorded_by=user).count() == 2
    assert AuditEvent.objects.filter(entity_type__in=["Observation", "HomeReading"], basis="self").count() == 3


def _best(person, value="400"):
    f.obs(person, "peak_flow_best", value, days_ago=30)


def test_amber_peak_flow_shows_the_action_and_alerts_the_care_team(as_user, person, clinician):
    _best(person)
    response = as_user(person.user).post("/my/readings/", {"measure": "peak_flow", "value": "220", "unit": "L/min"})
    assert response.status_code == 302
    page = as_user(person.user).get("/my/readings/").content.decode()
    assert 'data-testid="trigger-amber"' in page and "Ourplan is not an emergency service" in page
    assert 'data-testid="urgent-help"' not in page
    alert = SupportAlert.objects.get(person=person)
    assert alert.level == "amber"
    staff_page = as_user(clinician).get(f"/staff/people/{person.public_id}/support/").content.decode()
    assert "Amber: your asthma is getting worse" in staff_page


def test_red_peak_flow_shows_urgent_help(person):
    _best(person)
    logged = readings.do_log_reading(person.user, person, AccessBasis.SELF, "peak_flow", "180")
    red = logged.triggers[0]
    assert red.level == "red" and red.urgent and "call 999" in red.urgent_help and "111" in red.urgent_help
    assert "not an emergency service" in red.not_emergency


def test_severe_home_blood_pressure_is_red_and_high_is_amber(person):
    assert readings.do_log_reading(person.user, person, AccessBasis.SELF, "bp", "185", "100").triggers[0].key \
        == "bp-severe"
    assert readings.do_log_reading(person.user, person, AccessBasis.SELF, "bp", "140", "80").triggers[0].key \
        == "bp-high"
    assert readings.do_log_reading(person.user, person, AccessBasis.SELF, "bp", "125", "80").triggers == []


def test_the_reading_form_queries_unusual_values_then_saves_with_confirm(as_user, person):
    client = as_user(person.user)
    response = client.post("/my/readings/", {"measure": "glucose", "value": "27", "unit": "mmol/L"})
    assert response.status_code == 400 and "That looks unusual. Is it right?" in response.content.decode()
    assert not HomeReading.objects.exists()
    response = client.post("/my/readings/", {"measure": "glucose", "value": "27", "unit": "mmol/L", "confirm": "yes"})
    assert response.status_code == 302 and HomeReading.objects.get().unusual_confirmed


def test_bulk_csv_upload_keeps_good_rows_and_reports_bad_ones(person):
    content = (b"date,measure,value,unit\n2025-01-05 08:00,bp,132/82,mmHg\n2025-01-05,glucose,110,mg/dL\n"
               b"2025-01-06,steps,8000,steps\nyesterday,weight,80,kg\n2025-01-07,glucose,40,mmol/L\n")
    result = readings.upload_csv(person.user, person, AccessBasis.SELF, content)
    assert result.stored == 2
    assert result.errors[0].startswith("Row 3: Blood glucose (finger-prick): Your meter shows mg/dL")
    assert "Row 5: date 'yesterday'" in result.errors[1] and "Row 6: That looks unusual" in result.errors[2]


def test_a_carer_may_log_only_when_consent_allows_contributing(as_user, person, carer):
    url = f"/my/people/{person.public_id}/readings/"
    assert as_user(carer).post(url, {"measure": "weight", "value": "70"}).status_code == 404
    Consent.objects.filter(person=person).update(can_contribute=True)
    assert as_user(carer).post(url, {"measure": "weight", "value": "70"}).status_code == 302
    assert Observation.objects.get(person=person, source="home").recorded_by == carer
    assert AuditEvent.objects.filter(entity_type="Observation", basis="consent", action="create").exists()


def test_the_readings_page_draws_charts_with_the_target_band(as_user, person):
    _best(person)
    for value in ("380", "360"):
        readings.do_log_reading(person.user, person, AccessBasis.SELF, "peak_flow", value)
    payload, _ = readings.chart_payload(person)
    assert '"target":320.0' in str(payload)
    page = as_user(person.user).get("/my/readings/").content.decode()
    assert 'data-chart="peak_flow"' in page
