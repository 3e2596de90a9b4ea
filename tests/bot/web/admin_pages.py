"""What tests of the secretary's pages share: the password, the CSRF token of a page, signing in."""

from __future__ import annotations

import re

ADMIN_PASSWORD = "รหัส-ทดสอบ-2567"


def csrf_token_of(client, path: str) -> str:  # type: ignore[no-untyped-def]
    """The CSRF token of the form on `path` (the page must open)."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client, password: str = ADMIN_PASSWORD):  # type: ignore[no-untyped-def]
    """Sign `client` in as the secretary; the client, for chaining."""
    response = client.post("/admin/sign-in", data={"csrf_token": csrf_token_of(client, "/admin/sign-in"), "password": password})
    assert response.status_code == 302, response.status_code
    return client
