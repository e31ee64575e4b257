"""Goal check-ins: the person (or a carer they let contribute) says how a goal is going, 0 to 10 with a
note, on a rhythm they choose; reminders are queued when a check-in is due, once per due date.

`next_due` moves on only when someone checks in, so a missed check-in stays due, and the reminder key
(schedule + due date) means running the reminder job again, the same day or later, never sends twice."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from ourplan.core import audit
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.messaging.api import choose_channel, do_queue_message
from ourplan.messaging.models import Communication
from ourplan.people.models import Person
from ourplan.planning.models import Goal
from ourplan.support import goals
from ourplan.support.models import CheckInSchedule, GoalCheckIn

Rhythm = CheckInSchedule.Rhythm
NOTE_LIMIT = 500
ROLE_FOR_BASIS = {AccessBasis.SELF: GoalCheckIn.Role.PERSON, AccessBasis.CONSENT: GoalCheckIn.Role.CARER,
                  AccessBasis.DIRECT_CARE: GoalCheckIn.Role.STAFF}
REMINDER_SUBJECT = "Time to check in on your goal"
REMINDER_BODY = ("It is time to say how you are getting on with one of the goals in your care plan. "
                 "Log in to Ourplan to check in. It takes a minute.")
REMINDER_LINK = "/my/support/"


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def after(day: date, rhythm: str) -> date:
    """The next due date one rhythm after `day`."""
    if rhythm == Rhythm.WEEKLY:
        return day + timedelta(days=7)
    if rhythm == Rhythm.FORTNIGHTLY:
        return day + timedelta(days=14)
    if rhythm == Rhythm.MONTHLY:
        return add_months(day, 1)
    raise ActionError("Choose how often you want to check in", field="rhythm")


def parse_progress(raw: object) -> int:
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise ActionError("Choose how it is going, from 0 (not at all) to 10 (as well as it could)",
                          field="progress")
    if not text.isdigit() or not 0 <= int(text) <= 10:
        raise ActionError("How it is going must be a whole number from 0 to 10", field="progress")
    return int(text)


@transaction.atomic
def do_set_schedule(actor: User, person: Person, goal: Goal, rhythm: str, *, basis: AccessBasis | str,
                    today: date | None = None) -> CheckInSchedule:
    """Choose (or change) how often to check in on a goal. A new rhythm counts from the last check-in,
    or from today if there has been none."""
    today = today or timezone.localdate()
    if rhythm not in Rhythm.values:
        raise ActionError("Choose how often you want to check in", field="rhythm")
    last = GoalCheckIn.objects.filter(person=person, goal_public_id=goal.public_id).first()
    start = timezone.localdate(last.created_at) if last else today
    next_due = max(after(start, rhythm), today)
    schedule = CheckInSchedule.objects.filter(person=person, goal_public_id=goal.public_id).first()
    if schedule is None:
        schedule = CheckInSchedule.objects.create(person=person, goal_public_id=goal.public_id, rhythm=rhythm,
                                                  next_due=next_due, channel=choose_channel(person))
        action = AuditAction.CREATE
    else:
        CheckInSchedule.objects.filter(pk=schedule.pk).update(rhythm=rhythm, next_due=next_due,
                                                              channel=choose_channel(person),
                                                              updated_at=timezone.now())
        schedule.refresh_from_db()
        action = AuditAction.UPDATE
    audit.record(actor, action, "CheckInSchedule", schedule.public_id, person=person.public_id, basis=basis,
                 detail={"goal": str(goal.public_id), "rhythm": rhythm, "next_due": next_due.isoformat()})
    return schedule


@transaction.atomic
def do_check_in(actor: User, person: Person, goal: Goal, *, progress: object, note: str = "",
                basis: AccessBasis | str, today: date | None = None) -> GoalCheckIn:
    """Record how a goal is going. If the goal has a check-in rhythm, the next check-in is due one rhythm
    from today."""
    today = today or timezone.localdate()
    value = parse_progress(progress)
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise ActionError(f"Your note must be {NOTE_LIMIT} characters or fewer. It has {len(note)}", field="note")
    role = ROLE_FOR_BASIS.get(AccessBasis(basis))
    if role is None:
        raise ActionError("Only the person, a carer they chose or their care team can check in")
    checkin = GoalCheckIn.objects.create(goal_public_id=goal.public_id, person=person, progress=value, note=note,
                                         written_by=actor, role=role)
    schedule = CheckInSchedule.objects.select_for_update().filter(person=person,
                                                                  goal_public_id=goal.public_id).first()
    if schedule is not None:
        schedule.next_due = after(today, schedule.rhythm)
        schedule.updated_at = timezone.now()
        schedule.save(update_fields=["next_due", "updated_at"])
    audit.record(actor, AuditAction.CREATE, "GoalCheckIn", checkin.public_id, person=person.public_id,
                 basis=basis, detail={"goal": str(goal.public_id), "progress": value, "role": role})
    return checkin


def history(person: Person, goal_list: list[Goal]) -> dict[str, list[GoalCheckIn]]:
    """Check-ins per goal (newest first), keyed by the goal's public id as text (for templates)."""
    by_goal: dict[str, list[GoalCheckIn]] = {str(g.public_id): [] for g in goal_list}
    for c in GoalCheckIn.objects.filter(person=person, goal_public_id__in=[g.public_id for g in goal_list]) \
            .select_related("written_by"):
        by_goal[str(c.goal_public_id)].append(c)
    return by_goal


def schedules(person: Person) -> dict[str, CheckInSchedule]:
    return {str(s.goal_public_id): s for s in CheckInSchedule.objects.filter(person=person)}


def reminder_key(schedule: CheckInSchedule, due: date) -> str:
    return f"checkin:{schedule.public_id}:{due.isoformat()}"


def send_due_checkin_reminders(today: date | None = None) -> int:
    """Queue one reminder for each check-in due on or before `today` whose goal is still open. Returns how
    many reminders were newly queued; a reminder already queued for that due date is not queued again."""
    today = today or timezone.localdate()
    queued = 0
    for schedule in CheckInSchedule.objects.filter(next_due__lte=today).select_related("person"):
        person = schedule.person
        if not any(g.public_id == schedule.goal_public_id for g in goals.open_goals(person, for_person=True)):
            continue
        key = reminder_key(schedule, schedule.next_due)
        if Communication.objects.filter(key=key).exists():
            continue
        channel: str | None = schedule.channel
        try:
            do_queue_message(None, person, kind=Communication.Kind.REMINDER, key=key, subject=REMINDER_SUBJECT,
                             body=REMINDER_BODY, link=REMINDER_LINK, channel=channel)
        except ActionError:
            # The contact details for the chosen channel have gone: use the best channel we have now.
            do_queue_message(None, person, kind=Communication.Kind.REMINDER, key=key, subject=REMINDER_SUBJECT,
                             body=REMINDER_BODY, link=REMINDER_LINK)
        queued += 1
    return queued
