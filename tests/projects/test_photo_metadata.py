"""Issue 15, item 17: the kept photo and its thumbnail carry no metadata at all.

The capture time and GPS position are read first (they are fields of the photo); then every metadata
segment goes: EXIF, XMP, IPTC, JPEG comments, ICC profiles (the pixels are converted to sRGB first), PNG
text and time chunks, WebP EXIF/XMP/ICC chunks. The tests read the output bytes themselves.
"""
import io
import struct
from decimal import Decimal

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from projects import photos
from tests.images import exif_with, matrix_rgb_icc, upload

SECRET = b"Secret-Marker"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description>' + SECRET + b"</rdf:Description></rdf:RDF></x:xmpmeta>"


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment before the image data (SOS ends the walk)."""
    assert data[:2] == b"\xff\xd8"
    segments, at = [], 2
    while True:
        assert data[at] == 0xFF
        marker = data[at + 1]
        length = struct.unpack(">H", data[at + 2: at + 4])[0]
        segments.append((marker, data[at + 4: at + 2 + length]))
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        at += 2 + length
    # Nothing after the scans either (a COM or APPn may sit between progressive scans, or after EOI).
    scans = data[at:]
    for marker in range(0xE0, 0xF0):
        assert b"\xff" + bytes([marker]) not in scans.replace(b"\xff\x00", b"")
    assert b"\xff\xfe" not in scans.replace(b"\xff\x00", b"")
    return segments


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    kinds, at = [], 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at: at + 8])
        kinds.append(kind)
        at += 12 + length
    return kinds


def webp_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    chunks, at = [], 12
    while at < len(data):
        kind, length = struct.unpack("<4sI", data[at: at + 8])
        chunks.append((kind, data[at + 8: at + 8 + length]))
        at += 8 + length + (length & 1)
    return chunks


def assert_bare_jpeg(data: bytes):
    for marker, payload in jpeg_segments(data):
        assert marker != 0xFE, "a JPEG comment (COM) survived"
        assert not 0xE1 <= marker <= 0xEF, f"an APP{marker - 0xE0} segment survived ({payload[:20]!r})"
        if marker == 0xE0:
            assert payload.startswith(b"JFIF\x00") and payload[12:14] == b"\x00\x00", "APP0 is only the JFIF header, no thumbnail"
    assert SECRET not in data


def assert_bare_png(data: bytes):
    kinds = png_chunks(data)
    assert set(kinds) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}, kinds
    assert SECRET not in data


def assert_bare_webp(data: bytes):
    chunks = webp_chunks(data)
    kinds = {kind for kind, _payload in chunks}
    assert kinds <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}, kinds
    for kind, payload in chunks:
        if kind == b"VP8X":
            assert payload[0] & 0b00101100 == 0, "VP8X announces ICC, EXIF or XMP"
    assert SECRET not in data


BARE = {"JPEG": assert_bare_jpeg, "PNG": assert_bare_png, "WEBP": assert_bare_webp}


def _picture(mode="RGB", size=(900, 600)):
    img = Image.linear_gradient("L").resize(size).convert(mode)
    img.paste((200, 30, 30) if mode == "RGB" else (200, 30, 30, 255), (10, 10, 60, 60))
    return img


def _with_everything(fmt: str) -> bytes:
    exif = exif_with()
    exif[0x010E] = SECRET.decode()  # ImageDescription
    exif[0x013B] = "Artist " + SECRET.decode()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    if fmt == "JPEG":
        _picture().save(out, "JPEG", exif=exif, icc_profile=icc, comment=b"comment " + SECRET, xmp=XMP)
        # An IPTC (Photoshop APP13) segment and a second comment, spliced in after SOI.
        iptc = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10\x1c\x02\x78\x00\x0c" + SECRET[:12] + b"\x00"
        app13 = b"\xff\xed" + struct.pack(">H", len(iptc) + 2) + iptc
        com = b"\xff\xfe" + struct.pack(">H", len(SECRET) + 2) + SECRET
        data = out.getvalue()
        return data[:2] + app13 + com + data[2:]
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "text " + SECRET.decode())
        info.add_text("Author", "ztxt " + SECRET.decode(), zip=True)
        info.add_itxt("Description", "itxt " + SECRET.decode(), lang="zh", tkey="说明")
        info.add_itxt("XML:com.adobe.xmp", XMP.decode())
        info.add(b"tIME", struct.pack(">HBBBBB", 2025, 5, 10, 9, 30, 0))
        _picture("RGBA").save(out, "PNG", pnginfo=info, exif=exif, icc_profile=icc)
        return out.getvalue()
    _picture("RGBA").save(out, "WEBP", exif=exif, icc_profile=icc, xmp=XMP)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_no_metadata_segment_survives(fmt):
    data = _with_everything(fmt)
    # The inputs do carry what must go.
    assert SECRET in data
    source = Image.open(io.BytesIO(data))
    assert source.info.get("icc_profile") and source.getexif().get_ifd(0x8825)

    result = photos.process(upload(name=f"site.{fmt.lower()}", data=data))

    # The fields the portal keeps were read first.
    assert result.taken_at is not None
    assert (result.gps_latitude, result.gps_longitude) == (Decimal("30.458333"), Decimal("119.680000"))
    result.image.seek(0)
    result.thumbnail.seek(0)
    BARE[fmt](result.image.read())
    BARE["JPEG" if fmt == "JPEG" else "WEBP"](result.thumbnail.read())


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_small_photos_kept_at_their_size_are_bare_too(fmt):
    """A photo under 2560 px is not resized: what Pillow read into it (comment, ICC profile) must not ride along."""
    out = io.BytesIO()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    extra = {"comment": b"note " + SECRET} if fmt == "JPEG" else {}
    _picture(size=(320, 240)).save(out, fmt, icc_profile=icc, **extra)
    result = photos.process(upload(name=f"small.{fmt.lower()}", data=out.getvalue()))
    result.image.seek(0)
    BARE[fmt](result.image.read())


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_colours_are_converted_to_srgb_before_the_profile_is_dropped(fmt):
    """A file whose profile swaps red and green shows green where its bytes say red: so must the kept copy."""
    out = io.BytesIO()
    _picture(size=(3000, 2000)).save(out, fmt, icc_profile=matrix_rgb_icc(swap_red_green=True), **({"quality": 95} if fmt != "PNG" else {}))
    result = photos.process(upload(name=f"wide-gamut.{fmt.lower()}", data=out.getvalue()))
    result.image.seek(0)
    kept = Image.open(io.BytesIO(result.image.read())).convert("RGB")
    assert "icc_profile" not in kept.info
    red, green, _blue = kept.getpixel((30 * 2560 // 3000, 30 * 2560 // 3000))
    assert green > 150 and red < 80, (red, green)
