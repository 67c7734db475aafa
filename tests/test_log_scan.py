"""The log scan itself: what it finds, what it lets through, and that it watches this very run."""

from __future__ import annotations

import logging

import pytest

from xinshimin.accounts.models import ApiToken
from xinshimin.accounts.tests.factories import TEST_PASSWORD
from xinshimin.residents.demo import DEMO_PASSWORD

from .logscan import (
    LogScanHandler,
    find_secrets,
    is_valid_id_number,
    project_handler_chain,
    scanned_passwords,
)

ID = "522401199203154513"  # valid check digit
PHONE = "13812345678"
PASSWORDS = scanned_passwords()


def test_the_passwords_used_in_tests_are_scanned_for():
    assert set(PASSWORDS) == {TEST_PASSWORD, DEMO_PASSWORD}


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (f"looking up {ID} now", "ID number"),
        ("id=11010519491231002X", "ID number"),
        (f"手机{PHONE}已验证", "mobile number"),
        (f"phone={PHONE}", "mobile number"),
        (f"Authorization: Bearer {ApiToken.new_secret()}", "bearer token"),
        (f"login with {TEST_PASSWORD}", "test password"),
        (f"demo password is {DEMO_PASSWORD}", "test password"),
    ],
)
def test_finds_every_kind_of_secret(line, kind):
    assert [k for k, _value in find_secrets(line, PASSWORDS)] == [kind]


@pytest.mark.parametrize(
    "line",
    [
        "522401********4513 138****5678",  # masked, as the filter writes them
        "522401199203154514",  # wrong check digit
        "522401199213154513",  # month 13: not a birth date
        "order 13812345678901 at 2025-06-02 10:00:00,123",  # 14 digits: not a phone number
        "[3f13812345678abc] request id",  # hex request id with digits inside
        "xsm_short-token",
    ],
)
def test_lets_masked_values_and_lookalikes_through(line):
    assert find_secrets(line, PASSWORDS) == []


def test_check_digit_rule():
    assert is_valid_id_number("11010519491231002X")
    assert not is_valid_id_number("110105194912310021")


def test_the_handler_scans_after_the_projects_redaction_filter():
    """An ID number or phone in a message is masked by the project's filter: no offence. A token is not
    masked by that filter, so it is caught."""
    handler = LogScanHandler(PASSWORDS)
    filters, formatter = project_handler_chain()
    for log_filter in filters:
        handler.addFilter(log_filter)
    handler.setFormatter(formatter)
    logger = logging.getLogger("xinshimin.tests.logscan")
    logger.addHandler(handler)
    logger.propagate = False  # the token below is meant for this handler, not for the run's own scan
    try:
        logger.warning("resident %s phone %s", ID, PHONE)
        assert handler.offences == []
        logger.warning("token %s", "xsm_" + "A" * 43)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    [offence] = handler.offences
    assert offence.kind == "bearer token" and offence.logger == "xinshimin.tests.logscan"
    assert "A" * 43 not in offence.excerpt and "A" * 43 not in str(offence)


def test_the_scan_is_watching_this_run(request):
    plugin = request.config.pluginmanager.get_plugin("xinshimin-logscan")
    assert plugin is not None and plugin.handler in logging.getLogger().handlers
    assert plugin.handler.current_test == request.node.nodeid
    assert logging.getLogger().isEnabledFor(logging.DEBUG)
