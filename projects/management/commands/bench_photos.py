"""python manage.py bench_photos: peak memory (RSS) and time of progress reports with the largest photos the
portal accepts, with nine phone photos, and with the photos of issue 15's attack.

Each case is a progress report POSTed through the real view (/projects/<id>/progress/new/, Django's test
Client, logged in as a township official) in a freshly forked child of this process, as bench_reports does:
its peak RSS (VmHWM, the same as wait4's ru_maxrss) is that of a web worker that served one warm-up report
of a small photo and then the measured one. The multipart body is read from a file, as a worker reads it from
its socket (Django writes uploads over 2.5 MB to temporary files).

The child makes what it needs (a region chain 99…, a village, an approved project, the official) in one
transaction that it rolls back, and stores photos under a temporary MEDIA_ROOT, so any database will do
(SQLite after `migrate`, or the bench database). The photos are generated in another child and written to a
temporary folder, so that this process never holds their pixels.

Target (issue 15): at most 300 MB peak RSS per request; the attack and reports over the budget refused from the
headers, before any photo is decoded; a 4,000×3,000 phone photo still goes through.
"""
import datetime
import html
import io
import json
import re
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import Client, override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from django.utils import timezone

from core.benchmarks import in_child

RSS_LIMIT_MB = 300

# name: (width, height, what it is). PNGs and the WebP are as large as the cap allows; the baseline JPEG is as
# large as Pillow's bomb limit allows (libjpeg decodes it at 1/2); the progressive JPEG as large as its
# whole-image coefficient buffer allows.
PHOTOS = {
    "png-40mp": (7300, 5479, "PNG RGBA, 40 MP (the cap)"),
    "jpeg-88mp": (9400, 9400, "JPEG baseline 9400×9400, 88 MP (decoded at 1/2)"),
    "jpeg-progressive": (7200, 5400, "JPEG progressive 7200×5400, 39 MP (decoded at 1/2, coefficients held whole)"),
    "webp-10mp": (3650, 2739, "WebP RGBA 3650×2739, 10 MP (a quarter of the cap)"),
    "phone": (4000, 3000, "JPEG 4000×3000 phone photo with EXIF"),
    "attack": (9400, 9400, "PNG 9400×9400 of 280 KB (issue 15's attack)"),
    "small": (640, 480, "JPEG 640×480 (warm-up)"),
}
# (case, [photos], expected outcome)
CASES = [
    ("one 40 MP PNG (RGBA)", ["png-40mp"], "accepted"),
    ("one 88 MP baseline JPEG", ["jpeg-88mp"], "accepted"),
    ("one 39 MP progressive JPEG", ["jpeg-progressive"], "accepted"),
    ("one 10 MP WebP", ["webp-10mp"], "accepted"),
    ("one phone JPEG 4000×3000", ["phone"], "accepted"),
    ("three 40 MP PNGs (the report budget, full)", ["png-40mp"] * 3, "accepted"),
    ("nine 40 MP PNGs (over the budget)", ["png-40mp"] * 9, "refused"),
    ("nine 88 MP JPEGs (over the budget)", ["jpeg-88mp"] * 9, "refused"),
    ("nine phone JPEGs 4000×3000", ["phone"] * 9, "accepted"),
    ("nine 9400×9400 PNGs (the attack)", ["attack"] * 9, "refused"),
]


