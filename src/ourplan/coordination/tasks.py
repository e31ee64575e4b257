"""Background jobs for co-ordination (django-tasks; the worker is `ourplan db_worker`)."""

from __future__ import annotations

from django_tasks import task

from ourplan.coordination.actions import create_due_review_tasks


@task()
def make_review_tasks() -> int:
    """The daily job: a review task for every current plan that has a review date and none yet."""
    return create_due_review_tasks()
