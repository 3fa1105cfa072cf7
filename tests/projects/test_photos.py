"""projects.photos: photos are judged by content, re-encoded, thumbnailed, and keep EXIF time and GPS."""
import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from PIL import Image

from projects import photos
from projects.photos import PhotoRejected
from tests.images import bomb_png, exif_with, image_bytes, upload


def _open(content_file):
    content_file.seek(0)
    return Image.open(io.BytesIO(content_file.read()))


def test_jpeg_keeps_capture_time_and_gps_and_is_reencoded_without_exif():
    result = photos.process(upload(data=image_bytes(exif=exif_with())))
    assert result.content_type == "image/jpeg"
    assert result.taken_at == datetime.datetime(2025, 5, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert result.gps_latitude == Decimal("30.458333")
    assert result.gps_longitude == Decimal("119.680000")
    kept = _open(result.image)
    assert kept.format == "JPEG"
    assert (result.width, result.height) == kept.size == (640, 480)
    # The stored copy carries no metadata (no GPS of officials' phones leaks with the file).
    assert not kept.getexif().get_ifd(0x8825)
    assert 36867 not in kept.getexif().get_ifd(0x8769)


def test_offset_time_original_is_honoured():
    exif = exif_with(lat=None, lon=None)
    exif.get_ifd(0x8769)[36881] = "+00:00"  # OffsetTimeOriginal
    result = photos.process(upload(data=image_bytes(exif=exif)))
    assert result.taken_at == datetime.datetime(2025, 5, 10, 9, 30, tzinfo=datetime.UTC)
    assert result.gps_latitude is None and result.gps_longitude is None


def test_southern_and_western_references_are_negative():
    exif = exif_with()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[3] = "S", "W"
    result = photos.process(upload(data=image_bytes(exif=exif)))
    assert result.gps_latitude == Decimal("-30.458333")
    assert result.gps_longitude == Decimal("-119.680000")


def test_photo_without_exif_has_empty_fields():
    result = photos.process(upload())
    assert result.taken_at is None and result.gps_latitude is None


@pytest.mark.parametrize(
    "fmt, name, content_type, thumb_format",
    [("PNG", "site.png", "image/png", "WEBP"), ("WEBP", "site.webp", "image/webp", "WEBP"), ("JPEG", "site.jpg", "image/jpeg", "JPEG")],
)
def test_accepted_formats_get_a_thumbnail(fmt, name, content_type, thumb_format):
    result = photos.process(upload(name=name, data=image_bytes(fmt, size=(1200, 900))))
    assert result.content_type == content_type
    assert _open(result.image).format == fmt
    thumb = _open(result.thumbnail)
    assert thumb.format == thumb_format
    assert max(thumb.size) == photos.THUMB_EDGE


def test_content_decides_not_the_extension():
    # A PNG named .jpg and sent as image/jpeg is a PNG.
    result = photos.process(upload(name="misnamed.jpg", data=image_bytes("PNG"), content_type="image/jpeg"))
    assert result.content_type == "image/png"
    assert result.image.name == "misnamed.png"


@pytest.mark.parametrize(
    "data, name",
    [
        (b"%PDF-1.4 not a photo at all", "report.jpg"),
        (b"GIF89a" + b"\x00" * 64, "anim.jpg"),
        (image_bytes("GIF"), "real.gif"),
        (image_bytes("BMP"), "scan.bmp"),
        (image_bytes("JPEG")[:200], "truncated.jpg"),
        (b"", "empty.jpg"),
    ],
)
def test_non_images_and_other_formats_are_refused(data, name):
    with pytest.raises(PhotoRejected):
        photos.process(upload(name=name, data=data))


def test_more_than_ten_megabytes_is_refused():
    data = image_bytes() + b"\x00" * (photos.MAX_BYTES)
    with pytest.raises(PhotoRejected, match="10 MB"):
        photos.process(upload(data=data))


def test_decompression_bomb_is_refused_at_the_warning():
    data = bomb_png()
    assert len(data) < 1024 * 1024  # small on the wire
    with translation.override("en"), pytest.raises(PhotoRejected, match="too many pixels"):
        photos.process(upload(name="bomb.png", data=data, content_type="image/png"))
    with translation.override("zh-hans"), pytest.raises(PhotoRejected, match="像素过多"):
        photos.process(upload(name="bomb.png", data=data, content_type="image/png"))


def test_large_photo_is_scaled_down_and_orientation_applied():
    # A portrait phone photo stored landscape with EXIF orientation 6 (rotate 90° clockwise).
    data = image_bytes(size=(4000, 3000), exif=exif_with(orientation=6))
    result = photos.process(upload(data=data))
    assert (result.width, result.height) == (1920, 2560)
    assert _open(result.image).size == (1920, 2560)


def test_file_names_are_sanitised():
    result = photos.process(upload(name="../../etc/现场 照片?.jpg"))
    assert result.image.name == "现场照片.jpg"
    assert "/" not in result.thumbnail.name
