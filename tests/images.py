"""Real image bytes for upload tests, made with Pillow (no binary fixtures in the repository)."""
import functools
import io
import struct
import zlib
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


@functools.cache
def png_declaring(width: int, height: int, color_type: int = 2) -> bytes:
    """A valid PNG of one colour at any size, built chunk by chunk without holding the image in memory.

    color_type 2 is RGB, 6 is RGBA. A 9,400×9,400 RGB one is ~280 KB on the wire and 350 MB once decoded
    (the photo of issue 15's attack).
    """
    channels = {0: 1, 2: 3, 6: 4}[color_type]
    row = b"\x00" + b"\x20" * (width * channels)  # filter byte 0, then the pixels
    packer = zlib.compressobj(9)
    rows_per_piece = max(1, (4 * 1024 * 1024) // len(row))
    idat = []
    for first in range(0, height, rows_per_piece):
        idat.append(packer.compress(row * min(rows_per_piece, height - first)))
    idat.append(packer.flush())

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(idat)) + chunk(b"IEND", b"")


@functools.cache
def large_jpeg(width: int, height: int, progressive: bool = False, subsampling: int = 2, exif: bytes | None = None) -> bytes:
    """A JPEG of the given size with some structure (a camera photo's shape, not its content)."""
    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif else {}
    img.save(out, "JPEG", quality=80, progressive=progressive, subsampling=subsampling, **kwargs)
    return out.getvalue()


def matrix_rgb_icc(swap_red_green: bool = False) -> bytes:
    """A minimal ICC v2 RGB display profile (sRGB's primaries and white, gamma 2.2).

    With swap_red_green the red and green primaries trade places: a pixel that is red in the file is green
    on screen, so a test can see whether a decoder honoured the profile.
    """
    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x, y, z) -> bytes:
        return b"XYZ " + b"\x00" * 4 + s15(x) + s15(y) + s15(z)

    red, green, blue = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
    if swap_red_green:
        red, green = green, red
    description = b"test RGB\x00"
    desc = b"desc" + b"\x00" * 4 + struct.pack(">I", len(description)) + description + b"\x00" * (4 + 4 + 2 + 1 + 67)
    curve = b"curv" + b"\x00" * 4 + struct.pack(">I", 1) + struct.pack(">H", 0x0233) + b"\x00\x00"  # gamma 2.2
    tags = [
        (b"desc", desc), (b"wtpt", xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", xyz(*red)), (b"gXYZ", xyz(*green)),
        (b"bXYZ", xyz(*blue)), (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve), (b"cprt", b"text" + b"\x00" * 4 + b"none\x00\x00\x00\x00"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        while len(data) % 4:
            data += b"\x00"
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (
        struct.pack(">I", size) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ " + b"\x00" * 12 + b"acsp"
        + b"\x00" * 24 + struct.pack(">I", 0) + s15(0.9642) + s15(1.0) + s15(0.8249) + b"\x00" * 4 + b"\x00" * 16 + b"\x00" * 28
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body
