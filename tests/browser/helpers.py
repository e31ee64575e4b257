"""Steps the browser tests share."""

from __future__ import annotations

from typing import Any

# The password tests/factories.py gives every test user.
PASSWORD = "a-long-test-password"


def log_in(page: Any, live_server: Any, username: str, *, then: str | None = None) -> None:
    """Log in through the real login page; `then` waits for the page it should land on (a URL glob)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if then:
        page.wait_for_url(then)
