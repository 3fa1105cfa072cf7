"""Every kind's template opens in LibreOffice with the values openpyxl reads (tests/workbooks.py), holds the
headers the import reads, the example row (not imported) and the sheet of codes of the user's area only."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import load_workbook

from core.models import Role
from imports import services
from imports.kinds import kind_of
from imports.template import template_bytes
from tests.factories import VillageFactory, region, user_with
from tests.workbooks import same_values


@pytest.fixture
def people(db):
    VillageFactory(code="330523108204", name="余村村委会")
    VillageFactory(code="330523108205", name="银坑村村委会")
    VillageFactory(code="330522100201", township_code="330522100", name="别县村委会")
    return {"official": user_with("tianhuangping", (Role.TOWNSHIP_OFFICIAL, "330523108")),
            "county": user_with("anji", (Role.COUNTY_STAFF, "330523"))}


CASES = [("projects", "official", "330523108"), ("plan_items", "official", "330523108"), ("assets", "official", "330523108"),
         ("keepers", "official", "330523108"), ("targets", "county", "330523")]


@pytest.mark.parametrize("kind, who, area", CASES)
def test_the_template_opens_in_libreoffice_and_imports_nothing_as_it_is(people, tmp_path, kind, who, area):
    spec = kind_of(kind)
    user = people[who]
    data = template_bytes(spec, user=user, region=region(area))
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(data)
    same_values(path, tmp_path)
    book = load_workbook(io.BytesIO(data))
    with translation.override("zh-hans"):
        sheet = book[str(spec.sheet)]
        headers = [str(c.header) + ("*" if c.required else "") for c in spec.get_columns({})]
    assert [c.value for c in sheet[1]][: len(headers)] == headers
    codes = [row[0].value for row in book["代码"].iter_rows(min_row=2)]
    assert codes and all(code.startswith(area[:6]) for code in codes) and "330522100201" not in codes
    # As it is (the example row only), the template imports nothing and has no error.
    batch = services.import_upload(actor=user, kind=kind, region=region(area), upload=SimpleUploadedFile(f"{kind}.xlsx", data))
    assert (batch.status, batch.rows, batch.error_count) == ("checked", 0, 0), (batch.refusal, batch.errors)
