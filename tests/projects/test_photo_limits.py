"""Issue 15, item 1: a photo cannot take the site down.

What a photo costs to decode is known from its header, before any pixel is decoded: a photo over
PHOTO_MAX_PIXELS, or a report whose photos together exceed PHOTO_MAX_PIXELS_PER_REPORT, is refused
without decoding anything. JPEGs are decoded at a reduced scale (draft) towards the kept size; nothing
the size of the full decode is made besides the decode itself.
"""
import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from PIL import Image, ImageChops, ImageFile, WebPImagePlugin

from core.exceptions import InvalidInput
from projects import photos, services
from projects.models import ProgressPhoto, ProgressReport, ProjectStatus
from projects.photos import PhotoRejected
from tests.images import exif_with, image_bytes, large_jpeg, png_declaring, upload


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any image is decoded (Pillow's load of a file, or of an image's pixels)."""
    decoded = []

    def refuse(self, *args, **kwargs):
        decoded.append(self.size)
        raise AssertionError(f"a {self.size[0]}×{self.size[1]} image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    monkeypatch.setattr(WebPImagePlugin.WebPImageFile, "load", refuse)  # decodes before ImageFile.load
    return decoded


@pytest.fixture
def decode_spy(monkeypatch):
    """Once started, record the size at which each file is decoded, and of every image Pillow makes from another."""
    seen = {"decoded": [], "made": []}
    real_load, real_new = ImageFile.ImageFile.load, Image.Image._new

    def load(self, *args, **kwargs):
        if self.tile:  # not loaded yet: this call decodes
            seen["decoded"].append(self.size)
        return real_load(self, *args, **kwargs)

    def new(self, im):
        made = real_new(self, im)
        seen["made"].append(made.size)
        return made

    def start():
        monkeypatch.setattr(ImageFile.ImageFile, "load", load)
        monkeypatch.setattr(Image.Image, "_new", new)
        return seen

    return start


def _open(content_file):
    content_file.seek(0)
    return Image.open(io.BytesIO(content_file.read()))


# --- one photo -----------------------------------------------------------------------------------------


def test_the_9400_pixel_png_attack_is_refused_from_its_header(no_decoding):
    data = png_declaring(9400, 9400)  # ~280 KB on the wire, 350 MB decoded
    assert len(data) < 300 * 1024
    with translation.override("zh-hans"), pytest.raises(PhotoRejected) as refused:
        photos.process(upload(name="attack.png", data=data, content_type="image/png"))
    assert "9400×9400 像素" in str(refused.value) and "4000 万像素" in str(refused.value)
    with translation.override("en"), pytest.raises(PhotoRejected, match="9400×9400 pixels.*40 million"):
        photos.process(upload(name="attack.png", data=data, content_type="image/png"))
    assert no_decoding == []


def test_the_cap_is_a_setting(settings, no_decoding):
    settings.PHOTO_MAX_PIXELS = 1_000_000
    with translation.override("zh-hans"), pytest.raises(PhotoRejected, match="100 万像素"):
        photos.process(upload(name="wide.png", data=png_declaring(1001, 1000), content_type="image/png"))


def test_a_png_at_the_cap_is_decoded_and_kept(decode_spy, settings):
    settings.PHOTO_MAX_PIXELS = 3000 * 2000
    data = png_declaring(3000, 2000, color_type=6)
    seen = decode_spy()
    result = photos.process(upload(name="site.png", data=data, content_type="image/png"))
    assert (result.width, result.height) == (2560, 1707)
    assert seen["decoded"] == [(3000, 2000)]
    # No full-size copy (premultiplied alpha, a second resize source) is made: nothing larger than the kept copy.
    assert max(w * h for w, h in seen["made"]) <= 2560 * 1707


def test_a_phone_photo_goes_through_with_its_exif_and_no_full_size_copies(decode_spy):
    """4,000×3,000 is what a phone camera takes by default (12 MP): kept at 2560 on the long edge."""
    data = large_jpeg(4000, 3000, exif=exif_with(orientation=6).tobytes())
    seen = decode_spy()
    result = photos.process(upload(name="IMG_0001.jpg", data=data))
    assert (result.width, result.height) == (1920, 2560)  # orientation 6 applied: portrait
    assert _open(result.image).size == (1920, 2560)
    assert result.taken_at == datetime.datetime(2025, 5, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert (result.gps_latitude, result.gps_longitude) == (Decimal("30.458333"), Decimal("119.680000"))
    assert max(_open(result.thumbnail).size) == photos.THUMB_EDGE
    assert seen["decoded"] == [(4000, 3000)]  # decoded once
    # Resized before it is turned, the thumbnail made from the kept copy: no 12 MP copy, no turned 12 MP copy.
    assert max(w * h for w, h in seen["made"]) <= 2560 * 1920


def test_a_big_jpeg_is_decoded_at_a_reduced_scale(decode_spy):
    """A 50 MP phone mode (8160×6120) is decoded at 1/2 by libjpeg; here 5200×3900 → 2600×1950."""
    data = large_jpeg(5200, 3900)
    checked = photos.inspect(upload(name="hires.jpg", data=data))
    assert checked.decoded_size == (2600, 1950) and checked.cost == 2600 * 1950
    seen = decode_spy()
    result = photos.process(upload(name="hires.jpg", data=data))
    assert seen["decoded"] == [(2600, 1950)]
    assert (result.width, result.height) == (2560, 1920)


def test_a_progressive_jpeg_is_charged_for_the_whole_image_libjpeg_buffers(no_decoding):
    """libjpeg keeps a progressive JPEG's coefficients for the whole image (2 bytes a sample) whatever the
    scale it decodes at: 5000×5000 without chroma subsampling holds 150 MB, too much for one photo."""
    data = large_jpeg(5000, 5000, progressive=True, subsampling=0)
    with translation.override("zh-hans"), pytest.raises(PhotoRejected, match="渐进式") as refused:
        photos.process(upload(name="progressive.jpg", data=data))
    assert "5000×5000" in str(refused.value)
    # The same picture as an ordinary (baseline) JPEG costs only its decode (5000 px is under twice 2560: full scale).
    assert photos.inspect(upload(name="baseline.jpg", data=large_jpeg(5000, 5000, subsampling=0))).cost == 5000 * 5000


def test_a_progressive_phone_photo_still_goes_through():
    data = large_jpeg(4000, 3000, progressive=True)
    checked = photos.inspect(upload(name="wechat.jpg", data=data))
    # 12 MP decoded, plus the 4:2:0 coefficients libjpeg keeps (8×8 blocks of 2-byte samples: luma 500×376
    # blocks, rows rounded up to its sampling factor, and two chroma planes of 250×188), in 4-byte pixels.
    assert checked.cost == 4000 * 3000 + (500 * 376 + 2 * 250 * 188) * 128 // 4
    assert photos.process(upload(name="wechat.jpg", data=data)).width == 2560


def test_a_jpeg_read_in_several_scans_is_charged_like_a_progressive_one():
    """A baseline JPEG whose first scan does not hold every component is buffered whole by libjpeg too."""
    sof = b"\xff\xc0\x00\x11\x08" + (3000).to_bytes(2, "big") + (4000).to_bytes(2, "big") + b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    interleaved = b"\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00"
    one_component = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    assert photos.jpeg_layout(io.BytesIO(b"\xff\xd8" + sof + interleaved)) == (False, (4000, 3000), 0)
    buffered, size, coefficients = photos.jpeg_layout(io.BytesIO(b"\xff\xd8" + sof + one_component))
    assert buffered and size == (4000, 3000)
    assert coefficients == (500 * 376 + 2 * 250 * 188) * 128


def test_webp_is_charged_for_what_its_decoder_holds(no_decoding, settings):
    """Pillow's WebP decoder holds four RGBA copies of the picture: the WebP cap is a quarter of the pixels."""
    data = image_bytes("WEBP", size=(4000, 3000))
    with translation.override("zh-hans"), pytest.raises(PhotoRejected, match="WebP") as refused:
        photos.process(upload(name="big.webp", data=data, content_type="image/webp"))
    assert "4000×3000" in str(refused.value) and "1000 万像素" in str(refused.value)


