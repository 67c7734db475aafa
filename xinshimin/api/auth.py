"""API authentication: the browser's session (with CSRF) or a bearer token for department systems."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from xinshimin.accounts.services import api_token_authenticate


class TokenAuth(HttpBearer):
    """``Authorization: Bearer xsm_…``. Never logs the header (ninja's base class does in DEBUG)."""

    def __call__(self, request: HttpRequest) -> Any:
        value = request.headers.get(self.header, "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class BrowserSessionAuth(SessionAuth):
    """The browser's session, with ninja's CSRF check — but only when there is a session cookie: a request
    without one carries no ambient credential to forge (ninja would otherwise refuse a department
    system's bearer-token POST with "CSRF check Failed" before the token is even looked at)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)


# The token first: a request that brings one is a system's call, whatever cookies it also carries.
session_or_token = [TokenAuth(), BrowserSessionAuth()]
