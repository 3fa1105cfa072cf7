import pytest

from core.models import Role
from tests.factories import VillageFactory, user_with


@pytest.fixture
def village(db):
    return VillageFactory(code="330523108204", name="余村村委会")


@pytest.fixture
def county(db):
    return user_with("anji", (Role.COUNTY_STAFF, "330523"))


@pytest.fixture
def official(db):
    return user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108"))


@pytest.fixture
def jpeg():
    """A real JPEG upload, new each time it is called."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    def make(name="case.jpg", colour=(90, 140, 80)):
        buffer = io.BytesIO()
        Image.new("RGB", (640, 480), colour).save(buffer, "JPEG")
        return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")

    return make


@pytest.fixture
def other_county(db):
    """Staff of 长兴县, the county next door."""
    return user_with("changxing", (Role.COUNTY_STAFF, "330522"))


@pytest.fixture
def city(db):
    """A supervisor of 湖州市, above 安吉县: reads, but keeps no county's public pages."""
    return user_with("huzhou", (Role.SUPERVISOR, "3305"))


def media_files() -> list[str]:
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def state() -> dict:
    """Everything the public content's writes may change: compared before and after a refused write."""
    from core.models import AuditEntry
    from disclosure.models import CountyPublication, Exemplar, ExemplarPhoto

    return {
        "publications": list(CountyPublication.objects.order_by("pk").values_list("pk", "villages_public", "changed_by")),
        "exemplars": list(Exemplar.objects.order_by("pk").values_list("pk", "title", "summary", "story", "status",
                                                                      "published_at", "withdrawn_reason")),
        "photos": list(ExemplarPhoto.objects.order_by("pk").values_list("pk", "exemplar", "image", "thumbnail")),
        "audit": AuditEntry.objects.count(),
        "files": media_files(),
    }
