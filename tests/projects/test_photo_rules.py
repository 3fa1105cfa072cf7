"""The limits of projects.photos at their exact boundaries, with the message each refusal shows in Chinese,
and the EXIF fields read from a photo (capture time, GPS position, orientation)."""
import datetime
import io
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from projects import photos
from projects.photos import PhotoRejected
from tests.images import exif_with, image_bytes, large_jpeg, upload

ZH = "zh-hans"


def _refusal(data, name="photo.jpg"):
    with translation.override(ZH), pytest.raises(PhotoRejected) as refused:
        photos.process(upload(name=name, data=data))
    return str(refused.value)


def _open(content_file):
    content_file.seek(0)
    return Image.open(io.BytesIO(content_file.read()))


# --- size of the file -----------------------------------------------------------------------------------

def _padded(data: bytes, length: int) -> bytes:
    """A PNG followed by padding (ignored after IEND) up to the given length."""
    return data + b"\x00" * (length - len(data))


def test_ten_megabytes_exactly_is_accepted_one_byte_more_is_not():
    png = image_bytes("PNG", size=(64, 48))
    assert photos.inspect(upload(name="a.png", data=_padded(png, photos.MAX_BYTES))).size == (64, 48)
    assert _refusal(_padded(png, photos.MAX_BYTES + 1)) == "超过 10 MB。"


def test_an_empty_file():
    assert _refusal(b"") == "文件为空。"


def test_a_one_byte_file_is_damaged_not_empty():
    assert _refusal(b"\xff") == "不是 JPEG、PNG 或 WebP 图片，或文件已损坏。"


def test_the_file_is_read_from_its_start_whatever_was_read_before():
    data = upload(name="a.png", data=image_bytes("PNG", size=(64, 48)))
    data.read(10)
    assert photos.process(data).width == 64


# --- format ---------------------------------------------------------------------------------------------

def test_a_multi_picture_jpeg_is_refused_as_another_format():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, "MPO", save_all=True, append_images=[Image.new("RGB", (64, 48), "blue")])
    assert _refusal(out.getvalue()) == "不是 JPEG、PNG 或 WebP 图片。"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_refused(fmt):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, fmt)
    assert _refusal(out.getvalue()) == "不是 JPEG、PNG 或 WebP 图片，或文件已损坏。"


def test_a_truncated_png_is_refused_as_damaged():
    data = image_bytes("PNG", size=(64, 48))
    assert _refusal(data[: len(data) // 2], name="cut.png") == "不是 JPEG、PNG 或 WebP 图片，或文件已损坏。"


# --- pixel limits at their boundaries ---------------------------------------------------------------------

def test_pillows_bomb_limit_is_checked_on_the_declared_size(monkeypatch):
    data = image_bytes("PNG")  # 640×480
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 640 * 480)
    assert photos.inspect(upload(name="a.png", data=data)).size == (640, 480)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 640 * 480 - 1)
    assert _refusal(data) == "640×480 像素：像素过多（疑似解压炸弹），照片最多 31 万像素。"


def test_over_twice_pillows_limit_is_refused_as_a_bomb(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 640 * 480 // 3)
    assert _refusal(image_bytes("PNG")) == "图片像素过多（疑似解压炸弹），已拒收。"


def test_a_bomb_found_only_while_decoding_is_refused(monkeypatch):
    """A file whose pixels grew between inspection and decoding meets Pillow's own limit, turned into an error."""
    checked = photos.inspect(upload(name="a.png", data=image_bytes("PNG")))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 640 * 480 - 1)
    with translation.override(ZH), pytest.raises(PhotoRejected) as refused:
        photos.decode(checked)
    assert str(refused.value) == "图片像素过多（疑似解压炸弹），已拒收。"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_the_per_photo_cap_at_its_boundary(settings, fmt):
    data = image_bytes(fmt)  # 640×480, a baseline JPEG
    settings.PHOTO_MAX_PIXELS = 640 * 480
    checked = photos.inspect(upload(name="a", data=data))
    assert (checked.format, checked.cost, checked.decoded_size, checked.kept_size) == (fmt, 640 * 480, (640, 480), (640, 480))
    settings.PHOTO_MAX_PIXELS = 640 * 480 - 1
    assert _refusal(data) == "640×480 像素（31 万像素），超过每张照片 31 万像素的上限。"


