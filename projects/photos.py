"""Checking and normalising uploaded progress photos.

A photo is judged by its content, never by its file name or the browser's
content type: Pillow must recognise it as JPEG, PNG or WebP. What is kept is a
re-encoded copy (orientation applied, long edge capped, colours converted to
sRGB, every metadata segment dropped) and a small thumbnail; the EXIF capture
time and GPS position are read first and kept as fields.

Decoding is what costs memory and time, and what a photo costs is known from its
header (issue 15: a 280 KB PNG declaring 9,400×9,400 pixels took 1.2 GB and
seconds of CPU). So a photo is checked in two steps:

- inspect() reads only the header and works out the decode cost, in pixels of
  four bytes (what Pillow holds for an RGB or RGBA pixel): for a PNG its pixels;
  for a JPEG the pixels libjpeg produces at the reduced scale it is decoded at
  (draft: 1/2, 1/4 or 1/8 towards the kept size), plus, when libjpeg has to keep
  the whole image's coefficients (progressive or multi-scan files), those; for a
  WebP four times its pixels (Pillow's WebP decoder holds four RGBA copies).
  A photo costing more than PHOTO_MAX_PIXELS, or declaring more pixels than
  Pillow's decompression-bomb limit, is refused with its size in the message.
- decode() decodes it, resizes to the kept size a band of rows at a time (no
  full-size copy), then turns it upright; the thumbnail is made from the kept
  copy. The full decode is released before decode() returns.

A report's photos are all inspected before any is decoded, and their costs
together are held to PHOTO_MAX_PIXELS_PER_REPORT (projects.services).
"""
from __future__ import annotations

import datetime
import io
import math
import struct
import warnings
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import translation
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageCms, ImageFile, UnidentifiedImageError

