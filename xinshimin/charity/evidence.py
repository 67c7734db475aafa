"""Evidence files of hardship cases, on top of the shared upload checks in ``xinshimin.core.uploads``.

What is accepted is decided there from the content (JPEG, PNG, WebP, PDF without active content; images
re-encoded without metadata; size and count limits). Files are kept under
``PRIVATE_MEDIA_ROOT/charity/…`` with random names and served only through a view that checks who asks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xinshimin.core import uploads

AREA = "charity"
MAX_FILES = uploads.MAX_FILES
UploadedFile = Any  # a Django UploadedFile, or anything with .name and .read()


@dataclass(frozen=True)
class CheckedFile:
    clean: uploads.CleanFile
    sha256: str

    @property
    def original_name(self) -> str:
        return self.clean.original_name[:128]

    @property
    def content_type(self) -> str:
        return self.clean.content_type

    @property
    def size(self) -> int:
        return len(self.clean.content)


def check_uploads(files: Sequence[UploadedFile]) -> list[CheckedFile]:
    """Check every file (count, size, kind) before anything is written; the first problem is raised."""
    return [
        CheckedFile(clean, hashlib.sha256(clean.content).hexdigest())
        for clean in uploads.sanitise_uploads(files)
    ]


def store(checked: CheckedFile) -> str:
    """Write the file; returns the path relative to PRIVATE_MEDIA_ROOT (what ``CaseEvidence`` keeps)."""
    return uploads.store_private(checked.clean, area=AREA)


def remove_quietly(stored_name: str) -> None:
    """Remove a file written for a transaction that then rolled back."""
    uploads.delete_private(stored_name)
