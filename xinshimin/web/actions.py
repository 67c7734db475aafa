"""The one way a page runs a service for a POST: a DomainError becomes a message, success another; redirect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from xinshimin.core.errors import DomainError


def act_then_redirect(
    request: HttpRequest, action: Callable[[], Any], *, success: str, to: str, **kwargs: Any
) -> HttpResponse:
    """Run ``action``; show its refusal (the service's own message) or ``success``; redirect to ``to``."""
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return HttpResponseRedirect(reverse(to, kwargs=kwargs))