def test_the_per_photo_cap_in_english(settings):
    settings.PHOTO_MAX_PIXELS = 1_000_000
    with translation.override("en"), pytest.raises(PhotoRejected) as refused:
        photos.process(upload(name="a.jpg", data=large_jpeg(1250, 1000)))
    assert str(refused.value) == "1250×1000 pixels (1.2 million), more than the 1 million pixels a photo may have."


def test_a_webp_is_charged_four_times_its_pixels(settings):
    data = image_bytes("WEBP")
    settings.PHOTO_MAX_PIXELS = 4 * 640 * 480
    assert photos.inspect(upload(name="a.webp", data=data)).cost == 4 * 640 * 480
    settings.PHOTO_MAX_PIXELS = 4 * 640 * 480 - 1
    assert _refusal(data) == "WebP 照片 640×480 像素：WebP 解码占用四倍内存，WebP 照片最多 31 万像素。"


# A 640×480 4:2:0 progressive JPEG: libjpeg holds 80×60 luma blocks and 40×30 of each chroma, 128 bytes each.
PROGRESSIVE_COST = 640 * 480 + (80 * 60 + 2 * 40 * 30) * 128 // 4


def test_a_progressive_jpeg_at_its_boundary(settings):
    data = large_jpeg(640, 480, progressive=True)
    assert photos.jpeg_layout(io.BytesIO(data)) == (True, (640, 480), (80 * 60 + 2 * 40 * 30) * 128)
    settings.PHOTO_MAX_PIXELS = PROGRESSIVE_COST
    assert photos.inspect(upload(name="p.jpg", data=data)).cost == PROGRESSIVE_COST
    settings.PHOTO_MAX_PIXELS = PROGRESSIVE_COST - 1
    assert _refusal(data) == (
        "渐进式（或多次扫描）JPEG 640×480 像素，解码时须整幅缓存，折合 54 万像素，超过每张照片 54 万像素的上限；"
        "请另存为普通（基线）JPEG 或缩小尺寸。"
    )


def test_the_webp_and_progressive_messages_in_english(settings):
    """Under a million pixels English writes the number whole: the limits are whole pixels."""
    settings.PHOTO_MAX_PIXELS = 4 * 640 * 480 - 1
    with translation.override("en"), pytest.raises(PhotoRejected) as refused:
        photos.process(upload(name="a.webp", data=image_bytes("WEBP")))
    assert str(refused.value) == (
        "a WebP photo of 640×480 pixels: decoding WebP takes four times the memory, so a WebP photo may have at most "
        "307,199 pixels."
    )
    settings.PHOTO_MAX_PIXELS = PROGRESSIVE_COST - 1
    with translation.override("en"), pytest.raises(PhotoRejected) as refused:
        photos.process(upload(name="p.jpg", data=large_jpeg(640, 480, progressive=True)))
    assert str(refused.value) == (
        "a progressive (or multi-scan) JPEG of 640×480 pixels is held whole while decoding, which counts as 537,600 "
        "pixels, more than the 537,599 pixels a photo may have; save it as an ordinary (baseline) JPEG or make it smaller."
    )


def test_a_baseline_jpeg_over_the_cap_gets_the_ordinary_message(settings):
    data = large_jpeg(640, 480)
    assert photos.jpeg_layout(io.BytesIO(data)) == (False, (640, 480), 0)
    settings.PHOTO_MAX_PIXELS = 640 * 480 - 1
    assert _refusal(data) == "640×480 像素（31 万像素），超过每张照片 31 万像素的上限。"


def _checked(*costs):
    return [photos.CheckedPhoto(upload=None, name=f"{i}", format="PNG", size=(1, 1), decoded_size=(1, 1), kept_size=(1, 1),
                                cost=cost) for i, cost in enumerate(costs)]


def test_the_report_budget_at_its_boundary(settings):
    settings.PHOTO_MAX_PIXELS_PER_REPORT = 120_000_000
    assert photos.over_budget(_checked(40_000_000, 40_000_000, 40_000_000)) is None
    assert photos.over_budget([]) is None
    with translation.override(ZH):
        assert photos.over_budget(_checked(40_000_000, 40_000_000, 40_000_001, 1)) == (
            2, "加上这张照片，本次报告的照片共需解码 1.2 亿像素，超过每次报告 1.2 亿像素的上限；其余照片请另行上报。"
        )
    with translation.override("en"):
        assert photos.over_budget(_checked(130_000_000)) == (
            0, "with this photo the report's photos come to 130 million pixels to decode, more than the 120 million pixels "
               "one report may have; send the rest in another report."
        )


