"""What counts as a "sensitive section" of a person's record: mental health (mood and anxiety scores,
depression and serious mental illness, goals the person or clinician marked sensitive, mental-health crisis
plans) and safeguarding notes. Sensitive rows are hidden from everyone except the person, clinical staff
at their own GP practice, emergency access, and those the person explicitly shared sensitive sections with
(people.access.sees_sensitive decides who; this module only says what)."""

from __future__ import annotations

from django.db.models import Q

from ourplan.clinical.terminology import REGISTERS

SENSITIVE_MEASURES: frozenset[str] = frozenset({"phq9", "phq2", "gad7"})
SENSITIVE_REGISTERS: frozenset[str] = frozenset({"DEPR", "MH"})
SENSITIVE_QUESTIONNAIRES: frozenset[str] = frozenset({"phq9", "phq2", "gad7"})
SENSITIVE_CONTINGENCY_KINDS: frozenset[str] = frozenset({"mental-health"})
# Mental health conditions outside the QOF registers above: SNOMED CT codes, listed because Ourplan has no
# terminology server to test "is a mental disorder" by hierarchy. 197480006 Anxiety disorder (in
# shared/clinical-reference.md); 21897009 Generalized anxiety disorder (UNVERIFIED: check before go-live).
OTHER_MENTAL_HEALTH_CODES = frozenset({"197480006", "21897009"})
_SENSITIVE_CONDITION_CODES = frozenset(
    {code for key in SENSITIVE_REGISTERS for code in REGISTERS[key].codes} | OTHER_MENTAL_HEALTH_CODES)


def sensitive_observation_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}measure__in": sorted(SENSITIVE_MEASURES)})


def sensitive_condition_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}register__in": sorted(SENSITIVE_REGISTERS)}) | Q(
        **{f"{prefix}code__in": sorted(_SENSITIVE_CONDITION_CODES)})


def sensitive_goal_q(prefix: str = "") -> Q:
    """Goals marked sensitive, and goals that give a sensitive condition away: linked to the depression or
    SMI register, or with a mood-score target."""
    q = Q(**{f"{prefix}sensitive": True}) | Q(**{f"{prefix}measure__in": sorted(SENSITIVE_MEASURES)})
    for key in sorted(SENSITIVE_REGISTERS):
        # `registers` is a JSON list of register keys; matching the quoted key works on SQLite and PostgreSQL.
        q |= Q(**{f"{prefix}registers__icontains": f'"{key}"'})
    return q


def is_sensitive_goal(sensitive: bool, measure: str, registers: list[str] | None) -> bool:
    """The same rule for one goal (a model row or a plan snapshot's goal)."""
    return bool(sensitive or measure in SENSITIVE_MEASURES or set(registers or ()) & SENSITIVE_REGISTERS)


def sensitive_questionnaire_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}questionnaire__in": sorted(SENSITIVE_QUESTIONNAIRES)})


def is_sensitive_measure(measure: str) -> bool:
    return measure in SENSITIVE_MEASURES


def is_sensitive_register(register: str) -> bool:
    return register in SENSITIVE_REGISTERS


def is_sensitive_condition(register: str, code: str) -> bool:
    return register in SENSITIVE_REGISTERS or code in _SENSITIVE_CONDITION_CODES
