"""Errors that actions raise and views, importers and the API turn into clear messages."""

from __future__ import annotations


class ActionError(Exception):
    """A change was refused. `field` names the form field or import column it concerns."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class EditConflict(ActionError):
    """Someone else saved this record after you opened it. Nothing was overwritten."""

    def __init__(self, current_version: int) -> None:
        super().__init__(
            "Someone else changed this record after you opened it. Your changes have not been saved. "
            "Check their changes below, then make yours again.",
            field=None,
        )
        self.current_version = current_version
