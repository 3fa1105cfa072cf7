"""projects.photos.jpeg_layout on hand-built marker streams: what it skips, where it stops, and which defect
it names (the message stays in the log; the user sees "damaged")."""
import io

import pytest

from projects import photos

SOI, EOI = b"\xff\xd8", b"\xff\xd9"


def seg(code: int, payload: bytes) -> bytes:
    return b"\xff" + bytes([code]) + (len(payload) + 2).to_bytes(2, "big") + payload


def sof(width=64, height=48, sampling=((2, 2), (1, 1), (1, 1)), code=0xC0) -> bytes:
    components = b"".join(bytes([i + 1, (h << 4) | v, 0]) for i, (h, v) in enumerate(sampling))
    return seg(code, b"\x08" + height.to_bytes(2, "big") + width.to_bytes(2, "big") + bytes([len(sampling)]) + components)


def sos(components=3) -> bytes:
    return seg(0xDA, bytes([components]) + b"\x01\x00" * components + b"\x00\x3f\x00") + b"\x12\x34" + EOI


SEQUENTIAL = (False, (64, 48), 0)
# 64×48 at 4:2:0: 8×6 luma blocks, 4×3 of each chroma, 128 bytes each.
BUFFERED = (True, (64, 48), (8 * 6 + 2 * 4 * 3) * 128)


@pytest.mark.parametrize(
    "data, layout",
    [
        (SOI + sof() + sos(), SEQUENTIAL),
        (SOI + b"\x12\x34\x00" + sof() + b"\x56" + sos(), SEQUENTIAL),  # stray bytes between segments
        (SOI + b"\xff\xff\xff" + sof()[1:] + b"\xff\xff" + sos()[1:], SEQUENTIAL),  # fill bytes before markers
        # Markers without a length: stuffed zero, TEM, a second SOI, the restart markers.
        (SOI + b"\xff\x00\xff\x01\xff\xd8\xff\xd0\xff\xd3\xff\xd7" + sof() + sos(), SEQUENTIAL),
        (SOI + seg(0xE0, b"") + sof() + sos(), SEQUENTIAL),  # an empty segment
        (SOI + seg(0xE1, b"Exif\x00\x00" + b"\xff\xc0" * 8) + sof() + sos(), SEQUENTIAL),  # a marker inside a payload
        # Tables between the frame and the scan (DHT, DAC, JPG-reserved) are not frames.
        (SOI + sof() + seg(0xC4, b"\x00") + seg(0xCC, b"\x00") + seg(0xC8, b"\x00") + sos(), SEQUENTIAL),
        (SOI + sof(code=0xC1) + sos(), SEQUENTIAL),
        (SOI + sof(code=0xC9) + sos(), SEQUENTIAL),
        (SOI + sof(code=0xC2) + sos(), BUFFERED),  # progressive
        (SOI + sof(code=0xCF) + sos(), BUFFERED),  # the last frame kind (lossless, differential, arithmetic)
        (SOI + sof() + sos(components=1), BUFFERED),  # components in separate scans
        # Blocks are rounded up to the sampling factors: 4:2:2 at 17×9 → luma 4×2, chroma 2×2 each.
        (SOI + sof(17, 9, ((2, 1), (1, 1), (1, 1)), code=0xC2) + sos(), (True, (17, 9), (4 * 2 + 2 * 2 * 2) * 128)),
    ],
)
def test_layout(data, layout):
    assert photos.jpeg_layout(io.BytesIO(data)) == layout


@pytest.mark.parametrize(
    "data, defect",
    [
        (b"\x89PNG\r\n\x1a\n", "not a JPEG"),
        (SOI, "no scan in the JPEG"),
        (SOI + sof() + b"\x00\x00", "no scan in the JPEG"),
        (SOI + sof() + b"\xff", "no scan in the JPEG"),
        (SOI + sof() + EOI, "no scan in the JPEG"),
        (SOI + sof() + EOI + sos(), "no scan in the JPEG"),  # nothing after the end counts
        (SOI + b"\xff\xe0\x00", "truncated JPEG"),
        (SOI + b"\xff\xe0\x00\x01" + sof() + sos(), "bad JPEG segment length"),
        (SOI + sof(width=0) + sos(), "bad JPEG frame header"),
        (SOI + sof(height=0) + sos(), "bad JPEG frame header"),
        (SOI + sof(sampling=()) + sos(), "bad JPEG frame header"),
        (SOI + sof(sampling=((0, 1),)) + sos(), "bad JPEG frame header"),
        (SOI + sof(sampling=((2, 2), (1, 0), (1, 1))) + sos(), "bad JPEG frame header"),
        (SOI + sos(), "a scan before the frame header"),
    ],
)
def test_defects(data, defect):
    with pytest.raises(ValueError) as refused:
        photos.jpeg_layout(io.BytesIO(data))
    assert str(refused.value) == defect
