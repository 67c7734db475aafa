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


session_or_token = [SessionAuth(), TokenAuth()]
