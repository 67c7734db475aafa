from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from xinshimin.core.context import request_id_var
from xinshimin.core.logredact import RedactPersonalData, redact

ID = "330381199001011234"
PHONE = "13812345678"


@pytest.fixture
def log_output() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose handler carries the filter, as in settings.LOGGING."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactPersonalData())
    handler.setFormatter(logging.Formatter("[%(request_id)s] %(message)s"))
    logger = logging.getLogger("xinshimin.tests.logredact")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_id_number_and_phone_in_args_are_masked(log_output: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log_output
    logger.info("resident %s registered, phone %s", ID, PHONE)
    line = stream.getvalue()
    assert line == "[-] resident 330381********1234 registered, phone 138****5678\n"
    assert ID not in line
    assert PHONE not in line


def test_id_number_and_phone_in_the_message_are_masked(
    log_output: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log_output
    logger.warning(f"lookup failed for {ID[:-1]}X / {PHONE}")
    assert stream.getvalue() == "[-] lookup failed for 330381********123X / 138****5678\n"


def test_the_request_id_is_attached(log_output: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log_output
    token = request_id_var.set("abc123def4567890")
    try:
        logger.info("hello")
    finally:
        request_id_var.reset(token)
    assert stream.getvalue() == "[abc123def4567890] hello\n"


def test_a_record_passing_through_carries_the_masked_text_to_caplog(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("xinshimin.tests.caplog")
    logger.addFilter(RedactPersonalData())
    try:
        with caplog.at_level(logging.INFO, logger="xinshimin.tests.caplog"):
            logger.info("id=%s phone=%s", ID, PHONE)
    finally:
        logger.filters.clear()
    assert caplog.messages == ["id=330381********1234 phone=138****5678"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"x{ID}", f"x{ID}"),  # glued to letters: not a standalone ID number
        (f"{ID}5", f"{ID}5"),  # 19 digits: an order number, not an ID
        ("12345678901", "12345678901"),  # not a mobile prefix
        (f"{PHONE}0", f"{PHONE}0"),  # 12 digits
        ("330381199013011234", "330381199013011234"),  # month 13: not an ID number
        (f"电话{PHONE}，身份证{ID}。", "电话138****5678，身份证330381********1234。"),
    ],
)
def test_redact_boundaries(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_id_number_in_an_exception_traceback_is_masked(
    log_output: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log_output
    try:
        raise ValueError(f"bad id {ID}")
    except ValueError:
        logger.exception("import failed")
    assert ID not in stream.getvalue()
