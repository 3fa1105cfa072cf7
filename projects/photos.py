"""Checking and normalising uploaded progress photos.

A photo is judged by its content, never by its file name or the browser's
content type: Pillow must recognise it as JPEG, PNG or WebP. A decompression
bomb (an image whose pixel count exceeds Pillow's limit, even by the margin
that only warns) is refused. What is kept is a re-encoded copy (metadata
stripped, orientation applied, long edge capped) and a small thumbnail; the
EXIF capture time and GPS position are read first and kept as fields.
"""
from __future__ import annotations

import datetime
import io
import warnings
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

MAX_PHOTOS = 9
MAX_BYTES = 10 * 1024 * 1024
# The largest request body of a progress report: nine photos at their largest plus the form's fields and the
# multipart framing (core.body_limits; deploy/nginx/qiancun.conf allows the same, 91m, on the progress form).
FORM_ALLOWANCE = 1024 * 1024
UPLOAD_BODY_LIMIT = MAX_PHOTOS * MAX_BYTES + FORM_ALLOWANCE
MAX_EDGE = 2560  # long edge of the kept copy, in pixels
THUMB_EDGE = 320
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
TAG_DATETIME_ORIGINAL = 36867
TAG_OFFSET_TIME_ORIGINAL = 36881
TAG_DATETIME = 306


class PhotoRejected(ValueError):
    """The upload is not an acceptable photo; the message says why, in the user's language."""


@dataclass
class ProcessedPhoto:
    original_name: str
    content_type: str
    image: ContentFile
    thumbnail: ContentFile
    width: int
    height: int
    taken_at: datetime.datetime | None
    gps_latitude: Decimal | None
    gps_longitude: Decimal | None

    @property
    def size_bytes(self) -> int:
        return self.image.size


def process(upload) -> ProcessedPhoto:
    """Check one uploaded file and return the re-encoded photo, its thumbnail and EXIF fields."""
    name = getattr(upload, "name", "") or "photo"
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise PhotoRejected(_("larger than 10 MB."))
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PhotoRejected(_("larger than 10 MB."))
    if not data:
        raise PhotoRejected(_("the file is empty."))
    with warnings.catch_warnings():
        # Pillow warns above MAX_IMAGE_PIXELS and only errors at twice that: refuse at the warning.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                if fmt not in FORMATS:
                    raise PhotoRejected(_("not a JPEG, PNG or WebP image."))
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:
                img.load()
                exif = img.getexif()
                taken_at = _taken_at(exif)
                latitude, longitude = _gps(exif)
                img = ImageOps.exif_transpose(img)
                kept_image = _fit(img, MAX_EDGE)
                width, height = kept_image.size
                kept = _encode(kept_image, fmt)
                thumb = _encode(_fit(img, THUMB_EDGE), "JPEG" if fmt == "JPEG" else "WEBP")
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise PhotoRejected(_("the image has too many pixels (possible decompression bomb).")) from None
        except PhotoRejected:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise PhotoRejected(_("not a JPEG, PNG or WebP image, or the file is damaged.")) from None
    content_type, ext = FORMATS[fmt]
    stem = _safe_stem(name)
    thumb_ext = "jpg" if fmt == "JPEG" else "webp"
    return ProcessedPhoto(
        original_name=name,
        content_type=content_type,
        image=ContentFile(kept, name=f"{stem}.{ext}"),
        thumbnail=ContentFile(thumb, name=f"{stem}.{thumb_ext}"),
        width=width,
        height=height,
        taken_at=taken_at,
        gps_latitude=latitude,
        gps_longitude=longitude,
    )


def _fit(img: Image.Image, edge: int) -> Image.Image:
    if max(img.size) <= edge:
        return img
    copy = img.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return copy


def _encode(img: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        img.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    elif fmt == "PNG":
        if img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            img = img.convert("RGBA")
        img.save(out, "PNG", optimize=True)
    else:
        if img.mode not in ("RGB", "RGBA"):
            img = img.convert("RGBA" if "A" in img.mode or img.mode == "P" else "RGB")
        img.save(out, "WEBP", quality=80)
    return out.getvalue()


def _safe_stem(name: str) -> str:
    stem = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    cleaned = "".join(ch for ch in stem if ch.isalnum() or ch in "-_")[:60]
    return cleaned or "photo"


def _taken_at(exif) -> datetime.datetime | None:
    sub = exif.get_ifd(EXIF_IFD)
    raw = sub.get(TAG_DATETIME_ORIGINAL) or exif.get(TAG_DATETIME)
    if not raw:
        return None
    try:
        naive = datetime.datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = sub.get(TAG_OFFSET_TIME_ORIGINAL)
    if offset:
        try:
            return datetime.datetime.strptime(f"{naive:%Y-%m-%d %H:%M:%S}{offset}", "%Y-%m-%d %H:%M:%S%z")
        except ValueError:
            pass
    # Cameras record local time without a zone: it is the programme's zone.
    return naive.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


def _gps(exif) -> tuple[Decimal | None, Decimal | None]:
    gps = exif.get_ifd(GPS_IFD)
    if not gps:
        return None, None
    try:
        lat = _degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef, "N"), "S")
        lon = _degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return lat, lon


def _degrees(dms, ref, negative_ref) -> Decimal:
    d, m, s = (Decimal(str(float(part))) for part in dms)
    value = d + m / 60 + s / 3600
    if str(ref).strip("\x00 ").upper() == negative_ref:
        value = -value
    return value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
