"""Batch jobs for a practice, run by the background worker (`ourplan db_worker`; see preparation.tasks):
- make and send the preparation pack to everyone whose tests are done and who has not had one;
- print every preparation letter waiting to be posted, as one PDF, and mark those letters sent.

A job records the people (or letters) it covers when it is started, and its progress as it goes. Each
person's pack and message is keyed (one pack per cycle, one message per key), so a job that was killed
halfway can simply be run again: what was done is skipped, nothing is sent twice, nobody is missed.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ourplan.core import audit
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.messaging.api import do_mark_printed
from ourplan.messaging.models import Communication
from ourplan.people.models import Organisation
from ourplan.preparation import letters
from ourplan.preparation.actions import do_prepare_and_send
from ourplan.preparation.models import BatchJob, PreparationPack
from ourplan.recall.cycle import do_mark_stage
from ourplan.recall.models import CarePlanningCycle

# A running job updates its row after every person (or chunk of letters). One that has not done so for
# this long has almost certainly died with its worker, and may be run again.
STALE_AFTER = timedelta(minutes=5)


def ready_for_pack(practice: Organisation) -> QuerySet[CarePlanningCycle]:
    """Open rounds at `practice` whose tests are done and that have no pack yet."""
    return CarePlanningCycle.objects.filter(
        practice=practice, status=CarePlanningCycle.Status.OPEN, information_gathered_at__isnull=False,
        preparation_sent_at__isnull=True, preparation_pack__isnull=True,
    )


def letters_to_print(practice: Organisation) -> QuerySet[Communication]:
    """Preparation letters to people at `practice` that are waiting to be printed and posted."""
    return Communication.objects.filter(
        kind=Communication.Kind.PREPARATION, channel=Communication.Channel.POST,
        status=Communication.Status.QUEUED, person__practice=practice,
    )


def is_stale(job: BatchJob) -> bool:
    return job.is_active and job.updated_at < timezone.now() - STALE_AFTER


@transaction.atomic
def do_start_job(actor: User, practice: Organisation, kind: str) -> BatchJob:
    """Record a job over everyone it should cover now. While one of the same kind is still going for the
    practice, that one is returned instead (a double click starts nothing twice)."""
    running = BatchJob.objects.filter(practice=practice, kind=kind,
                                      status__in=[BatchJob.Status.QUEUED, BatchJob.Status.RUNNING]).first()
    if running is not None and not is_stale(running):
        return running
    order = ("person__family_name", "person__given_name", "pk")
    if kind == BatchJob.Kind.SEND_PACKS:
        covered = [str(i) for i in ready_for_pack(practice).order_by(*order).values_list("public_id", flat=True)]
    elif kind == BatchJob.Kind.PRINT_LETTERS:
        covered = [str(i) for i in letters_to_print(practice).order_by(*order).values_list("public_id", flat=True)]
    else:
        raise ValueError(f"Unknown job kind {kind}")
    if not covered:
        raise ActionError("Nobody is waiting for a pack just now." if kind == BatchJob.Kind.SEND_PACKS
                          else "There are no letters waiting to be printed.")
    job = BatchJob.objects.create(kind=kind, practice=practice, requested_by=actor, total=len(covered),
                                  params={"ids": covered})
    audit.record(actor, AuditAction.CREATE, "BatchJob", job.public_id, basis=AccessBasis.DIRECT_CARE,
                 detail={"kind": kind, "total": len(covered)})
    return job


def enqueue(job: BatchJob) -> None:
    """Hand the job to the background worker. Call after the job row is committed."""
    from ourplan.preparation.tasks import run_preparation_job

    run_preparation_job.enqueue(str(job.public_id))


@transaction.atomic
def do_run_again(actor: User, job: BatchJob) -> BatchJob:
    """Make a stopped (or stuck) job runnable again; the worker then carries on where it stopped."""
    if job.is_active and not is_stale(job):
        raise ActionError("This job is still running")
    if job.status == BatchJob.Status.FINISHED:
        raise ActionError("This job has finished")
    BatchJob.objects.filter(pk=job.pk).update(status=BatchJob.Status.QUEUED, updated_at=timezone.now())
    job.status = BatchJob.Status.QUEUED
    audit.record(actor, AuditAction.UPDATE, "BatchJob", job.public_id, basis=AccessBasis.DIRECT_CARE,
                 detail={"run_again": True})
    return job


def _save(job: BatchJob, **fields: Any) -> None:
    fields["updated_at"] = timezone.now()
    BatchJob.objects.filter(pk=job.pk).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)


def run_job(public_id: str) -> dict[str, int]:
    """Run (or carry on) a job. A failure marks the job stopped, with the reason, and is raised again so
    the worker records it too."""
    job = BatchJob.objects.select_related("practice", "requested_by").get(public_id=public_id)
    if job.status == BatchJob.Status.FINISHED:
        return {"done": job.done, "errors": len(job.errors)}
    _save(job, status=BatchJob.Status.RUNNING, started_at=job.started_at or timezone.now(), done=0, errors=[],
          runs=job.runs + 1)
    try:
        if job.kind == BatchJob.Kind.SEND_PACKS:
            _send_packs(job)
        else:
            _print_letters(job)
    except Exception as exc:
        _save(job, status=BatchJob.Status.FAILED,
              errors=[*job.errors, {"person": "", "message": f"The job stopped: {exc}. Run it again to carry on."}])
        raise
    return {"done": job.done, "errors": len(job.errors)}


def _problem(person: Any, message: str) -> dict[str, str]:
    return {"person": f"{person.formal_name} ({person.nhs_number_display})", "message": message}


def _send_packs(job: BatchJob) -> None:
    ids = job.params.get("ids", [])
    cycles = {str(c.public_id): c for c in
              CarePlanningCycle.objects.filter(public_id__in=ids).select_related("person", "practice")}
    errors: list[dict[str, str]] = []
    for n, public_id in enumerate(ids, start=1):
        cycle = cycles.get(public_id)
        if cycle is not None:
            try:
                # One transaction per person: a crash loses at most the person in hand, and a rerun finds
                # everyone before them done (the pack exists, the message key is taken) and skips them.
                do_prepare_and_send(job.requested_by, cycle)
            except ActionError as exc:
                errors.append(_problem(cycle.person, exc.message))
        _save(job, done=n, errors=errors)
    _save(job, status=BatchJob.Status.FINISHED, finished_at=timezone.now())


def output_path(job: BatchJob) -> Path:
    return Path(settings.DATA_DIR) / "letters" / f"{job.public_id}.pdf"


def _print_letters(job: BatchJob) -> None:
    ids = job.params.get("ids", [])
    messages = list(Communication.objects.filter(
        public_id__in=ids, status=Communication.Status.QUEUED, channel=Communication.Channel.POST,
    ).select_related("person", "cycle"))
    packs = {p.cycle_id: p for p in PreparationPack.objects.filter(cycle_id__in=[m.cycle_id for m in messages])}
    errors: list[dict[str, str]] = []
    printable: list[tuple[Communication, PreparationPack]] = []
    for message in messages:
        pack = packs.get(message.cycle_id) if message.cycle_id else None
        if pack is None:
            errors.append(_problem(message.person, "There is no preparation pack for this letter"))
        elif not pack.content["person"]["address"] and not pack.content["person"]["postcode"]:
            errors.append(_problem(message.person, "There is no postal address, so the letter was not printed"))
        else:
            printable.append((message, pack))
    already = len(ids) - len(messages)  # printed by an earlier run of this job
    _save(job, done=already, errors=errors)
    if printable:
        data, _pages = letters.batch_pdf([p for _, p in printable],
                                         progress=lambda n: _save(job, done=already + n))
        path = output_path(job)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)  # atomic: a download never sees half a file
    with transaction.atomic():
        # Only now, with the PDF safely written, do the letters count as printed (and the preparation as
        # sent). A crash before this point leaves them all queued for the next run.
        sent = [m for m, _ in printable]
        do_mark_printed(job.requested_by, sent)
        now = timezone.now()
        for message in sent:
            assert message.cycle is not None  # printable letters all have a pack, so a cycle
            try:
                do_mark_stage(job.requested_by, message.cycle, "preparation_sent", at=now)
            except ActionError as exc:
                errors.append(_problem(message.person, exc.message))
        for message in sent:
            PreparationPack.objects.filter(cycle_id=message.cycle_id).update(channel=Communication.Channel.POST)
        _save(job, status=BatchJob.Status.FINISHED, finished_at=now, errors=errors,
              output_file=str(output_path(job).relative_to(settings.DATA_DIR)) if sent else "",
              params={**job.params, "printed": [str(m.public_id) for m in sent],
                      "people": [str(m.person.public_id) for m in sent]})
        audit.record(job.requested_by, AuditAction.CREATE, "LetterBatch", job.public_id,
                     basis=AccessBasis.DIRECT_CARE, detail={"letters": len(sent), "problems": len(errors)})
