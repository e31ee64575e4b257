"""Controls from docs/clinical-safety/hazard-log.md that are not tested elsewhere: no lost edits, an
append-only audit trail, and secure settings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection

from ourplan.core import audit
from ourplan.core.errors import EditConflict
from ourplan.core.models import AuditEvent
from ourplan.people.actions import do_update_person


@pytest.mark.django_db
class TestLostEdit:
    def test_second_save_from_a_stale_version_is_refused_and_the_first_is_kept(self, clinician, hca, person):
        opened_version = person.version
        do_update_person(clinician, person, opened_version, phone="01632 960001")
        stale = type(person).objects.get(pk=person.pk)
        stale.version = opened_version
        with pytest.raises(EditConflict) as exc:
            do_update_person(hca, stale, opened_version, phone="01632 960999")
        assert exc.value.current_version == opened_version + 1
        person.refresh_from_db()
        assert person.phone == "01632 960001" and person.version == opened_version + 1

    def test_update_checks_the_nhs_number(self, clinician, person):
        from ourplan.core.errors import ActionError

        with pytest.raises(ActionError, match="check digit"):
            do_update_person(clinician, person, person.version, nhs_number="9434765918")


@pytest.mark.django_db
class TestAuditTrail:
    def test_events_cannot_be_changed_or_deleted_through_the_orm(self, clinician):
        event = audit.record(clinician, "read", "Person", "x")
        with pytest.raises(PermissionError):
            event.save()
        with pytest.raises(PermissionError):
            event.delete()
        with pytest.raises(PermissionError):
            AuditEvent.objects.filter(pk=event.pk).update(action="delete")
        with pytest.raises(PermissionError):
            AuditEvent.objects.all().delete()

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="the database trigger exists on PostgreSQL only")
    def test_postgresql_refuses_update_and_delete_even_in_raw_sql(self, clinician):
        from django.db import DatabaseError, transaction

        event = audit.record(clinician, "read", "Person", "x")
        for sql in ("UPDATE core_auditevent SET action = 'delete' WHERE id = %s",
                    "DELETE FROM core_auditevent WHERE id = %s"):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                    connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])


def _run_check(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    skip = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("OURPLAN_") and k not in skip}
    env.update({"OURPLAN_DATA_DIR": os.environ.get("OURPLAN_DATA_DIR", "/tmp/ourplan-check"), **env_overrides})
    return subprocess.run([sys.executable, "-m", "ourplan.manage", *args], env=env, capture_output=True,
                          text=True, timeout=120)


class TestSettings:
    def test_refuses_to_start_without_a_secret_key_when_debug_is_off(self):
        result = _run_check({}, "check")
        assert result.returncode != 0 and "OURPLAN_SECRET_KEY is not set" in result.stderr

    def test_production_configuration_passes_check_deploy(self):
        result = _run_check(
            {"OURPLAN_SECRET_KEY": "k" * 20 + "A9$zQ!v7-pL2&nR4*xT8^wE6@bY1%mC3",
             "OURPLAN_ALLOWED_HOSTS": "ourplan.example"},
            "check", "--deploy", "--fail-level", "WARNING",
        )
        assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.django_db
def test_an_audit_event_with_a_nul_character_is_still_written(clinician):
    """PostgreSQL refuses NUL in text and JSON; the event must be kept, not lost."""
    event = audit.record(clinician, "search", "Person", "a\x00b", detail={"q": "x\x00y", "list": ["\x00"]})
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.entity_id == "a\ufffdb" and event.detail == {"q": "x\ufffdy", "list": ["\ufffd"]}
