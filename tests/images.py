"""Real image bytes for upload tests, made with Pillow (no binary fixtures in the repository)."""
import io
from fractions import Fraction

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

# 余村 (安吉县天荒坪镇), roughly.
YUCUN_LAT = (30, 27, 30.0)  # 30.458333
YUCUN_LON = (119, 40, 48.0)  # 119.68


def image_bytes(fmt="JPEG", size=(640, 480), color=(60, 140, 80), exif=None) -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", size, color)
    # A little structure so encoders have something to encode.
    for x in range(0, size[0], 16):
        img.putpixel((x, size[1] // 2), (250, 250, 250))
    kwargs = {"exif": exif} if exif is not None else {}
    img.save(out, fmt, **kwargs)
    return out.getvalue()


def exif_with(taken="2025:05:10 09:30:00", lat=YUCUN_LAT, lon=YUCUN_LON, orientation=None) -> Image.Exif:
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[36867] = taken  # DateTimeOriginal
    if lat and lon:
        gps = exif.get_ifd(0x8825)
        gps[1] = "N"
        gps[2] = tuple(Fraction(str(v)) for v in lat)
        gps[3] = "E"
        gps[4] = tuple(Fraction(str(v)) for v in lon)
    if orientation:
        exif[0x0112] = orientation
    return exif


def upload(name="photo.jpg", data=None, content_type="image/jpeg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else image_bytes(**kwargs), content_type=content_type)


def bomb_png() -> bytes:
    """A small file that decodes to ~100 million pixels: above Pillow's warning limit (89.5M)."""
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG", optimize=True)
    return out.getvalue()
