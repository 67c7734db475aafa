from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet

from xinshimin.core import crypto
from xinshimin.core.crypto import blind_index, decrypt, encrypt


@pytest.fixture(autouse=True)
def _fresh_keys() -> Iterator[None]:
    crypto._fernet.cache_clear()
    yield
    crypto._fernet.cache_clear()


def test_round_trip() -> None:
    for value in ("330381199001011234", "张小三", "13812345678", ""):
        assert decrypt(encrypt(value)) == value


def test_same_value_encrypts_differently_each_time() -> None:
    first, second = encrypt("330381199001011234"), encrypt("330381199001011234")
    assert first != second
    assert "330381199001011234" not in first
    assert decrypt(first) == decrypt(second)


def test_a_tampered_token_raises_value_error() -> None:
    token = encrypt("330381199001011234")
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    with pytest.raises(ValueError, match="cannot be decrypted"):
        decrypt(tampered)
    with pytest.raises(ValueError):
        decrypt("not-a-token")


def test_a_token_from_another_key_raises_value_error(settings) -> None:  # type: ignore[no-untyped-def]
    foreign = Fernet(Fernet.generate_key()).encrypt(b"330381199001011234").decode()
    with pytest.raises(ValueError):
        decrypt(foreign)


def test_key_rotation_still_decrypts_old_values(settings) -> None:  # type: ignore[no-untyped-def]
    old_token = encrypt("13812345678")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEYS]
    crypto._fernet.cache_clear()
    new_token = encrypt("13812345678")
    assert decrypt(old_token) == decrypt(new_token) == "13812345678"
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # the old key retired
    crypto._fernet.cache_clear()
    assert decrypt(new_token) == "13812345678"
    with pytest.raises(ValueError):
        decrypt(old_token)


def test_blind_index_is_deterministic_and_keyed(settings) -> None:  # type: ignore[no-untyped-def]
    digest = blind_index("330381199001011234", purpose="id_number")
    assert digest == blind_index("330381199001011234", purpose="id_number")
    assert len(digest) == 64
    assert digest != blind_index("330381199001011235", purpose="id_number")
    settings.BLIND_INDEX_KEY = "another-deployment"
    assert blind_index("330381199001011234", purpose="id_number") != digest


def test_blind_index_separates_purposes() -> None:
    assert blind_index("13812345678", purpose="phone") != blind_index("13812345678", purpose="id_number")
