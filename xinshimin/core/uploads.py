"""Evidence uploads: checked, sanitised, stored outside the web root, served only through checked views.

Any app that accepts scans or photos (claims, charity cases, objections …) uses this module:

    clean = [sanitise_upload(f) for f in check_upload_count(request.FILES.getlist("evidence"))]
    stored = store_private(clean[0], area="claims")          # -> "claims/2025/06/3f9c….jpg"
    ...
    return private_file_response(stored, download_name="证明材料1.jpg", content_type="image/jpeg")

What is accepted: JPEG, PNG, WebP and PDF, recognised from the content (the file name and the browser's
content type are ignored). Refused, each with a message that says what to do instead:

- an empty file, a file above the size limit, more files than the count limit;
- anything else (HTML, SVG, scripts, office documents, archives …), even when named ``.jpg``;
- images larger than the pixel limit (decompression bombs), truncated or corrupt images;
- PDFs with active or embedded content (``/JavaScript``, ``/JS``, ``/OpenAction``, ``/AA``, ``/Launch``,
  ``/EmbeddedFile(s)``, ``/RichMedia``, ``/XFA``), encrypted PDFs (they cannot be checked).

Images are decoded and re-encoded from their pixels, so every piece of metadata (EXIF with GPS position,
XMP, ICC, comments) is dropped; the EXIF orientation is applied first so that photos stay upright. PDFs are
stored unchanged after the check. Files get random names under ``settings.PRIVATE_MEDIA_ROOT``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import secrets
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from xinshimin.core.errors import ValidationFailed

# Defaults; every limit can be changed per call through ``UploadLimits``.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 10
# A 48-megapixel phone photo passes; more pixels than this is refused before decoding.
MAX_IMAGE_PIXELS = 50_000_000
# A PDF's compressed streams are inflated to look inside them, up to this much in total.
MAX_PDF_INFLATED_BYTES = 64 * 1024 * 1024

JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf"}
_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}

# PDF names that carry scripts, actions that run on opening, or files inside the file.
FORBIDDEN_PDF_NAMES = frozenset(
    {
        "JavaScript",
        "JS",
        "OpenAction",
        "AA",
        "Launch",
        "EmbeddedFile",
        "EmbeddedFiles",
        "RichMedia",
        "XFA",
        "Encrypt",
    }
)
_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_PDF_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)


class UploadRefused(ValidationFailed):
    """A file was refused; ``message`` says why and what to upload instead."""

    code = "upload_refused"


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = MAX_FILE_BYTES
    max_files: int = MAX_FILES
    max_pixels: int = MAX_IMAGE_PIXELS


DEFAULT_LIMITS = UploadLimits()


@dataclass(frozen=True)
class CleanFile:
    """A file that passed the checks, ready to store: its (re-encoded) content and what it is."""

    content: bytes
    content_type: str
    original_name: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


# --- reading -------------------------------------------------------------------------------------------


def _read(upload: Any, limit: int) -> bytes:
    """The bytes of an uploaded file (Django ``UploadedFile``, a file object, or bytes), at most limit+1."""
    if isinstance(upload, bytes | bytearray):
        return bytes(upload[: limit + 1])
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        return b"\0" * (limit + 1)  # too large: do not read it at all
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    return bytes(data or b"")


def _megabytes(value: int) -> str:
    return f"{value / (1024 * 1024):g}"


def clean_file_name(name: str) -> str:
    """A display name safe for headers and logs: no path, no control characters, at most 80 characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C")
    name = name.strip().strip(".") or "file"
    return name[-80:]


# --- sniffing ------------------------------------------------------------------------------------------


