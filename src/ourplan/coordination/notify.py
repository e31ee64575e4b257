"""Telling people about co-ordination work, through the pluggable sender (messaging). Messages carry no
clinical detail and no name of the person the task is about: only that there is something to see, and a
link that asks the reader to log in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils import timezone

from ourplan.messaging.api import choose_channel, do_queue_message, do_queue_notice
from ourplan.messaging.models import Communication

if TYPE_CHECKING:
    from ourplan.coordination.models import Task
    from ourplan.core.models import User

NEW_TASK_SUBJECT = "You have a new task in Ourplan"
NEW_TASK_BODY = "Someone has given you a task in Ourplan. Log in to see it."
PLAN_CHANGED_SUBJECT = "Your care plan has changed"
PLAN_CHANGED_BODY = "Your care plan has been updated. Log in to Ourplan to see what changed."


def _member_channel(member: Any) -> tuple[str, str]:
    """Email if we have one for them, else a text message, else the website (the task waits on their list)."""
    if member.staff_member_id:
        practitioner = member.staff_member.practitioner
        email = practitioner.email if practitioner else ""
        phone = ""
    elif member.related_person_id:
        email, phone = member.related_person.email, member.related_person.phone
    else:
        email, phone = "", ""
    if not email and "@" in member.contact:
        email = member.contact.strip()
    if email:
        return Communication.Channel.EMAIL, email
    if phone:
        return Communication.Channel.SMS, phone
    return Communication.Channel.PORTAL, ""


def task_assigned(actor: User | None, task: Task) -> Communication | None:
    key = f"task-assigned:{task.public_id}"
    if task.for_person:
        channel = choose_channel(task.person)
        if channel == Communication.Channel.POST:
            return None  # not worth a letter: the task is on their printed plan
        return do_queue_message(actor, task.person, kind=Communication.Kind.NOTICE, key=key,
                                subject=NEW_TASK_SUBJECT, body=NEW_TASK_BODY, link=reverse("planning:my_plan"),
                                channel=channel)
    member = task.assignee
    if member is None:
        return None
    channel, address = _member_channel(member)
    link = (reverse("coordination:task", args=[task.public_id]) if not member.related_person_id
            else reverse("planning:shared_plan", args=[task.person.public_id]))
    return do_queue_notice(actor, task.person, recipient_label=member.name, channel=channel, to_address=address,
                           key=key, subject=NEW_TASK_SUBJECT, body=NEW_TASK_BODY, link=link)


def plan_changed(actor: User | None, plan: Any) -> Communication | None:
    """Tell the person their agreed plan changed, at most once a day, unless they made the change."""
    person = plan.person
    if plan.agreed_at is None or not plan.shared_with_person:
        return None
    if actor is not None and person.user_id is not None and actor.pk == person.user_id:
        return None
    channel = choose_channel(person)
    if channel == Communication.Channel.POST:
        return None  # a letter for every change would be noise; the printed plan goes at the review
    key = f"plan-changed:{plan.public_id}:{timezone.localdate().isoformat()}"
    return do_queue_message(actor, person, kind=Communication.Kind.NOTICE, key=key, subject=PLAN_CHANGED_SUBJECT,
                            body=PLAN_CHANGED_BODY, link=reverse("planning:my_plan"), channel=channel)
