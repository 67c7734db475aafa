"""How ID numbers and phone numbers are stored: encrypted, with a blind index and a masked copy.

The full value is only ever in ``…_cipher`` (Fernet); ``…_index`` (keyed HMAC) answers "is there a row
with this exact value" without decrypting; ``…_masked`` is what lists and most staff see.
"""

from __future__ import annotations

from xinshimin.core import crypto
from xinshimin.core.masking import mask_id_number, mask_phone

ID_NUMBER_PURPOSE = "id_number"
PHONE_PURPOSE = "phone"


def id_number_index(value: str) -> str:
    """Blind index of a normalised (upper-case X) 18-character ID number."""
    return crypto.blind_index(value, purpose=ID_NUMBER_PURPOSE)


def phone_index(value: str) -> str:
    """Blind index of a normalised 11-digit mobile number."""
    return crypto.blind_index(value, purpose=PHONE_PURPOSE)


def id_number_columns(value: str) -> dict[str, str]:
    """The three stored columns for a normalised ID number."""
    return {
        "id_number_cipher": crypto.encrypt(value),
        "id_number_index": id_number_index(value),
        "id_number_masked": mask_id_number(value),
    }


def phone_columns(value: str) -> dict[str, str]:
    """The three stored columns for a normalised mobile number."""
    return {
        "phone_cipher": crypto.encrypt(value),
        "phone_index": phone_index(value),
        "phone_masked": mask_phone(value),
    }
