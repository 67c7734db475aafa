"""Files for upload tests: real images and PDFs built in memory, and the bad ones of the corpus."""

from __future__ import annotations

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image


def jpeg_bytes(size: tuple[int, int] = (64, 48), *, gps: bool = False, color: str = "red") -> bytes:
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    if gps:
        exif = image.getexif()
        exif[ExifTags.Base.Make] = "TestPhone"
        exif[ExifTags.Base.GPSInfo] = {1: "N", 2: (27.0, 46.0, 12.0), 3: "E", 4: (120.0, 38.0, 5.0)}
        image.save(out, "JPEG", exif=exif)
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGBA", size, (0, 128, 255, 200))
    image.save(out, "PNG", pnginfo=_png_text())
    return out.getvalue()


def _png_text():  # type: ignore[no-untyped-def]
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "secret location 27.77N 120.63E")
    return info


def webp_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "green").save(out, "WEBP")
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` pixels with almost no data: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def pdf_bytes(extra_catalog: str = "", extra_objects: str = "") -> bytes:
    """A small one-page PDF; ``extra_catalog`` goes into the catalogue dictionary."""
    objects = [
        f"<< /Type /Catalog /Pages 2 0 R {extra_catalog} >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    body = b"%PDF-1.4\n"
    for number, text in enumerate(objects, start=1):
        body += f"{number} 0 obj\n{text}\nendobj\n".encode()
    body += extra_objects.encode()
    body += b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    return body


def pdf_with_object_stream_js() -> bytes:
    """A PDF whose JavaScript action hides in a compressed object stream."""
    hidden = zlib.compress(b"5 0 << /S /JavaScript /JS (app.alert(1)) >>")
    stream = (
        b"4 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length "
        + str(len(hidden)).encode()
        + b" >>\nstream\n"
        + hidden
        + b"\nendstream\nendobj\n"
    )
    return pdf_bytes().replace(b"trailer", stream + b"trailer")


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def photo(name: str = "evidence.jpg") -> SimpleUploadedFile:
    return upload(name, jpeg_bytes())
