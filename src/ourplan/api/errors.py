"""API errors. Every failure becomes an OperationOutcome with the HTTP status FHIR expects, naming the
element at fault (`expression`) where there is one."""

from __future__ import annotations

from typing import Any


class FhirError(Exception):
    """Raised anywhere while handling a request; the view turns it into an OperationOutcome response.
    `code` is an OperationOutcome issue type (http://hl7.org/fhir/issue-type)."""

    def __init__(
        self,
        status: int,
        diagnostics: str,
        *,
        code: str = "processing",
        expression: list[str] | None = None,
        headers: dict[str, str] | None = None,
        audit_denied: bool = False,
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.diagnostics = diagnostics
        self.code = code
        self.expression = expression or []
        self.headers = headers or {}
        self.audit_denied = audit_denied


def not_found(what: str = "Resource") -> FhirError:
    # Identical for "does not exist" and "exists but you may not see it", so no one learns a record exists.
    return FhirError(404, f"{what} not found", code="not-found", audit_denied=True)


def outcome(diagnostics: str, *, code: str = "processing", severity: str = "error",
            expression: list[str] | None = None) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics or code}
    # FHIR strings may not be empty: a nameless query parameter must not produce an invalid outcome.
    expression = [e for e in expression or [] if e]
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}