def test_a_declared_size_over_pillows_bomb_limit_is_refused_even_for_a_jpeg(no_decoding):
    # 20,000×5,000 = 100 MP: libjpeg could decode it at 1/8, but no photo may declare that much.
    header = b"\xff\xd8\xff\xc0\x00\x11\x08" + (5000).to_bytes(2, "big") + (20000).to_bytes(2, "big") + b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    data = image_bytes("JPEG")
    data = data.replace(data[data.index(b"\xff\xc0"): data.index(b"\xff\xc0") + 19], header[2:], 1)
    with translation.override("zh-hans"), pytest.raises(PhotoRejected, match="20000×5000 像素：像素过多"):
        photos.process(upload(name="huge.jpg", data=data))


def test_banded_resizing_matches_pillows_resize():
    """The kept copy is resized a band of rows at a time (for alpha, Pillow premultiplies a whole copy)."""
    source = Image.radial_gradient("L").resize((1003, 777)).convert("RGBA")
    source.putalpha(Image.linear_gradient("L").resize((1003, 777)))
    direct = source.resize((401, 311), Image.Resampling.LANCZOS)
    banded = photos.shrink(source, (401, 311), band_rows=16)
    assert banded.mode == "RGBA" and banded.size == direct.size
    assert max(high for _low, high in ImageChops.difference(direct, banded).getextrema()) <= 1