class Command(BaseCommand):
    help = "Benchmark progress reports with maximum-size, phone and attack photos (peak RSS per request)."

    def add_arguments(self, parser):
        parser.add_argument("--output", default="bench-results/photos.json")
        parser.add_argument("--only", default="", help="run the cases whose name contains this text")

    def handle(self, *args, output, only, **options):
        folder = Path(tempfile.mkdtemp(prefix="bench-photos-"))
        try:
            self.stdout.write(
                f"PHOTO_MAX_PIXELS {settings.PHOTO_MAX_PIXELS:,}, PHOTO_MAX_PIXELS_PER_REPORT {settings.PHOTO_MAX_PIXELS_PER_REPORT:,}; "
                f"peak RSS per request ≤ {RSS_LIMIT_MB} MB"
            )
            sizes = in_child(lambda: _make_photos(folder))
            for key, (_width, _height, what) in PHOTOS.items():
                self.stdout.write(f"  photo {key:<17} {what}: {sizes[key] / 1e6:5.2f} MB")
            results = []
            body = folder / "request-body"  # written by one child; the measured child only serves the request
            for name, keys, expected in CASES:
                if only and only not in name:
                    continue
                in_child(lambda keys=keys: _write_body(folder, keys, body))
                row = in_child(lambda: _post_report(folder, body), measure=True)
                row.update(case=name, photos=len(keys), expected=expected, upload_mb=round(sum(sizes[k] for k in keys) / 1e6, 2))
                row["passed"] = row["outcome"] == expected and row["peak_rss_mb"] <= RSS_LIMIT_MB and (
                    expected == "accepted" or row["decoded"] == 0
                )
                results.append(row)
                self.stdout.write(
                    f"{name:<44} {row['outcome']:<8} decoded {row['decoded']}/{len(keys)}  {row['seconds']:6.2f} s  "
                    f"RSS before {row['rss_before_mb']:6.1f} MB  peak {row['peak_rss_mb']:6.1f} MB  "
                    f"{'PASS' if row['passed'] else 'FAIL'}"
                )
                for message in row["messages"][:1]:
                    self.stdout.write(f"    {message}")
            Path(output).parent.mkdir(parents=True, exist_ok=True)
            Path(output).write_text(
                json.dumps(
                    {
                        "measured_at": timezone.now().isoformat(), "rss_limit_mb": RSS_LIMIT_MB,
                        "photo_max_pixels": settings.PHOTO_MAX_PIXELS,
                        "photo_max_pixels_per_report": settings.PHOTO_MAX_PIXELS_PER_REPORT,
                        "photos": {key: {"what": PHOTOS[key][2], "bytes": sizes[key]} for key in PHOTOS}, "results": results,
                    },
                    indent=2, ensure_ascii=False,
                )
            )
            self.stdout.write(f"written {output}")
            if not all(row["passed"] for row in results):
                raise CommandError("some photo cases failed (see above)")
        finally:
            shutil.rmtree(folder, ignore_errors=True)



