"""Log scan: no log line written during the test run may carry a secret or a person's full data.

A pytest plugin (registered by the root conftest.py). At session start it attaches a handler at DEBUG to
the root logger, with the project's own filter chain and formatter (the ``console`` handler of
settings.LOGGING, so what is scanned is what production would write), and lowers the root logger to
DEBUG (the existing handlers keep their previous threshold, so the captured output does not change).
Every formatted line is scanned for

- a full 18-character ID number with a valid check digit and birth date,
- an 11-digit mainland mobile number,
- a password used in tests (``TEST_PASSWORD``, the demo password),
- an API bearer token (``xsm_`` + 43 url-safe characters).

At the end the run fails if anything was found, naming the logger and the test that emitted each line
(the value itself is shown masked).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

ID_CANDIDATE_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
PHONE_RE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
TOKEN_RE = re.compile(r"xsm_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def is_valid_id_number(text: str) -> bool:
    """GB 11643-1999: a real birth date and the ISO 7064 MOD 11-2 check character."""
    import datetime as dt

    text = text.upper()
    try:
        dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    if not 1800 <= int(text[6:10]) <= 2100:
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == text[17]


def scanned_passwords() -> tuple[str, ...]:
    from xinshimin.accounts.tests.factories import TEST_PASSWORD
    from xinshimin.residents.demo import DEMO_PASSWORD

    return (TEST_PASSWORD, DEMO_PASSWORD)


def _mask(value: str) -> str:
    return value[:4] + "*" * max(len(value) - 6, 3) + value[-2:]


def find_secrets(line: str, passwords: tuple[str, ...]) -> list[tuple[str, str]]:
    """(kind, masked value) for every secret in ``line``."""
    found: list[tuple[str, str]] = []
    found += [("ID number", _mask(m)) for m in ID_CANDIDATE_RE.findall(line) if is_valid_id_number(m)]
    found += [("mobile number", _mask(m)) for m in PHONE_RE.findall(line)]
    found += [("bearer token", m[:8] + "…") for m in TOKEN_RE.findall(line)]
    found += [("test password", "*" * len(p)) for p in passwords if p and p in line]
    return found


@dataclass(frozen=True)
class Offence:
    kind: str
    value: str
    logger: str
    level: str
    test: str
    excerpt: str

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.value} logged by logger {self.logger!r} ({self.level}) during {self.test}\n"
            f"    line: {self.excerpt}"
        )


class LogScanHandler(logging.Handler):
    """Formats each record with the project's chain and remembers lines that carry a secret."""

    def __init__(self, passwords: tuple[str, ...]) -> None:
        super().__init__(level=logging.DEBUG)
        self.passwords = passwords
        self.offences: list[Offence] = []
        self.records_seen = 0
        self.current_test = "<collection or session setup>"

    def emit(self, record: logging.LogRecord) -> None:
        self.records_seen += 1
        try:
            line = self.format(record)
        except Exception:  # a broken log call is not ours to report here
            return
        for kind, value in find_secrets(line, self.passwords):
            excerpt = line
            for pattern in (ID_CANDIDATE_RE, PHONE_RE, TOKEN_RE):
                excerpt = pattern.sub(lambda m: _mask(m.group(0)), excerpt)
            for password in self.passwords:
                excerpt = excerpt.replace(password, "*" * len(password))
            self.offences.append(
                Offence(kind, value, record.name, record.levelname, self.current_test, excerpt[:300])
            )


def project_handler_chain() -> tuple[list[logging.Filter], logging.Formatter]:
    """The filters and formatter of settings.LOGGING's console handler (as configured by Django)."""
    from django.conf import settings

    for handler in logging.getLogger().handlers:
        if any(f.__class__.__module__.startswith("xinshimin.") for f in handler.filters):
            return list(handler.filters), handler.formatter or logging.Formatter()
    # Not configured (e.g. LOGGING replaced): build the chain from the settings dict.
    from django.utils.module_loading import import_string

    config = settings.LOGGING
    console = config["handlers"]["console"]
    filters = [import_string(config["filters"][name]["()"])() for name in console.get("filters", [])]
    fmt = config["formatters"][console["formatter"]]["format"]
    return filters, logging.Formatter(fmt)


class LogScanPlugin:
    def __init__(self) -> None:
        self.handler: LogScanHandler | None = None
        self.root_level = logging.NOTSET
        self.lowered: list[logging.Handler] = []

    def install(self) -> None:
        handler = LogScanHandler(scanned_passwords())
        filters, formatter = project_handler_chain()
        for log_filter in filters:
            handler.addFilter(log_filter)
        handler.setFormatter(formatter)
        root = logging.getLogger()
        self.root_level = root.level
        for existing in root.handlers:
            if existing.level == logging.NOTSET:
                existing.setLevel(self.root_level)
                self.lowered.append(existing)
        root.setLevel(logging.DEBUG)
        root.addHandler(handler)
        self.handler = handler

    def uninstall(self) -> None:
        root = logging.getLogger()
        if self.handler is not None:
            root.removeHandler(self.handler)
        root.setLevel(self.root_level)
        for existing in self.lowered:
            existing.setLevel(logging.NOTSET)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.install()
        self._keep_pytest_reports_at(session.config, self.root_level or logging.WARNING)

    @staticmethod
    def _keep_pytest_reports_at(config: pytest.Config, level: int) -> None:
        """pytest's own capture handlers (failure reports, caplog's default, the log file) keep the
        threshold the root logger had, so lowering the root for the scan changes nothing they show."""
        if config.getoption("log_level", None) or config.getini("log_level"):
            return
        logging_plugin = config.pluginmanager.get_plugin("logging-plugin")
        for name in ("report_handler", "caplog_handler", "log_file_handler"):
            handler = getattr(logging_plugin, name, None)
            if isinstance(handler, logging.Handler) and handler.level == logging.NOTSET:
                handler.setLevel(level)

    def ensure_installed(self) -> None:
        """django.setup() (e.g. importing config.wsgi) reconfigures logging and drops our handler."""
        root = logging.getLogger()
        if self.handler is not None and self.handler not in root.handlers:
            filters, formatter = project_handler_chain()
            self.handler.filters = list(filters)
            self.handler.setFormatter(formatter)
            for existing in root.handlers:
                if existing.level == logging.NOTSET:
                    existing.setLevel(self.root_level)
                    self.lowered.append(existing)
            root.addHandler(self.handler)
        root.setLevel(logging.DEBUG)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[None]:
        self.ensure_installed()
        if self.handler is not None:
            self.handler.current_test = item.nodeid
        try:
            return (yield)
        finally:
            if self.handler is not None:
                self.handler.current_test = "<between tests>"

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.uninstall()
        if self.handler is not None and self.handler.offences:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.handler is None:
            return
        offences = self.handler.offences
        if not offences:
            terminalreporter.write_line(
                f"log scan: {self.handler.records_seen} log records scanned, no ID number, phone number, "
                "password or token found"
            )
            return
        terminalreporter.section("LOG SCAN FAILED", sep="=", red=True, bold=True)
        terminalreporter.write_line(
            f"{len(offences)} log line(s) carry personal data or secrets. Mask the value before logging it "
            "(xinshimin.core.masking) or leave it out; the first 50:"
        )
        for offence in offences[:50]:
            terminalreporter.write_line(f"- {offence}")


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("xinshimin-logscan"):
        config.pluginmanager.register(LogScanPlugin(), "xinshimin-logscan")
