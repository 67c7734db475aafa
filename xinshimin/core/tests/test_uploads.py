"""Evidence uploads: a corpus of bad files is refused or sanitised; good files come out clean."""

from __future__ import annotations

import io

import pytest
from django.http import Http404
from PIL import ExifTags, Image

from xinshimin.claims.tests.helpers import (
    jpeg_bytes,
    pdf_bytes,
    pdf_with_object_stream_js,
    png_bytes,
    png_header_only,
    upload,
    webp_bytes,
)
from xinshimin.core.uploads import (
    JPEG,
    PDF,
    PNG,
    WEBP,
    UploadLimits,
    UploadRefused,
    check_upload_count,
    private_file_response,
    private_path,
    sanitise_upload,
    sanitise_uploads,
    sniff_content_type,
    store_private,
)

SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script></svg>"
)
HTML = b"<!doctype html><html><body><script>fetch('/api/me')</script></body></html>"


@pytest.fixture(autouse=True)
def _private(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def refused(content: bytes, name: str = "photo.jpg", **limits: int) -> str:
    with pytest.raises(UploadRefused) as error:
        sanitise_upload(upload(name, content), limits=UploadLimits(**limits) if limits else UploadLimits())
    return error.value.message


# --- the corpus of bad uploads -----------------------------------------------------------------------


def test_html_renamed_jpg_is_refused():
    message = refused(HTML, "photo.jpg")
    assert "网页" in message and "photo.jpg" in message


def test_svg_with_script_is_refused_even_named_jpg():
    assert "SVG" in refused(SVG_WITH_SCRIPT, "scan.jpg")
    assert "SVG" in refused(SVG_WITH_SCRIPT, "scan.svg")


@pytest.mark.parametrize(
    "catalog",
    [
        "/OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
        "/AA << /O << /S /Launch /F (cmd.exe) >> >>",
        "/Names << /EmbeddedFiles << /Names [(x.exe) 9 0 R] >> >>",
        "/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>",  # names written with #xx escapes
        "/RichMedia << >>",
    ],
)
def test_pdf_with_script_action_or_embedded_file_is_refused(catalog):
    message = refused(pdf_bytes(extra_catalog=catalog), "证明.pdf")
    assert "脚本" in message


def test_pdf_with_javascript_hidden_in_a_compressed_object_stream_is_refused():
    assert "/JavaScript" in refused(pdf_with_object_stream_js(), "scan.pdf")


def test_encrypted_pdf_is_refused():
    data = pdf_bytes().replace(b"<< /Root 1 0 R >>", b"<< /Root 1 0 R /Encrypt 9 0 R >>")
    assert "加密" in refused(data, "scan.pdf")


def test_binary_stream_content_does_not_trigger_false_refusals():
    noise = b"4 0 obj\n<< /Length 12 /Filter /DCTDecode >>\nstream\n/JS /AA\x00\x01\nendstream\nendobj\n"
    clean = sanitise_upload(upload("scan.pdf", pdf_bytes().replace(b"trailer", noise + b"trailer")))
    assert clean.content_type == PDF


def test_truncated_image_is_refused():
    data = jpeg_bytes((400, 300))
    assert "损坏或不完整" in refused(data[: len(data) // 2])
    png = png_bytes((300, 200))
    assert "损坏或不完整" in refused(png[: len(png) - 40], "a.png")


def test_zero_byte_file_is_refused():
    assert "空文件" in refused(b"", "empty.jpg")


def test_oversize_file_is_refused():
    assert "大小限制" in refused(jpeg_bytes((200, 200)), max_bytes=500)


def test_too_many_files_are_refused():
    files = [upload(f"p{i}.jpg", jpeg_bytes()) for i in range(11)]
    with pytest.raises(UploadRefused) as error:
        sanitise_uploads(files)
    assert "最多上传 10 个文件" in error.value.message
    assert len(check_upload_count(files[:10])) == 10


def test_decompression_bomb_is_refused_before_decoding():
    # Far beyond Pillow's own limit (it raises DecompressionBombError) and just beyond ours.
    assert "像素尺寸过大" in refused(png_header_only(40_000, 40_000), "bomb.png")
    assert "像素尺寸过大" in refused(png_header_only(10_000, 6_000), "big.png")
    assert "像素尺寸过大" in refused(jpeg_bytes((120, 100)), max_pixels=10_000)


def test_unknown_content_is_refused_with_what_is_accepted():
    message = refused(b"GIF89a" + b"\0" * 100, "anim.gif")
    assert "JPEG、PNG、WebP 图片或 PDF" in message
    assert "压缩包" in refused(b"PK\x03\x04" + b"\0" * 100, "doc.docx")


def test_a_jpeg_with_gps_exif_comes_out_without_it():
    source = jpeg_bytes((80, 60), gps=True)
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    clean = sanitise_upload(upload("gps.jpg", source))
    assert clean.content_type == JPEG
    image = Image.open(io.BytesIO(clean.content))
    assert image.size == (80, 60)
    assert not image.getexif()
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"Exif" not in clean.content and b"TestPhone" not in clean.content


def test_png_text_chunks_are_dropped_and_transparency_kept():
    clean = sanitise_upload(upload("a.png", png_bytes()))
    assert clean.content_type == PNG
    assert b"secret location" not in clean.content
    assert Image.open(io.BytesIO(clean.content)).mode == "RGBA"


def test_exif_orientation_is_applied_before_the_metadata_goes():
    image = Image.new("RGB", (60, 30), "blue")
    exif = image.getexif()
    exif[ExifTags.Base.Orientation] = 6  # rotated 90°: shown as 30 × 60
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    clean = sanitise_upload(upload("rotated.jpg", out.getvalue()))
    assert Image.open(io.BytesIO(clean.content)).size == (30, 60)


# --- good files ----------------------------------------------------------------------------------------


def test_type_comes_from_the_content_not_the_name():
    assert sanitise_upload(upload("scan.pdf", jpeg_bytes())).content_type == JPEG
    assert sanitise_upload(upload("photo.jpg", webp_bytes())).content_type == WEBP
    assert sanitise_upload(upload("x.png", pdf_bytes())).content_type == PDF
    assert sniff_content_type(b"%PDF-1.7") == PDF
    assert sniff_content_type(b"<svg") is None


def test_file_names_are_cleaned_for_display():
    clean = sanitise_upload(upload("../../etc/pass\x00wd\r\n.jpg", jpeg_bytes()))
    assert clean.original_name == "passwd.jpg"


def test_stored_files_get_random_names_and_cannot_escape_the_root(settings):
    clean = sanitise_upload(upload("a.jpg", jpeg_bytes()))
    first = store_private(clean, area="claims")
    second = store_private(clean, area="claims")
    assert first != second and first.endswith(".jpg") and first.startswith("claims/")
    assert private_path(first).read_bytes() == clean.content
    for bad in ("../outside.jpg", "/etc/passwd", ""):
        with pytest.raises(Http404):
            private_path(bad)
    with pytest.raises(ValueError):
        store_private(clean, area="../x")


@pytest.mark.django_db
def test_private_files_are_served_as_attachments_with_nosniff():
    clean = sanitise_upload(upload("a.pdf", pdf_bytes()))
    response = private_file_response(
        store_private(clean, area="claims"), download_name="证明.pdf", content_type=PDF
    )
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"
    response.close()
