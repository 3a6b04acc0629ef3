"""Signing in to the dashboard through its form, as a person would, for the Flask-client tests."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

PASSWORD = "correct horse battery"  # every test user's


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: FlaskClient, name: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns a CSRF token for later POSTs."""
    token = csrf_of(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": name, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_of(client.get("/queue").get_data(as_text=True))