@pytest.mark.parametrize(
    "language, pixels, said",
    [
        (ZH, 9_999, "9999"), (ZH, 10_000, "1 万"), (ZH, 40_000_000, "4000 万"), (ZH, 99_994_999, "9999 万"),
        (ZH, 100_000_000, "1 亿"), (ZH, 120_000_000, "1.2 亿"), (ZH, 123_456_789, "1.23 亿"),
        ("en", 999_999, "999,999"), ("en", 1_000_000, "1 million"), ("en", 1_500_000, "1.5 million"),
        ("en", 40_000_000, "40 million"), (None, 2_000_000, "2 million"), (None, 12_345, "12,345"),
        # Where the rounding turns (each a boundary an off-by-one divisor would cross).
        (ZH, 137_500_000, "1.38 亿"), (ZH, 35_000, "4 万"), ("en", 1_350_000, "1.4 million"),
    ],
)
def test_pixel_counts_as_people_say_them(language, pixels, said):
    with translation.override(language):
        assert photos._pixel_count(pixels) == said


# --- kept size, thumbnail, orientation --------------------------------------------------------------------

@pytest.mark.parametrize(
    "size, kept",
    [
        ((2560, 100), (2560, 100)), ((100, 2560), (100, 2560)), ((2561, 100), (2560, 100)), ((100, 2561), (100, 2560)),
        ((3000, 3000), (2560, 2560)), ((5120, 3840), (2560, 1920)), ((3840, 5120), (1920, 2560)),
        ((100_000, 10), (2560, 1)), ((10, 100_000), (1, 2560)),
    ],
)
def test_the_kept_size_fits_the_long_edge(size, kept):
    assert photos._fit(size, photos.MAX_EDGE) == kept


def test_a_photo_just_over_the_edge_is_scaled_and_its_thumbnail_made_from_it():
    result = photos.process(upload(name="w.png", data=image_bytes("PNG", size=(2561, 1000))))
    assert (result.width, result.height) == (2560, 1000) == _open(result.image).size
    thumb = _open(result.thumbnail)
    assert (thumb.format, thumb.size) == ("WEBP", (320, 125))


def test_a_photo_at_the_thumbnail_size_is_its_own_thumbnail():
    result = photos.process(upload(name="t.jpg", data=image_bytes("JPEG", size=(320, 200))))
    assert _open(result.thumbnail).size == (320, 200) and _open(result.thumbnail).format == "JPEG"
    assert result.thumbnail.name == "t.jpg" and result.image.name == "t.jpg"
    assert result.size_bytes == result.image.size == len(result.image.read()) > 0


@pytest.mark.parametrize(
    "orientation, size, corner",
    [
        (None, (60, 40), (0, 0)), (1, (60, 40), (0, 0)), (2, (60, 40), (59, 0)), (3, (60, 40), (59, 39)),
        (4, (60, 40), (0, 39)), (5, (40, 60), (0, 0)), (6, (40, 60), (39, 0)), (7, (40, 60), (39, 59)),
        (8, (40, 60), (0, 59)),
    ],
)
def test_orientation_is_applied(orientation, size, corner):
    """A red top-left corner ends where the camera's orientation says it belongs."""
    img = Image.new("RGB", (60, 40), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 6, 6))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    img.save(out, "PNG", exif=exif)
    result = photos.process(upload(name="o.png", data=out.getvalue()))
    kept = _open(result.image).convert("RGB")
    assert kept.size == size == (result.width, result.height)
    red, green, blue = kept.getpixel(corner)
    assert red > 200 and blue < 50


# --- EXIF capture time ------------------------------------------------------------------------------------

def _jpeg_with(exif):
    return image_bytes("JPEG", size=(64, 48), exif=exif)