def sniff_content_type(data: bytes) -> str | None:
    """JPEG, PNG, WebP or PDF from the first bytes of the content; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    # A PDF header must be in the first 1024 bytes (ISO 32000); we ask for it at the very start, as
    # anything before it would be a polyglot.
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def _describe_unknown(data: bytes) -> str:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<") and (b"<svg" in data[:4096].lower()):
        return _("文件内容是 SVG 矢量图（可能含有脚本），不是允许的格式")
    if head.startswith(b"<"):
        return _("文件内容是网页（HTML/XML），不是图片或 PDF")
    if data.startswith(b"GIF8"):
        return _("不接受 GIF 动图")
    if data.startswith(b"PK\x03\x04"):
        return _("文件内容是压缩包或 Office 文档")
    return _("无法识别的文件内容")


# --- checks --------------------------------------------------------------------------------------------


def check_upload_count(files: Sequence[Any], *, limits: UploadLimits = DEFAULT_LIMITS) -> Sequence[Any]:
    """Refuse more than ``limits.max_files`` files at once."""
    if len(files) > limits.max_files:
        raise UploadRefused(
            _("一次最多上传 %(max)d 个文件，您选择了 %(count)d 个。请合并或删减后重新上传。")
            % {"max": limits.max_files, "count": len(files)},
            field="evidence",
        )
    return files


def sanitise_upload(upload: Any, *, name: str = "", limits: UploadLimits = DEFAULT_LIMITS) -> CleanFile:
    """Check one file and return its clean content, or raise ``UploadRefused`` with the reason."""
    display = clean_file_name(name or getattr(upload, "name", "") or "file")
    data = _read(upload, limits.max_bytes)
    if not data:
        raise UploadRefused(
            _("“%(name)s”是空文件（0 字节），请重新扫描或拍照后上传。") % {"name": display}, field="evidence"
        )
    if len(data) > limits.max_bytes:
        raise UploadRefused(
            _("“%(name)s”超过 %(max)s MB 的大小限制，请压缩或分页扫描后重新上传。")
            % {"name": display, "max": _megabytes(limits.max_bytes)},
            field="evidence",
        )
    content_type = sniff_content_type(data)
    if content_type is None:
        raise UploadRefused(
            _("“%(name)s”无法接受：%(why)s。只接受 JPEG、PNG、WebP 图片或 PDF 文件。")
            % {"name": display, "why": _describe_unknown(data)},
            field="evidence",
        )
    if content_type == PDF:
        _check_pdf(data, display)
        return CleanFile(content=data, content_type=PDF, original_name=display)
    return CleanFile(
        content=_reencode_image(data, content_type, display, limits),
        content_type=content_type,
        original_name=display,
    )


def sanitise_uploads(files: Sequence[Any], *, limits: UploadLimits = DEFAULT_LIMITS) -> list[CleanFile]:
    """``check_upload_count`` then ``sanitise_upload`` for each file (the first refusal is raised)."""
    check_upload_count(files, limits=limits)
    return [sanitise_upload(f, limits=limits) for f in files]


def _reencode_image(data: bytes, content_type: str, display: str, limits: UploadLimits) -> bytes:
    too_big = _("“%(name)s”的像素尺寸过大（超过 %(max)d 万像素），请缩小图片后重新上传。") % {
        "name": display,
        "max": limits.max_pixels // 10_000,
    }
    broken = _("“%(name)s”图片已损坏或不完整，请重新拍照或扫描后上传。") % {"name": display}
    try:
        with Image.open(io.BytesIO(data)) as probe:  # reads the header only
            width, height = probe.size
            if width * height > limits.max_pixels or width <= 0 or height <= 0:
                raise UploadRefused(too_big, field="evidence")
            if probe.format != _PIL_FORMATS[content_type]:
                raise UploadRefused(broken, field="evidence")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # a truncated file raises here (ImageFile.LOAD_TRUNCATED_IMAGES stays False)
            upright = ImageOps.exif_transpose(image)
            return _encode_pixels(upright, content_type)
    except UploadRefused:
        raise
    except Image.DecompressionBombError:
        raise UploadRefused(too_big, field="evidence") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise UploadRefused(broken, field="evidence") from None


def _encode_pixels(image: Image.Image, content_type: str) -> bytes:
    """A new image built from the pixels alone (no info, EXIF, XMP, ICC, text chunks), encoded afresh."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if content_type == JPEG:
        mode = "L" if image.mode in ("L", "1", "I;16", "I") else "RGB"
    else:
        mode = "RGBA" if has_alpha else ("L" if image.mode in ("L", "1") else "RGB")
    pixels = image.convert(mode)
    clean = Image.frombytes(mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if content_type == JPEG:
        clean.save(out, "JPEG", quality=90, optimize=True)
    elif content_type == PNG:
        clean.save(out, "PNG", optimize=True)
    else:
        clean.save(out, "WEBP", quality=90)
    return out.getvalue()


def _pdf_names(chunk: bytes) -> set[str]:
    """Every PDF name in ``chunk``, with ``#xx`` escapes decoded (``/J#61vaScript`` is ``JavaScript``)."""
    names = set()
    for match in _PDF_NAME.finditer(chunk):
        raw = _PDF_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        names.add(raw.decode("latin-1"))
    return names


def _inflate(stream: bytes, budget: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        return inflater.decompress(stream.strip(b"\r\n"), max(budget, 1))
    except zlib.error:
        return b""


def _split_streams(data: bytes) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """(the file without stream contents, [(stream dictionary, stream content)]).

    Stream contents are binary (images, fonts, page drawing) and may contain any byte sequence, so the
    names are looked for in the file outside them, and inside object streams (``/Type /ObjStm``: where a
    compressed file keeps its dictionaries), which are inflated.
    """
    outside: list[bytes] = []
    streams: list[tuple[bytes, bytes]] = []
    position = 0
    for match in _PDF_STREAM.finditer(data):
        head = data[position : match.start()]
        outside.append(head)
        dictionary = head[head.rfind(b"obj") :] if b"obj" in head else head[-1024:]
        streams.append((dictionary, match.group(1)))
        position = match.end()
    outside.append(data[position:])
    return b"\n".join(outside), streams


def _check_pdf(data: bytes, display: str) -> None:
    refused = _(
        "“%(name)s”含有脚本、自动操作或嵌入文件（%(what)s），出于安全原因不予接受。"
        "请使用“打印为 PDF”或扫描纸质材料后重新上传。"
    )
    outside, streams = _split_streams(data)
    found = _pdf_names(outside) & FORBIDDEN_PDF_NAMES
    budget = MAX_PDF_INFLATED_BYTES
    for dictionary, content in streams:
        if found:
            break
        names = _pdf_names(dictionary)
        if "ObjStm" not in names:
            continue
        if "FlateDecode" in names:
            inflated = _inflate(content, budget)
            budget -= len(inflated)
            if budget <= 0:
                raise UploadRefused(
                    _("“%(name)s”内容过于庞大，无法完成安全检查，请分拆后重新上传。") % {"name": display},
                    field="evidence",
                )
        elif "Filter" in names:
            raise UploadRefused(
                _("“%(name)s”使用了无法检查的压缩方式，请使用“打印为 PDF”重新生成后上传。")
                % {"name": display},
                field="evidence",
            )
        else:
            inflated = content
        found |= _pdf_names(inflated) & FORBIDDEN_PDF_NAMES
    if "Encrypt" in found:
        raise UploadRefused(
            _("“%(name)s”已加密或设置了密码，无法检查，请上传未加密的 PDF。") % {"name": display},
            field="evidence",
        )
    if found:
        raise UploadRefused(
            refused % {"name": display, "what": ", ".join(sorted("/" + n for n in found))}, field="evidence"
        )
    if b"%%EOF" not in data[-8192:]:
        raise UploadRefused(
            _("“%(name)s”PDF 文件不完整（缺少文件结尾），请重新导出后上传。") % {"name": display},
            field="evidence",
        )


# --- storage -------------------------------------------------------------------------------------------


def private_root() -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT)


def store_private(clean: CleanFile, *, area: str) -> str:
    """Write ``clean`` under PRIVATE_MEDIA_ROOT/<area>/<yyyy>/<mm>/ with a random name; return the relative
    path (what a model stores). The file is created exclusively and readable by the owner only."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", area):
        raise ValueError("area must be a short lower-case slug")
    today = timezone.localdate()
    relative = Path(area) / f"{today:%Y}" / f"{today:%m}" / (secrets.token_hex(16) + clean.extension)
    target = private_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(clean.content)
    return relative.as_posix()


def private_path(relative: str) -> Path:
    """The absolute path of a stored file; refuses anything that would leave PRIVATE_MEDIA_ROOT."""
    root = private_root().resolve()
    target = (root / relative).resolve()
    if not relative or root not in target.parents:
        raise Http404
    return target


def delete_private(relative: str) -> None:
    """Remove a stored file (used to clean up when the transaction that stored it fails)."""
    with contextlib.suppress(Http404):
        private_path(relative).unlink(missing_ok=True)


def private_file_response(relative: str, *, download_name: str, content_type: str) -> FileResponse:
    """Serve a stored file as a download (never inline), with ``nosniff`` and no caching.

    Call it only after checking that the user may open this file (``Http404`` if it is missing).
    """
    if content_type not in EXTENSIONS:
        content_type = "application/octet-stream"
    path = private_path(relative)
    if not path.is_file():
        raise Http404
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=clean_file_name(download_name),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
