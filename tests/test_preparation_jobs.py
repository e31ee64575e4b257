"""Batch jobs: making and sending packs, and printing letters, as background jobs that can be killed
halfway and run again without sending anything twice or missing anyone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ourplan.core.models import AuditEvent
from ourplan.messaging.models import Communication
from ourplan.preparation import jobs, pack
from ourplan.preparation.actions import do_prepare_and_send
from ourplan.preparation.models import BatchJob, PreparationPack
from tests import factories as f
from tests.prep_support import ready_cycle, with_address

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def many_people(practice, clinician, n):
    """n people with results and their tests done, who get letters by post."""
    import random

    from ourplan.people import nhs_number

    rng = random.Random(7)
    people = []
    for i in range(n):
        p = with_address(f.person(practice, f"Person{i}", f"Family{i:03d}", nhs_number.generate(rng)))
        f.condition(p, "44054006")
        f.obs(p, "hba1c", str(50 + i % 20), days_ago=300)
        f.obs(p, "hba1c", str(48 + i % 25), days_ago=5)
        ready_cycle(clinician, p)
        people.append(p)
    return people


class CrashAfter:
    """Wraps a function so that it raises after `n` calls: a worker killed halfway."""

    def __init__(self, function, n):
        self.function, self.n, self.calls = function, n, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls > self.n:
            raise RuntimeError("worker killed")
        return self.function(*args, **kwargs)


class TestSendPacksJob:
    def test_job_makes_and_sends_a_pack_for_everyone_ready(self, as_user, clinician, practice, outbox):
        people = many_people(practice, clinician, 5)
        response = as_user(clinician).post(reverse("preparation:start_job", kwargs={"kind": "send-packs"}))
        job = BatchJob.objects.get()
        assert response["Location"] == reverse("preparation:job", kwargs={"public_id": job.public_id})
        assert job.status == "finished" and job.done == job.total == 5  # the test backend runs jobs at once
        assert PreparationPack.objects.count() == 5
        assert Communication.objects.filter(kind="preparation", channel="post").count() == len(people)

    def test_a_job_killed_halfway_and_run_again_sends_nothing_twice_and_misses_no_one(
            self, monkeypatch, as_user, clinician, practice, outbox):
        people = many_people(practice, clinician, 6)
        crash = CrashAfter(pack.build_pack, 3)
        monkeypatch.setattr(pack, "build_pack", crash)
        as_user(clinician).post(reverse("preparation:start_job", kwargs={"kind": "send-packs"}))
        job = BatchJob.objects.get()
        assert job.status == "failed" and job.done == 3 and "worker killed" in job.errors[-1]["message"]
        assert PreparationPack.objects.count() == 3

        monkeypatch.setattr(pack, "build_pack", crash.function)  # the worker restarts
        page = as_user(clinician).get(reverse("preparation:job", kwargs={"public_id": job.public_id}))
        assert "Run it again" in page.content.decode()
        as_user(clinician).post(reverse("preparation:job_run_again", kwargs={"public_id": job.public_id}))
        job.refresh_from_db()
        assert job.status == "finished" and job.done == 6 and job.runs == 2
        for p in people:
            assert PreparationPack.objects.filter(person=p).count() == 1
            assert Communication.objects.filter(person=p, kind="preparation").count() == 1

    def test_people_who_cannot_get_a_pack_are_listed_and_the_rest_go(self, clinician, practice, outbox):
        people = many_people(practice, clinician, 3)
        job = jobs.do_start_job(clinician, practice, BatchJob.Kind.SEND_PACKS)
        # Between starting and running, one round is closed.
        from ourplan.recall.cycle import do_close_cycle, open_cycle

        do_close_cycle(clinician, open_cycle(people[1]))
        jobs.run_job(str(job.public_id))
        job.refresh_from_db()
        assert job.status == "finished" and PreparationPack.objects.count() == 2
        assert len(job.errors) == 1 and "FAMILY001" in job.errors[0]["person"]

    def test_a_second_click_while_running_starts_no_second_job(self, clinician, practice, outbox):
        many_people(practice, clinician, 2)
        first = jobs.do_start_job(clinician, practice, BatchJob.Kind.SEND_PACKS)
        assert jobs.do_start_job(clinician, practice, BatchJob.Kind.SEND_PACKS) == first

    def test_nothing_to_do_gives_a_clear_message(self, as_user, clinician, practice):
        response = as_user(clinician).post(reverse("preparation:start_job", kwargs={"kind": "send-packs"}),
                                           follow=True)
        assert "Nobody is waiting for a pack just now." in response.content.decode()

    def test_progress_page_polls_while_running_and_stops_when_finished(self, as_user, clinician, practice):
        many_people(practice, clinician, 1)
        job = jobs.do_start_job(clinician, practice, BatchJob.Kind.SEND_PACKS)
        url = reverse("preparation:job", kwargs={"public_id": job.public_id})
        waiting = as_user(clinician).get(url, HTTP_HX_REQUEST="true").content.decode()
        assert 'hx-trigger="every 2s"' in waiting and "<html" not in waiting
        jobs.run_job(str(job.public_id))
        finished = as_user(clinician).get(url).content.decode()
        assert "every 2s" not in finished and "1 of 1 done" in finished

    def test_staff_at_another_practice_cannot_see_the_job(self, as_user, clinician, other_clinician, practice):
        many_people(practice, clinician, 1)
        job = jobs.do_start_job(clinician, practice, BatchJob.Kind.SEND_PACKS)
        url = reverse("preparation:job", kwargs={"public_id": job.public_id})
        assert as_user(other_clinician).get(url).status_code == 404


class TestPrintLetters:
    def test_print_all_makes_one_pdf_marks_letters_printed_and_the_round_sent(
            self, as_user, clinician, practice, outbox):
        people = many_people(practice, clinician, 3)
        for p in people:
            do_prepare_and_send(clinician, p.cycles.get())
        as_user(clinician).post(reverse("preparation:start_job", kwargs={"kind": "print-letters"}))
        job = BatchJob.objects.get(kind="print-letters")
        assert job.status == "finished" and job.done == 3
        pdf = jobs.output_path(job).read_bytes()
        assert pdf.startswith(b"%PDF")
        assert set(Communication.objects.values_list("status", flat=True)) == {"sent"}
        for p in people:
            assert p.cycles.get().preparation_sent_at is not None

    def test_downloading_the_batch_is_audited_for_each_person(self, as_user, clinician, practice, outbox):
        people = many_people(practice, clinician, 2)
        for p in people:
            do_prepare_and_send(clinician, p.cycles.get())
        job = jobs.do_start_job(clinician, practice, BatchJob.Kind.PRINT_LETTERS)
        jobs.run_job(str(job.public_id))
        response = as_user(clinician).get(reverse("preparation:job_pdf", kwargs={"public_id": job.public_id}))
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
        downloads = AuditEvent.objects.filter(action="download", entity_type="LetterBatch", actor=clinician)
        assert {e.person_id_ref for e in downloads.exclude(person_id_ref=None)} == {p.public_id for p in people}
        assert downloads.filter(person_id_ref=None).count() == 1  # and one for the download itself

    def test_a_print_job_killed_halfway_prints_each_letter_once_when_run_again(
            self, monkeypatch, clinician, practice, outbox):
        from ourplan.preparation import letters

        people = many_people(practice, clinician, 4)
        for p in people:
            do_prepare_and_send(clinician, p.cycles.get())
        job = jobs.do_start_job(clinician, practice, BatchJob.Kind.PRINT_LETTERS)
        crash = CrashAfter(letters.letter_html, 2)
        monkeypatch.setattr(letters, "letter_html", crash)
        with pytest.raises(RuntimeError):
            jobs.run_job(str(job.public_id))
        job.refresh_from_db()
        assert job.status == "failed" and not jobs.output_path(job).exists()
        assert set(Communication.objects.values_list("status", flat=True)) == {"queued"}  # nothing counts as sent

        monkeypatch.setattr(letters, "letter_html", crash.function)
        jobs.do_run_again(clinician, job)
        jobs.run_job(str(job.public_id))
        job.refresh_from_db()
        assert job.status == "finished" and len(job.params["printed"]) == 4
        assert Communication.objects.filter(status="sent").count() == 4 == Communication.objects.count()
        # Running it yet again prints nothing more.
        assert jobs.run_job(str(job.public_id)) == {"done": 4, "errors": 0}

    def test_a_letter_without_an_address_is_reported_not_printed(self, clinician, practice, outbox):
        people = many_people(practice, clinician, 2)
        with_address(people[0], address="", postcode="")
        for p in people:
            do_prepare_and_send(clinician, p.cycles.get())
        job = jobs.do_start_job(clinician, practice, BatchJob.Kind.PRINT_LETTERS)
        jobs.run_job(str(job.public_id))
        job.refresh_from_db()
        assert len(job.params["printed"]) == 1 and "no postal address" in job.errors[0]["message"]
        assert Communication.objects.get(person=people[0]).status == "queued"


def test_the_job_goes_through_the_database_queue_for_the_worker(clinician, practice, outbox):
    """What `ourplan db_worker` picks up: a stored task naming the job, which runs it when called."""
    from django_tasks_db.models import DBTaskResult

    from ourplan.preparation.tasks import run_preparation_job

    many_people(practice, clinician, 2)
    job = jobs.do_start_job(clinician, practice, BatchJob.Kind.SEND_PACKS)
    run_preparation_job.using(backend="db").enqueue(str(job.public_id))
    stored = DBTaskResult.objects.get()
    assert stored.task_path == "ourplan.preparation.tasks.run_preparation_job"
    assert stored.task.call(*stored.task_result.args) == {"done": 2, "errors": 0}
    job.refresh_from_db()
    assert job.status == "finished"
