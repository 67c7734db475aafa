"""Browser tests: Playwright (Python) driving Debian's Chromium against pytest-django's live server.

Phone-sized viewport (390×844). Every journey saves screenshots to ``test-artifacts/screenshots/``.
Playwright cannot download its own browser here: the tests use ``/usr/bin/chromium`` (``apt-get install
chromium fonts-noto-cjk``; ``.ci/run`` installs them) and are skipped, with the reason, when it is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("XINSHIMIN_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _skip_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        return (
            f"Chromium not found at {CHROMIUM}: install Debian's Chromium and CJK fonts "
            "(apt-get install chromium fonts-noto-cjk) — .ci/run does this in CI"
        )
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    if reason is None:
        return
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def browser(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """One Chromium per test module. The test database exists before Playwright starts: Playwright's sync
    API runs an event loop in this thread, and while it runs Django refuses synchronous database calls
    unless DJANGO_ALLOW_ASYNC_UNSAFE is set — which it is, for this module only (the ORM calls of the tests
    themselves and of the database fixtures' teardown are ordinary synchronous calls)."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    outer = {alias: connections[alias] for alias in connections}
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            # Django keeps connections in context-local storage, and the running loop gives this thread a new
            # context: without this, the tests would use other connection objects than the live server, and
            # the serialized reference data (serialized_rollback) would not be restored between tests.
            for alias, connection in outer.items():
                connections[alias] = connection
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Iterator[Any]:
    """A factory of phone-sized browser pages (one context, i.e. one person, per call) on the live server."""
    contexts: list[Any] = []

    def open_page(language: str = "zh-CN") -> Any:
        context = browser.new_context(
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale=language,
            base_url=live_server.url,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def shot(page: Any, folder: Path, name: str) -> Path:
    """Save a full-page screenshot ``<name>.png`` (test-artifacts/screenshots/)."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
