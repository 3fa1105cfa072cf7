"""What projects.photos keeps of a picture, kind by kind: the encoder's settings, the mode each kind of picture
is stored in, transparency, colour conversion, the banded resize against Pillow's own, and the stored names.

The mutation run (docs/mutation) showed these were reached but not checked: a photo encoded at another quality,
without optimised Huffman tables, or a transparent PNG losing its alpha passed every other test."""
import io
import random

import pytest
from PIL import Image, ImageChops, ImageStat

from projects import photos
from tests.images import matrix_rgb_icc, upload


def _noise(mode, size, seed=7):
    """A picture with detail in every channel (resampling and encoding have something to get wrong)."""
    rng = random.Random(seed)
    bands = len(Image.new(mode, (1, 1)).getbands()) if mode not in ("1", "P") else 1
    data = bytes(rng.randrange(256) for _ in range(size[0] * size[1] * bands))
    if mode == "1":
        return Image.frombytes("L", size, data).convert("1")
    if mode == "P":
        img = Image.frombytes("L", size, data).convert("P")
        img.putpalette([v for i in range(256) for v in (i, 255 - i, (i * 7) % 256)])
        return img
    return Image.frombytes(mode, size, data)


def _smooth(mode, size):
    """A gradient (what a resize should reproduce closely) in the given mode."""
    base = Image.linear_gradient("L").resize(size)
    other = Image.radial_gradient("L").resize(size)
    if mode == "L":
        return base
    if mode == "LA":
        return Image.merge("LA", (base, other))
    if mode == "RGB":
        return Image.merge("RGB", (base, other, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    if mode == "RGBA":
        return Image.merge("RGBA", (base, other, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT), other.transpose(Image.Transpose.FLIP_TOP_BOTTOM)))
    raise AssertionError(mode)


def _max_diff(a: Image.Image, b: Image.Image) -> int:
    extrema = ImageChops.difference(a, b).getextrema()
    return max(high for _low, high in extrema) if isinstance(extrema[0], tuple) else extrema[1]


def _reopen(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def _reference(img: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


# --- the encoders' settings -------------------------------------------------------------------------------

def test_a_jpeg_is_kept_progressive_optimised_at_quality_85():
    img = _noise("RGB", (96, 64))
    kept = photos._encode(img.copy(), "JPEG")
    decoded = _reopen(kept)
    assert decoded.format == "JPEG" and decoded.mode == "RGB" and decoded.size == (96, 64)
    assert decoded.info.get("progressive") == 1 and decoded.info.get("progression") == 1
    assert decoded.quantization == _reopen(_reference(img, "JPEG", quality=85)).quantization
    assert decoded.quantization != _reopen(_reference(img, "JPEG", quality=75)).quantization
    # The very bytes of Pillow's encoder with those settings. (libjpeg always optimises a progressive file's
    # Huffman tables, so optimize=True changes nothing here: docs/mutation lists that mutant as equivalent.)
    assert kept == _reference(img, "JPEG", quality=85, optimize=True, progressive=True)


def test_a_png_is_kept_at_zlibs_default_level():
    img = _noise("RGB", (96, 64))
    kept = photos._encode(img.copy(), "PNG")
    assert _reopen(kept).format == "PNG"
    assert ImageChops.difference(_reopen(kept), img).getbbox() is None  # lossless
    assert kept == _reference(img, "PNG", compress_level=6)
    assert kept != _reference(img, "PNG", compress_level=1)


def test_a_webp_is_kept_lossy_at_quality_80():
    img = _noise("RGB", (96, 64))
    kept = photos._encode(img.copy(), "WEBP")
    assert _reopen(kept).format == "WEBP"
    assert kept == _reference(img, "WEBP", quality=80)
    assert kept != _reference(img, "WEBP", quality=75)


@pytest.mark.parametrize(
    "fmt, mode, stored",
    [
        ("JPEG", "RGB", "RGB"), ("JPEG", "L", "L"), ("JPEG", "RGBA", "RGB"), ("JPEG", "LA", "RGB"), ("JPEG", "P", "RGB"),
        ("JPEG", "1", "RGB"), ("JPEG", "CMYK", "RGB"),
        ("PNG", "RGB", "RGB"), ("PNG", "RGBA", "RGBA"), ("PNG", "L", "L"), ("PNG", "LA", "LA"), ("PNG", "P", "P"),
        ("PNG", "1", "RGBA"), ("PNG", "CMYK", "RGBA"), ("PNG", "I;16", "RGBA"),
        ("WEBP", "RGB", "RGB"), ("WEBP", "RGBA", "RGBA"), ("WEBP", "LA", "RGBA"), ("WEBP", "P", "RGB"),
        ("WEBP", "L", "RGB"), ("WEBP", "1", "RGB"), ("WEBP", "CMYK", "RGB"),
    ],
)
def test_each_mode_is_stored_in_a_mode_its_format_holds(fmt, mode, stored):
    img = _noise(mode, (40, 30)) if mode != "I;16" else Image.new("I;16", (40, 30), 300)
    assert _reopen(photos._encode(img, fmt)).mode == stored


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_what_pillow_would_copy_from_the_pictures_info_is_dropped(fmt):
    img = _noise("RGB", (40, 30))
    img.info.update(comment=b"secret", icc_profile=matrix_rgb_icc(), exif=b"Exif\x00\x00MM", dpi=(300, 300))
    decoded = _reopen(photos._encode(img, fmt))
    assert not {"comment", "icc_profile", "exif", "dpi"} & set(decoded.info), decoded.info


def test_a_palette_pngs_transparent_colour_is_kept():
    img = Image.new("P", (20, 10), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    img.paste(1, (10, 0, 20, 10))
    img.info.update(transparency=0, comment=b"x")
    decoded = _reopen(photos._encode(img, "PNG"))
    assert decoded.mode == "P" and decoded.info.get("transparency") == 0 and "comment" not in decoded.info
    rgba = decoded.convert("RGBA")
    assert rgba.getpixel((0, 0))[3] == 0 and rgba.getpixel((15, 5)) == (255, 0, 0, 255)


def test_a_transparent_palette_picture_kept_as_webp_keeps_its_alpha():
    img = Image.new("P", (20, 10), 0)
    img.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    img.paste(1, (10, 0, 20, 10))
    img.info["transparency"] = 0
    decoded = _reopen(photos._encode(img, "WEBP"))
    assert decoded.mode == "RGBA"
    assert decoded.getpixel((2, 5))[3] < 10 and decoded.getpixel((17, 5))[3] > 245


# --- colour: ICC profiles and CMYK ------------------------------------------------------------------------

SWAPPED = matrix_rgb_icc(swap_red_green=True)


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_a_profile_is_applied_and_the_mode_kept(mode):
    img = Image.new(mode, (8, 8), (220, 10, 10, 77)[: len(mode)])
    converted = photos._to_srgb(img, SWAPPED)
    assert converted.mode == mode
    pixel = converted.getpixel((4, 4))
    assert pixel[1] > 150 and pixel[0] < 80, pixel  # the file's red is the profile's green
    if mode == "RGBA":
        assert pixel[3] == 77


def test_an_srgb_like_profile_leaves_colours_nearly_as_they_are():
    img = Image.new("RGB", (8, 8), (200, 60, 30))
    pixel = photos._to_srgb(img, matrix_rgb_icc()).getpixel((0, 0))
    assert all(abs(a - b) <= 12 for a, b in zip(pixel, (200, 60, 30))), pixel


def test_the_srgb_profile_is_made_once_and_reused(monkeypatch):
    made = []
    real = photos.ImageCms.createProfile
    monkeypatch.setattr(photos, "_SRGB", None)
    monkeypatch.setattr(photos.ImageCms, "createProfile", lambda *a, **k: made.append(a) or real(*a, **k))
    for _ in range(3):
        photos._to_srgb(Image.new("RGB", (4, 4), (220, 10, 10)), SWAPPED)
    assert made == [("sRGB",)]


def test_a_cmyk_picture_becomes_rgb_with_or_without_a_profile():
    img = Image.new("CMYK", (8, 8), (0, 255, 255, 0))  # red ink
    plain = photos._to_srgb(img, None)
    assert plain.mode == "RGB" and plain.getpixel((0, 0)) == img.convert("RGB").getpixel((0, 0))
    assert photos._to_srgb(img, b"not a profile").mode == "RGB"


@pytest.mark.parametrize("profile", [b"not a profile", b"", None, matrix_rgb_icc()[:100]])
def test_an_absent_or_damaged_profile_leaves_the_pixels_untouched(profile):
    img = Image.new("RGB", (8, 8), (220, 10, 10))
    assert photos._to_srgb(img, profile).getpixel((0, 0)) == (220, 10, 10)


@pytest.mark.parametrize("mode", ["L", "LA", "P"])
def test_a_profile_on_a_picture_without_colour_channels_is_not_applied(mode):
    img = Image.new(mode, (8, 8), 90 if mode != "LA" else (90, 200))
    converted = photos._to_srgb(img, SWAPPED)
    assert converted is img


# --- the banded resize ------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA"])
@pytest.mark.parametrize("band_rows", [None, 1, 3, 7])
def test_the_banded_resize_matches_pillows_resize(mode, band_rows):
    img = _smooth(mode, (300, 420))
    size = (70, 97)
    banded = photos.shrink(img, size, band_rows=band_rows)
    whole = img.resize(size, Image.Resampling.LANCZOS)
    assert banded.mode == mode and banded.size == size
    assert _max_diff(banded, whole) <= 2


def test_the_default_band_spans_many_bands_on_a_big_picture_and_still_matches(monkeypatch):
    """BAND_PIXELS small enough that the default band is a few rows: every seam is where a band ends."""
    monkeypatch.setattr(photos, "BAND_PIXELS", 300 * 3 * 5)
    img = _smooth("RGB", (300, 900))
    banded = photos.shrink(img, (100, 300))
    whole = img.resize((100, 300), Image.Resampling.LANCZOS)
    assert _max_diff(banded, whole) <= 2


def test_noise_is_resampled_like_pillow_at_every_band_seam():
    img = _noise("RGB", (200, 240), seed=3)
    banded = photos.shrink(img, (50, 60), band_rows=4)
    whole = img.resize((50, 60), Image.Resampling.LANCZOS)
    assert _max_diff(banded, whole) <= 2


def test_enlarging_bands_also_match():
    img = _smooth("L", (40, 30))
    banded = photos.shrink(img, (80, 60), band_rows=5)
    whole = img.resize((80, 60), Image.Resampling.LANCZOS)
    assert _max_diff(banded, whole) <= 2


def test_the_resized_copy_carries_no_metadata():
    img = _smooth("RGB", (60, 40))
    img.info.update(icc_profile=matrix_rgb_icc(), exif=b"Exif", comment=b"c")
    assert photos.shrink(img, (30, 20)).info == {}


@pytest.mark.parametrize(
    "mode, transparency, palette_mode, working",
    [
        ("1", None, None, "L"),
        ("P", None, "RGB", "RGB"),
        ("P", 0, "RGB", "RGBA"),
        ("P", None, "RGBA", "RGBA"),
        ("PA", None, "RGB", "RGBA"),
        ("L", None, None, "L"),
        ("LA", None, None, "LA"),
        ("RGB", None, None, "RGB"),
        ("RGBA", None, None, "RGBA"),
        ("CMYK", None, None, "CMYK"),
    ],
)
def test_the_mode_a_picture_is_resampled_in(mode, transparency, palette_mode, working):
    img = Image.new(mode, (30, 20))
    if palette_mode:
        img.putpalette([v for i in range(256) for v in (i, i, i) + ((i,) if palette_mode == "RGBA" else ())], palette_mode)
    if transparency is not None:
        img.info["transparency"] = transparency
    assert photos._working_mode(img) == working
    assert photos.shrink(img, (15, 10)).mode == working


def test_a_transparent_palette_picture_keeps_its_transparency_when_resized():
    img = Image.new("P", (40, 40), 0)
    img.putpalette([0, 0, 0, 255, 255, 0] + [0] * 762)
    img.paste(1, (20, 0, 40, 40))
    img.info["transparency"] = 0
    small = photos.shrink(img, (20, 20))
    assert small.getpixel((2, 10))[3] == 0 and small.getpixel((17, 10)) == (255, 255, 0, 255)


def test_a_one_bit_picture_is_resampled_in_grey():
    img = Image.new("1", (40, 40), 0)
    img.paste(1, (0, 0, 20, 40))
    small = photos.shrink(img, (20, 20))
    assert small.mode == "L" and small.getpixel((2, 10)) == 255 and small.getpixel((17, 10)) == 0


# --- whole photos of each kind ----------------------------------------------------------------------------

def _file(img, fmt, **params):
    out = io.BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


@pytest.mark.parametrize(
    "img, fmt, params, mode, thumb_mode",
    [
        (_smooth("L", (3000, 1000)), "JPEG", {}, "L", "L"),
        (_smooth("RGB", (3000, 1000)).convert("CMYK"), "JPEG", {}, "RGB", "RGB"),
        (_smooth("RGBA", (3000, 1000)), "PNG", {}, "RGBA", "RGBA"),
        (_smooth("LA", (3000, 1000)), "PNG", {}, "LA", "RGBA"),
        (_smooth("L", (3000, 1000)).convert("1"), "PNG", {}, "L", "RGB"),
        (_smooth("RGBA", (3000, 1000)), "WEBP", {"lossless": False, "quality": 90}, "RGBA", "RGBA"),
    ],
    ids=["grey-jpeg", "cmyk-jpeg", "rgba-png", "la-png", "1bit-png", "rgba-webp"],
)
def test_each_kind_of_photo_is_kept_and_thumbnailed(img, fmt, params, mode, thumb_mode):
    result = photos.process(upload(name=f"kind.{fmt.lower()}", data=_file(img, fmt, **params)))
    result.image.seek(0)
    result.thumbnail.seek(0)
    kept, thumb = _reopen(result.image.read()), _reopen(result.thumbnail.read())
    assert (kept.format, kept.mode, kept.size) == (fmt, mode, (2560, 853))
    assert (thumb.format, thumb.mode, thumb.size) == ("JPEG" if fmt == "JPEG" else "WEBP", thumb_mode, (320, 107))
    reference = img.convert(kept.mode).resize(kept.size, Image.Resampling.LANCZOS)
    # The kept picture is the original, resized (JPEG and WebP lose a little; PNG nothing but rounding).
    tolerance = 3 if fmt == "PNG" else 12
    assert max(ImageStat.Stat(ImageChops.difference(kept.convert(reference.mode), reference)).mean) <= tolerance


def test_a_photo_that_needs_no_resize_is_copied_not_shared():
    data = _file(_smooth("RGB", (200, 100)), "PNG")
    checked = photos.inspect(upload(name="small.png", data=data))
    assert checked.kept_size == checked.size == checked.decoded_size == (200, 100)
    result = photos.decode(checked)
    result.image.seek(0)
    assert _reopen(result.image.read()).size == (200, 100)
    assert (result.content_type, result.image.name, result.thumbnail.name) == ("image/png", "small.png", "small.webp")


def test_a_jpeg_is_decoded_at_its_draft_scale_and_then_resized():
    img = _smooth("RGB", (5200, 1300))
    checked = photos.inspect(upload(name="wide.jpg", data=_file(img, "JPEG", quality=90)))
    assert checked.decoded_size == (2600, 650) and checked.kept_size == (2560, 640)
    result = photos.decode(checked)
    assert (result.width, result.height) == (2560, 640)
    assert (result.content_type, result.image.name, result.thumbnail.name) == ("image/jpeg", "wide.jpg", "wide.jpg")


def test_a_file_that_changed_after_it_was_inspected_is_refused():
    checked = photos.inspect(upload(name="a.png", data=_file(_smooth("RGB", (200, 100)), "PNG")))
    checked.upload = upload(name="a.png", data=_file(_smooth("RGB", (201, 100)), "PNG"))
    with pytest.raises(photos.PhotoRejected, match="损坏"):
        photos.decode(checked)
    checked.upload = upload(name="a.png", data=_file(_smooth("RGB", (200, 100)), "JPEG"))
    with pytest.raises(photos.PhotoRejected, match="损坏"):
        photos.decode(checked)


def test_a_photo_decoded_at_another_size_than_inspected_is_refused():
    checked = photos.inspect(upload(name="a.jpg", data=_file(_smooth("RGB", (5200, 1300)), "JPEG")))
    checked.decoded_size = (5200, 1300)  # as if the decoder had ignored the draft scale
    with pytest.raises(photos.PhotoRejected, match="损坏"):
        photos.decode(checked)


def test_an_upload_without_a_name_is_called_photo():
    data = _file(_smooth("RGB", (50, 40)), "PNG")
    nameless = io.BytesIO(data)
    checked = photos.inspect(nameless)
    assert checked.name == "photo" and checked.format == "PNG" and checked.cost == 2000
    result = photos.decode(checked)
    assert (result.original_name, result.image.name, result.thumbnail.name) == ("photo", "photo.png", "photo.webp")
    named_none = upload(name="x.png", data=data)
    named_none.name = None
    assert photos.inspect(named_none).name == "photo"


def test_a_photo_whose_exif_is_cut_short_is_kept_with_what_could_be_read():
    """Pillow only warns ("Truncated File Read") on a damaged EXIF block: the photo is not refused for it."""
    from tests.images import exif_with, image_bytes

    exif = exif_with(orientation=6).tobytes()
    result = photos.process(upload(name="cut.jpg", data=image_bytes("JPEG", size=(64, 48), exif=exif[:-20])))
    assert (result.width, result.height) == (48, 64) and result.taken_at is not None


def test_an_unexpected_error_is_not_disguised_as_a_refusal(monkeypatch):
    """Only what a damaged file makes Pillow raise becomes PhotoRejected; a bug surfaces as itself."""

    def broken(fp):
        raise RuntimeError("a bug")

    monkeypatch.setattr(photos, "jpeg_layout", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        photos.inspect(upload(name="a.jpg", data=_file(_smooth("RGB", (50, 40)), "JPEG")))


# --- stored names -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "name, stem",
    [
        ("IMG_0001.JPG", "IMG_0001"),
        ("a.b.c.jpg", "abc"),
        ("dir/sub/现场-照片_1.png", "现场-照片_1"),
        ("C:\\Users\\村\\拍摄 01.jpg", "拍摄01"),
        ("../..\\x/y\\z.jpeg", "z"),
        ("noextension", "noextension"),
        (".hidden", "photo"),
        ("???.jpg", "photo"),
        ("", "photo"),
        ("a" * 70 + ".jpg", "a" * 60),
        ("b" * 60 + ".jpg", "b" * 60),
        ("tab\tand\nnewline<>|:*\"'.jpg", "tabandnewline"),
        ("x.tar.gz", "xtar"),
    ],
)
def test_the_stored_file_name(name, stem):
    assert photos._safe_stem(name) == stem