# --- a report: every header is checked before anything is decoded --------------------------------------

S = ProjectStatus


def _report(actor, project, photo_uploads):
    return services.progress_report_create(
        actor=actor, project=project, report_date=datetime.date(2025, 5, 10), percent_complete=45,
        amount_spent=Decimal("1000"), photos=photo_uploads,
    )


def _nothing_written(settings):
    media = settings.MEDIA_ROOT
    return (
        not ProgressReport.objects.exists() and not ProgressPhoto.objects.exists()
        and (not media.exists() or not any(p.is_file() for p in media.rglob("*")))
    )


def test_a_photo_over_the_cap_refuses_the_report_before_any_photo_is_decoded(official, building, settings, no_decoding):
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refused:
        _report(official, building, [upload("现场1.jpg"), upload("现场2.png", data=png_declaring(9400, 9400), content_type="image/png")])
    (message,) = refused.value.field_errors["photos"]
    assert "现场2.png" in message and "9400×9400 像素" in message
    assert no_decoding == []  # not even the good first photo
    assert _nothing_written(settings)


def test_the_report_budget_refuses_before_decoding_and_writes_nothing(official, building, settings, no_decoding):
    assert settings.PHOTO_MAX_PIXELS_PER_REPORT == 120_000_000
    # Seven photos of 20 MP, each under the 40 MP cap: 140 MP together, over the budget at the seventh.
    seven = [upload(f"全景{n}.png", data=png_declaring(5000, 4000), content_type="image/png") for n in range(1, 8)]
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refused:
        _report(official, building, seven)
    (message,) = refused.value.field_errors["photos"]
    assert "全景7.png" in message and "1.4 亿像素" in message and "1.2 亿像素" in message
    assert no_decoding == []
    assert _nothing_written(settings)


def test_nine_phone_photos_fit_the_report_budget(official, building, settings):
    nine = [upload(f"IMG_{n}.jpg", data=large_jpeg(4000, 3000)) for n in range(9)]
    assert sum(photos.inspect(photo).cost for photo in nine) <= settings.PHOTO_MAX_PIXELS_PER_REPORT
    report = _report(official, building, nine)
    assert report.photos.count() == 9
    assert {(photo.image.width, photo.image.height) for photo in report.photos.all()} == {(2560, 1920)}