MAX_PHOTOS = 9
MAX_BYTES = 10 * 1024 * 1024
# The largest request body of a progress report: nine photos at their largest plus the form's fields and the
# multipart framing (core.body_limits; deploy/nginx/qiancun.conf allows the same, 91m, on the progress form).
FORM_ALLOWANCE = 1024 * 1024
UPLOAD_BODY_LIMIT = MAX_PHOTOS * MAX_BYTES + FORM_ALLOWANCE
MAX_EDGE = 2560  # long edge of the kept copy, in pixels
THUMB_EDGE = 320
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
# Pillow's WebP decoder (the animation decoder, used for every WebP) holds the file's canvas, the decoded
# frame, a bytes copy of it and the image: four RGBA copies. Measured: a 6000×6000 WebP peaks at 563 MB.
WEBP_COST_FACTOR = 4
# Source pixels a band of the banded resize spans (about 4 MB of RGBA at a time).
BAND_PIXELS = 1024 * 1024
# Start-of-frame markers libjpeg decodes a scan at a time (baseline, extended, arithmetic sequential);
# every other kind (progressive, lossless, hierarchical) is buffered whole.
SEQUENTIAL_SOF = {0xC0, 0xC1, 0xC9}

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
TAG_DATETIME_ORIGINAL = 36867
TAG_OFFSET_TIME_ORIGINAL = 36881
TAG_DATETIME = 306
TRANSPOSE_FOR_ORIENTATION = {  # as PIL.ImageOps.exif_transpose
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class PhotoRejected(ValueError):
    """The upload is not an acceptable photo; the message says why, in the user's language."""


@dataclass
class CheckedPhoto:
    """What the header of an upload says: enough to refuse it, or to budget its decoding."""

    upload: object
    name: str
    format: str
    size: tuple[int, int]  # declared
    decoded_size: tuple[int, int]  # what the decoder produces (a JPEG at its draft scale)
    kept_size: tuple[int, int]  # before orientation is applied
    cost: int  # pixels of four bytes held while decoding


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
    return decode(inspect(upload))


def process_batch(photos, *, max_photos: int = MAX_PHOTOS) -> tuple[list[ProcessedPhoto], list[str]]:
    """Check and re-encode the photos of one submission (a progress report, an inspection, a repair): every
    header first, against the per-photo cap and the submission's budget, so nothing is decoded for a submission
    refused for a photo's size or their sum; then each is decoded in turn (each full decode is released before
    the next). Returns the processed photos and the refusals, one message per refused photo; any refusal refuses
    the whole submission (the caller raises it on its ``photos`` field)."""
    photos = list(photos or ())
    processed: list[ProcessedPhoto] = []
    errors: list[str] = []

    def refused(number, upload, reason):
        errors.append(
            _("Photo %(number)s (“%(name)s”): %(reason)s") % {"number": number, "name": getattr(upload, "name", ""), "reason": reason}
        )

    if len(photos) > max_photos:
        errors.append(_("At most %(max)s photos per report; %(count)s were chosen.") % {"max": max_photos, "count": len(photos)})
        return processed, errors
    checked = []
    for number, upload in enumerate(photos, 1):
        try:
            checked.append(inspect(upload))
        except PhotoRejected as rejected:
            refused(number, upload, rejected)
    if not errors and (over := over_budget(checked)):
        position, reason = over
        refused(position + 1, checked[position].upload, reason)
    if not errors:
        for number, item in enumerate(checked, 1):
            try:
                processed.append(decode(item))
            except PhotoRejected as rejected:
                refused(number, item.upload, rejected)
    return processed, errors


def attach(photo, item: ProcessedPhoto, stored: list) -> None:
    """Put a processed photo's files on an unsaved photo row (any model with ``image`` and ``thumbnail`` fields);
    each stored file is added to ``stored``, so the caller can remove them if its transaction rolls back."""
    photo.image.save(item.image.name, item.image, save=False)
    stored.append(photo.image)
    photo.thumbnail.save(item.thumbnail.name, item.thumbnail, save=False)
    stored.append(photo.thumbnail)


def inspect(upload) -> CheckedPhoto:
    """Read the upload's header (no pixel is decoded) and refuse it if it is not a photo or costs too much."""
    name = getattr(upload, "name", "") or "photo"
    upload.seek(0, io.SEEK_END)
    length = upload.tell()
    if length > MAX_BYTES:
        raise PhotoRejected(_("larger than 10 MB."))
    if not length:
        raise PhotoRejected(_("the file is empty."))
    upload.seek(0)
    with _as_rejection(), warnings.catch_warnings():
        # Pillow only warns between its limit and twice that: the limit is checked below, with the size.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(upload, formats=list(FORMATS)) as probe:
            fmt, size = probe.format, probe.size
            if fmt not in FORMATS:  # e.g. a JPEG Pillow reads as MPO
                raise PhotoRejected(_("not a JPEG, PNG or WebP image."))
            if size[0] * size[1] > Image.MAX_IMAGE_PIXELS:
                raise PhotoRejected(
                    _("%(width)s×%(height)s pixels: too many pixels (possible decompression bomb); no photo may have more than %(limit)s pixels.")
                    % {"width": size[0], "height": size[1], "limit": _pixel_count(Image.MAX_IMAGE_PIXELS)}
                )
            kept_size = _fit(size, MAX_EDGE)
            if fmt == "JPEG":
                probe.draft(None, kept_size)  # only configures the decoder's scale
            decoded_size = probe.size
            probe.verify()  # a PNG's chunk checksums; nothing is decompressed
        cost = decoded_size[0] * decoded_size[1]
        limit = settings.PHOTO_MAX_PIXELS
        values = {"width": size[0], "height": size[1], "pixels": _pixel_count(size[0] * size[1]), "limit": _pixel_count(limit)}
        if fmt == "WEBP":
            cost *= WEBP_COST_FACTOR
            if cost > limit:
                raise PhotoRejected(
                    _("a WebP photo of %(width)s×%(height)s pixels: decoding WebP takes four times the memory, so a WebP photo may have at most %(limit)s pixels.")
                    % {**values, "limit": _pixel_count(limit // WEBP_COST_FACTOR)}
                )
        if fmt == "JPEG":
            buffered, layout_size, coefficient_bytes = jpeg_layout(upload)
            if layout_size != size:
                raise ValueError("the JPEG's frame header disagrees with itself")
            cost += coefficient_bytes // 4
            if buffered and cost > limit:
                raise PhotoRejected(
                    _("a progressive (or multi-scan) JPEG of %(width)s×%(height)s pixels is held whole while decoding, which counts as %(cost)s pixels, more than the %(limit)s pixels a photo may have; save it as an ordinary (baseline) JPEG or make it smaller.")
                    % {**values, "cost": _pixel_count(cost)}
                )
        if cost > limit:
            raise PhotoRejected(_("%(width)s×%(height)s pixels (%(pixels)s), more than the %(limit)s pixels a photo may have.") % values)
    return CheckedPhoto(upload=upload, name=name, format=fmt, size=size, decoded_size=decoded_size, kept_size=kept_size, cost=cost)


def over_budget(checked: list[CheckedPhoto]) -> tuple[int, str] | None:
    """(position, reason) of the photo with which a report's photos cost more than PHOTO_MAX_PIXELS_PER_REPORT."""
    limit = settings.PHOTO_MAX_PIXELS_PER_REPORT
    total = 0
    for position, photo in enumerate(checked):
        total += photo.cost
        if total > limit:
            return position, _(
                "with this photo the report's photos come to %(total)s pixels to decode, more than the %(limit)s pixels one report may have; send the rest in another report."
            ) % {"total": _pixel_count(total), "limit": _pixel_count(limit)}
    return None


def decode(checked: CheckedPhoto) -> ProcessedPhoto:
    """Decode an inspected photo and return the kept copy, the thumbnail and the EXIF fields."""
    fmt = checked.format
    with _as_rejection(), warnings.catch_warnings(), _strict_decoding():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        kept, (taken_at, latitude, longitude, orientation), icc_profile = _decode_to_kept_size(checked)
        # The full decode and all its decoder held are released: from here on, only the kept copy (≤ 2560 px).
        method = TRANSPOSE_FOR_ORIENTATION.get(orientation)
        if method is not None:  # not truthiness: FLIP_LEFT_RIGHT (orientation 2) is 0
            kept = kept.transpose(method)
        kept = _to_srgb(kept, icc_profile)
        width, height = kept.size
        kept_bytes = _encode(kept, fmt)
        thumb_format = "JPEG" if fmt == "JPEG" else "WEBP"
        thumb_size = _fit(kept.size, THUMB_EDGE)
        thumb_bytes = _encode(shrink(kept, thumb_size) if thumb_size != kept.size else kept, thumb_format)
    content_type, ext = FORMATS[fmt]
    stem = _safe_stem(checked.name)
    thumb_ext = "jpg" if fmt == "JPEG" else "webp"
    return ProcessedPhoto(
        original_name=checked.name,
        content_type=content_type,
        image=ContentFile(kept_bytes, name=f"{stem}.{ext}"),
        thumbnail=ContentFile(thumb_bytes, name=f"{stem}.{thumb_ext}"),
        width=width,
        height=height,
        taken_at=taken_at,
        gps_latitude=latitude,
        gps_longitude=longitude,
    )


def _decode_to_kept_size(checked: CheckedPhoto):
    """(the picture at its kept size, (taken_at, latitude, longitude, orientation), ICC profile).

    A function of its own so that the decoded image, and what its decoder holds (for a WebP the canvas and a
    copy of the frame), are freed when it returns, before the kept copy is encoded.
    """
    upload, fmt = checked.upload, checked.format
    upload.seek(0)
    with Image.open(upload, formats=[fmt]) as img:
        if (img.format, img.size) != (fmt, checked.size):
            raise ValueError("the file changed since it was inspected")
        if fmt == "JPEG":
            img.draft(None, checked.kept_size)
        exif = img.getexif()  # a PNG's eXIf chunk may follow the pixels: this may decode it
        fields = (_taken_at(exif), *_gps(exif), exif.get(ExifTags.Base.Orientation))
        icc_profile = img.info.get("icc_profile")
        img.load()
        if img.size != checked.decoded_size:
            raise ValueError("decoded at an unexpected size")
        kept = shrink(img, checked.kept_size) if img.size != checked.kept_size else img.copy()
    return kept, fields, icc_profile


class _strict_decoding:
    """A damaged or cut-short file is refused, whatever the process set: Pillow's ImageFile.LOAD_TRUNCATED_IMAGES is
    one global, and a library may turn it on when imported (WeasyPrint does, for its documents' images: a process
    that printed a PDF would then keep half-decoded photos). Off while a photo is decoded; put back after. (Web and
    Celery workers decode one photo at a time: gunicorn's sync workers, Celery's prefork pool.)"""

    def __enter__(self):
        self.before = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        return self

    def __exit__(self, kind, error, traceback):
        ImageFile.LOAD_TRUNCATED_IMAGES = self.before
        return False


class _as_rejection:
    """Turn what Pillow (or a damaged file) raises into PhotoRejected."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is None or issubclass(kind, PhotoRejected):
            return False
        if issubclass(kind, (Image.DecompressionBombWarning, Image.DecompressionBombError)):
            raise PhotoRejected(_("the image has too many pixels (possible decompression bomb).")) from None
        if issubclass(kind, (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)):
            raise PhotoRejected(_("not a JPEG, PNG or WebP image, or the file is damaged.")) from None
        return False


def jpeg_layout(fp) -> tuple[bool, tuple[int, int], int]:
    """Walk a JPEG's markers up to its first scan: (buffered, (width, height), coefficient bytes).

    libjpeg decodes a sequential JPEG whose first scan holds every component a few rows at a time; any other
    (progressive, or components in separate scans) it buffers whole, as 8×8 blocks of 2-byte coefficients
    per component, whatever scale it decodes at. The bytes are those of that buffer (0 when not buffered),
    counted as libjpeg allocates them (jdcoefct.c: blocks rounded up to the sampling factors).
    """
    fp.seek(0)
    if fp.read(2) != b"\xff\xd8":
        raise ValueError("not a JPEG")
    frame = None
    while True:
        byte = fp.read(1)
        if not byte:
            raise ValueError("no scan in the JPEG")
        if byte != b"\xff":
            continue  # libjpeg skips stray bytes between segments too
        marker = fp.read(1)
        while marker == b"\xff":  # fill bytes
            marker = fp.read(1)
        code = marker[0] if marker else 0
        if code in (0x00, 0x01, 0xD8) or 0xD0 <= code <= 0xD7:
            continue  # no length
        if code == 0xD9 or not marker:
            raise ValueError("no scan in the JPEG")
        header = fp.read(2)
        if len(header) != 2:
            raise ValueError("truncated JPEG")
        length = int.from_bytes(header, "big") - 2
        if length < 0:
            raise ValueError("bad JPEG segment length")
        if 0xC0 <= code <= 0xCF and code not in (0xC4, 0xC8, 0xCC):
            payload = fp.read(length)
            height, width, count = int.from_bytes(payload[1:3], "big"), int.from_bytes(payload[3:5], "big"), payload[5]
            sampling = [(payload[7 + 3 * i] >> 4, payload[7 + 3 * i] & 15) for i in range(count)]
            if not width or not height or not sampling or min(min(s) for s in sampling) < 1:
                raise ValueError("bad JPEG frame header")
            frame = (code, width, height, sampling)
        elif code == 0xDA:
            if frame is None:
                raise ValueError("a scan before the frame header")
            code, width, height, sampling = frame
            in_first_scan = fp.read(1)[0]
            buffered = code not in SEQUENTIAL_SOF or in_first_scan < len(sampling)
            if not buffered:
                return False, (width, height), 0
            h_max, v_max = max(h for h, _v in sampling), max(v for _h, v in sampling)
            blocks = sum(
                _round_up(math.ceil(width * h / (h_max * 8)), h) * _round_up(math.ceil(height * v / (v_max * 8)), v)
                for h, v in sampling
            )
            return True, (width, height), blocks * 64 * 2
        else:
            fp.seek(length, io.SEEK_CUR)


def shrink(img: Image.Image, size: tuple[int, int], *, band_rows: int | None = None) -> Image.Image:
    """Resize with Lanczos, a band of rows at a time, into a new image without metadata.

    The same pixels as img.resize(size, LANCZOS) (to rounding), without its full-size intermediates: for an
    image with alpha Pillow first makes a premultiplied copy of the whole image, and its horizontal pass
    holds the output width times every source row. Palette and 1-bit images are resampled as RGB(A) / L.
    """
    mode = _working_mode(img)
    width, height = img.size
    out_width, out_height = size
    out = Image.new(mode, size)
    scale = height / out_height
    # Lanczos reads 3 output rows' worth of source rows on each side (Pillow: support × max(scale, 1)).
    margin = 3 * max(scale, 1.0) + 2
    if band_rows is None:
        band_rows = max(1, int(BAND_PIXELS / (width * max(scale, 1.0))))
    for first in range(0, out_height, band_rows):
        last = min(out_height, first + band_rows)
        top_edge, bottom_edge = first * height / out_height, last * height / out_height
        top, bottom = max(0, math.floor(top_edge - margin)), min(height, math.ceil(bottom_edge + margin))
        band = img.crop((0, top, width, bottom))
        if band.mode != mode:
            band = band.convert(mode)
        part = band.resize((out_width, last - first), Image.Resampling.LANCZOS, box=(0, top_edge - top, width, bottom_edge - top))
        out.paste(part, (0, first))
    return out


def _working_mode(img: Image.Image) -> str:
    if img.mode == "1":
        return "L"
    if img.mode in ("P", "PA"):
        has_alpha = img.mode == "PA" or "transparency" in img.info or (img.palette and img.palette.mode == "RGBA")
        return "RGBA" if has_alpha else "RGB"
    return img.mode


def _fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """The size within an edge×edge box, aspect kept (the box is square, so orientation does not matter)."""
    width, height = size
    if max(width, height) <= edge:
        return size
    if width >= height:
        return edge, max(1, round(height * edge / width))
    return max(1, round(width * edge / height)), edge


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _pixel_count(pixels: int) -> str:
    """A number of pixels as people say it: 40 million in English, 4000 万 or 1.2 亿 in Chinese."""
    if (translation.get_language() or "").startswith("zh"):
        if pixels >= 100_000_000:
            return f"{pixels / 100_000_000:.2f}".rstrip("0").rstrip(".") + " 亿"
        if pixels >= 10_000:
            return f"{round(pixels / 10_000)} 万"
        return str(pixels)
    if pixels >= 1_000_000:
        return f"{pixels / 1_000_000:.1f}".removesuffix(".0") + " million"
    return f"{pixels:,}"


_SRGB = None


def _to_srgb(img: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Convert pixels described by an ICC profile to sRGB (the profile itself is not kept); CMYK to RGB."""
    global _SRGB
    if icc_profile and img.mode in ("RGB", "RGBA", "CMYK"):
        try:
            if _SRGB is None:
                _SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            return ImageCms.profileToProfile(img, source, _SRGB, outputMode="RGB" if img.mode == "CMYK" else img.mode)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a damaged or unusable profile: the pixels are kept as they are, without it
    return img.convert("RGB") if img.mode == "CMYK" else img


def _encode(img: Image.Image, fmt: str) -> bytes:
    """Encode without metadata: Pillow writes a JPEG comment and a PNG's ICC profile from img.info."""
    img.info = {"transparency": img.info["transparency"]} if "transparency" in img.info else {}
    out = io.BytesIO()
    if fmt == "JPEG":
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        img.info = {}
        img.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    elif fmt == "PNG":
        if img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            img = img.convert("RGBA")
        # zlib's default level: optimize=True (level 9) took 15 s on a noisy 2560 px RGBA photo, for 11 % less.
        img.save(out, "PNG", compress_level=6)
    else:
        if img.mode not in ("RGB", "RGBA"):
            img = img.convert("RGBA" if "A" in img.mode or img.mode == "P" else "RGB")
        img.info = {}
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
    if not value.is_finite():  # a rational with a zero denominator reads as nan or inf
        raise ValueError("not a finite angle")
    if str(ref).strip("\x00 ").upper() == negative_ref:
        value = -value
    return value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def with_photos(photos, write):
    """Check and re-encode the photos before anything is written, then ``write(processed, photo_errors, stored)``; the
    files stored by a write that rolls back are removed. (Inspections, repairs, supervision's findings.)"""
    processed, photo_errors = process_batch(photos)
    stored: list = []
    try:
        return write(processed, photo_errors, stored)
    except BaseException:
        for file_field in stored:
            file_field.storage.delete(file_field.name)
        raise


def store_photos(model, owner_field: str, owner, processed, actor, stored: list, **extra) -> None:
    """Save each processed photo as a ``model`` row of ``owner`` (``extra``: e.g. its stage), with its audit row."""
    from core import audit

    for item in processed:
        photo = model(
            **{owner_field: owner}, content_type=item.content_type, size_bytes=item.size_bytes, taken_at=item.taken_at,
            gps_latitude=item.gps_latitude, gps_longitude=item.gps_longitude,
            uploaded_by=actor if getattr(actor, "pk", None) else None, **extra,
        )
        attach(photo, item, stored)
        photo.save()
        audit.record_create(actor=actor, obj=photo, note=item.original_name[:200])
