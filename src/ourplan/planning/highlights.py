"""What the person (or their representative) changed since the care team last changed the plan, so the
clinician sees it highlighted instead of rereading the whole plan."""

from __future__ import annotations

from typing import Any

from ourplan.planning.models import PlanVersion

MAX_VERSIONS_SCANNED = 200


def person_changes(latest: PlanVersion) -> dict[str, dict[str, Any]]:
    """Field path -> {"by": name, "at": when} for each field changed by the person since the newest version a
    staff member authored. One query: versions newest first, stopping at the first staff one."""
    rows = (PlanVersion.objects.filter(plan_id=latest.plan_id).order_by("-number")
            .values("author_kind", "author_label", "at", "changed")[:MAX_VERSIONS_SCANNED])
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["author_kind"] == PlanVersion.AuthorKind.STAFF:
            break
        for path in row["changed"]:
            # Newest first, so the first author seen for a path is the latest change to it.
            found.setdefault(path, {"by": row["author_label"], "at": row["at"]})
    return found


def plan_text(data: dict[str, Any]) -> str:
    """The plan's free text in reading order, for its reading age."""
    parts = [v for v in data.get("about", {}).values() if v]
    for g in data.get("goals", []):
        parts.append(g.get("person_words", ""))
        parts.extend(a.get("what", "") for a in g.get("actions", []))
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip())