@pytest.mark.parametrize(
    "original, offset, plain, taken",
    [
        ("2025:05:10 09:30:00", None, None, datetime.datetime(2025, 5, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))),
        ("2025:05:10 09:30:00", "+09:00", None,
         datetime.datetime(2025, 5, 10, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=9)))),
        ("2025:05:10 09:30:00", "bogus", None, datetime.datetime(2025, 5, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))),
        ("2025:05:10 09:30:00\x00 ", None, None, datetime.datetime(2025, 5, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))),
        (None, None, "2024:12:31 23:59:59", datetime.datetime(2024, 12, 31, 23, 59, 59, tzinfo=ZoneInfo("Asia/Shanghai"))),
        ("2025:05:10 09:30:00", None, "2020:01:01 00:00:00", datetime.datetime(2025, 5, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))),
        ("0000:00:00 00:00:00", None, None, None),
        ("2025-05-10 09:30", None, None, None),
        (None, None, None, None),
    ],
)
def test_capture_time(original, offset, plain, taken):
    exif = Image.Exif()
    if original:
        exif.get_ifd(0x8769)[36867] = original
    if offset:
        exif.get_ifd(0x8769)[36881] = offset
    if plain:
        exif[306] = plain
    result = photos.process(upload(data=_jpeg_with(exif)))
    assert result.taken_at == taken
    if taken is not None:
        assert result.taken_at.utcoffset() == taken.utcoffset()


# --- EXIF GPS position ------------------------------------------------------------------------------------

def _gps_exif(lat=(30, 27, 30.0), lat_ref="N", lon=(119, 40, 48.0), lon_ref="E"):
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    if lat_ref is not None:
        gps[1] = lat_ref
    if lat is not None:
        gps[2] = tuple(Fraction(str(v)) for v in lat)
    if lon_ref is not None:
        gps[3] = lon_ref
    if lon is not None:
        gps[4] = tuple(Fraction(str(v)) for v in lon)
    return exif


@pytest.mark.parametrize(
    "kwargs, position",
    [
        ({}, (Decimal("30.458333"), Decimal("119.680000"))),
        ({"lat_ref": None, "lon_ref": None}, (Decimal("30.458333"), Decimal("119.680000"))),  # refs default N / E
        ({"lat_ref": "S", "lon_ref": "W"}, (Decimal("-30.458333"), Decimal("-119.680000"))),
        ({"lat_ref": "s", "lon_ref": "w"}, (Decimal("-30.458333"), Decimal("-119.680000"))),
        ({"lat": (90, 0, 0), "lon": (180, 0, 0), "lat_ref": "S", "lon_ref": "W"}, (Decimal("-90.000000"), Decimal("-180.000000"))),
        ({"lat": (90, 0, 0), "lon": (180, 0, 0)}, (Decimal("90.000000"), Decimal("180.000000"))),
        ({"lat": (90, 0, 0.0036)}, (None, None)),  # 90.000001° is off the globe
        ({"lon": (180, 0, 0.0036)}, (None, None)),
        ({"lat": (90, 0, 0.0036), "lat_ref": "S"}, (None, None)),
        ({"lon": (180, 0, 0.0036), "lon_ref": "W"}, (None, None)),
        ({"lat": None}, (None, None)),
        ({"lon": None}, (None, None)),
        # Half a millionth of a degree rounds up.
        ({"lat": (30, 0, 0.0018), "lon": (119, 0, 0.0054)}, (Decimal("30.000001"), Decimal("119.000002"))),
    ],
)
def test_gps_position(kwargs, position):
    result = photos.process(upload(data=_jpeg_with(_gps_exif(**kwargs))))
    assert (result.gps_latitude, result.gps_longitude) == position


@pytest.mark.parametrize(
    "lat",
    [
        (IFDRational(30, 0), 0, 0),  # nan: a camera that wrote a zero denominator
        (30, IFDRational(1, 0), 0),
        (float("inf"), 0, 0),
        (30, 27),  # two parts, not three
    ],
)
def test_an_unreadable_gps_position_is_dropped_not_fatal(lat):
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: lat, 3: "E", 4: (119, 40, 48)})
    result = photos.process(upload(data=_jpeg_with(exif)))
    assert (result.gps_latitude, result.gps_longitude) == (None, None) and result.width == 64


def test_gps_references_padded_with_nul_and_spaces():
    assert photos._degrees((30, 27, 30), "S\x00 ", "S") == Decimal("-30.458333")
    assert photos._degrees((30, 27, 30), " N\x00", "S") == Decimal("30.458333")


def test_exif_without_gps_has_no_position():
    result = photos.process(upload(data=_jpeg_with(exif_with(lat=None, lon=None))))
    assert (result.gps_latitude, result.gps_longitude) == (None, None) and result.taken_at is not None