def _status_mb(key: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _make_photos(folder: Path) -> dict:
    """Write the benchmark photos (pictures with some structure, not flat colour) and return their sizes."""
    from PIL import Image

    from projects.photos import EXIF_IFD, GPS_IFD

    def picture(width, height, mode="RGB"):
        base = Image.linear_gradient("L").resize((width, height))
        noise = Image.effect_noise((max(1, width // 64), max(1, height // 64)), 40).resize((width, height), Image.Resampling.BICUBIC)
        bands = {"RGB": (base, noise, Image.radial_gradient("L").resize((width, height)))}
        bands["RGBA"] = (*bands["RGB"], base.transpose(Image.Transpose.ROTATE_180))
        return Image.merge(mode, bands[mode])

    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(EXIF_IFD)[36867] = "2025:05:10 09:30:00"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (30.0, 27.0, 30.0), 3: "E", 4: (119.0, 40.0, 48.0)})
    sizes = {}
    for key, (width, height, _what) in PHOTOS.items():
        path = folder / key
        if key == "attack":
            # One colour compresses to ~280 KB; written without holding the picture (tests/images.py does the same).
            from zlib import compressobj, crc32

            def chunk(kind, data):
                return len(data).to_bytes(4, "big") + kind + data + crc32(kind + data).to_bytes(4, "big")

            packer, row = compressobj(9), b"\x00" + b"\x20" * (width * 3)
            idat = b"".join(packer.compress(row * 100) for _ in range(height // 100)) + packer.compress(row * (height % 100)) + packer.flush()
            header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
            path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
        else:
            out = io.BytesIO()
            if key == "png-40mp":
                picture(width, height, "RGBA").save(out, "PNG")
            elif key == "webp-10mp":
                picture(width, height, "RGBA").save(out, "WEBP", quality=85)
            else:
                extra = {"exif": exif} if key == "phone" else {}
                picture(width, height).save(out, "JPEG", quality=90, progressive=key == "jpeg-progressive", **extra)
            path.write_bytes(out.getvalue())
        sizes[key] = path.stat().st_size
    return sizes


def _fields() -> dict:
    return {"report_date": timezone.localdate().isoformat(), "amount_spent": "1000", "narrative": "基准"}


def _write_body(folder: Path, keys: list[str], path: Path) -> None:
    """The multipart body of the measured report, as a browser sends it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    photos = [_file(folder, key, SimpleUploadedFile, number) for number, key in enumerate(keys, 1)]
    path.write_bytes(encode_multipart(BOUNDARY, {**_fields(), "percent_complete": "20", "photos": photos}))


def _post_report(folder: Path, body_path: Path) -> dict:
    """In the child: set up a project under construction and its township official, warm up, then POST the body."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import Role, RoleAssignment
    from projects import photos
    from projects.models import ProgressReport, Project, ProjectStatus, ProjectType
    from villages.models import Region, RegionLevel, Village, VillageCategory, VillageKind

    decoded = []
    real_decode = photos.decode

    def counting_decode(checked):
        decoded.append(checked.name)
        return real_decode(checked)

    photos.decode = counting_decode
    media = Path(tempfile.mkdtemp(prefix="bench-photos-media-"))
    today = timezone.localdate()
    try:
        with override_settings(MEDIA_ROOT=media, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]), transaction.atomic():
            parent = None
            for code, level in (("99", RegionLevel.PROVINCE), ("9901", RegionLevel.CITY), ("990101", RegionLevel.COUNTY), ("990101001", RegionLevel.TOWNSHIP)):
                parent, _created = Region.objects.get_or_create(code=code, defaults={"name": f"测试{code}", "level": level, "parent": parent})
            village = Village.objects.create(
                code="990101001201", name="测试村村委会", short_name="测试村", township=parent,
                kind=VillageKind.VILLAGE_COMMITTEE, category=VillageCategory.RENOVATION,
            )
            start = today - datetime.timedelta(days=30)
            project = Project.objects.create(
                village=village, type=ProjectType.SEWAGE, name="污水治理（照片基准）", budget=500000, planned_start=start,
                planned_end=today + datetime.timedelta(days=300), actual_start=start, status=ProjectStatus.UNDER_CONSTRUCTION,
                responsible_person="张建国",
            )
            official = get_user_model().objects.create(username="bench_photos_official")
            RoleAssignment.objects.create(user=official, role=Role.TOWNSHIP_OFFICIAL, region=parent)
            client = Client()
            client.force_login(official)
            url = reverse("projects:progress_create", args=[project.pk])
            warm = client.post(url, {**_fields(), "percent_complete": "10", "photos": [_file(folder, "small", SimpleUploadedFile)]}, secure=True)
            if warm.status_code != 302:
                raise RuntimeError(f"the warm-up report was not accepted ({warm.status_code})")
            decoded.clear()
            reports = ProgressReport.objects.filter(project=project).count()
            # The body is read from its file as the request goes, as a worker reads its socket (the test client
            # would hold it in memory, in a FakePayload).
            with body_path.open("rb") as body:
                environ = {
                    "PATH_INFO": url, "REQUEST_METHOD": "POST", "QUERY_STRING": "", "SERVER_PORT": "443", "wsgi.url_scheme": "https",
                    "CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(body_path.stat().st_size), "wsgi.input": body,
                }
                rss_before = _status_mb("VmRSS")
                started = time.perf_counter()
                response = client.request(**environ)
                seconds = time.perf_counter() - started
            accepted = response.status_code == 302 and ProgressReport.objects.filter(project=project).count() == reports + 1
            messages = [
                html.unescape(text)
                for text in re.findall(r'<p class="field-error" data-field="photos">(.*?)</p>', response.content.decode())
            ]
            transaction.set_rollback(True)
    finally:
        shutil.rmtree(media, ignore_errors=True)
        photos.decode = real_decode
    return {
        "outcome": "accepted" if accepted else ("refused" if response.status_code == 200 and messages else f"HTTP {response.status_code}"),
        "status": response.status_code, "decoded": len(decoded), "seconds": round(seconds, 3),
        "rss_before_mb": round(rss_before, 1), "vm_hwm_mb": round(_status_mb("VmHWM"), 1), "messages": messages,
    }


def _file(folder: Path, key: str, factory, number: int = 1):
    suffix = {"png-40mp": "png", "attack": "png", "webp-10mp": "webp"}.get(key, "jpg")
    return factory(f"{key}-{number}.{suffix}", (folder / key).read_bytes())
