"""import_divisions: the service and the management command, on real rows of the 2023 division codes."""
import gzip
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from villages.models import Region, RegionLevel, Village, VillageCategory, VillageKind
from villages.services import DATA_DIR, DivisionImportError, import_divisions

HEADERS = {
    "provinces": "code,name",
    "cities": "code,name,provinceCode",
    "areas": "code,name,cityCode,provinceCode",
    "streets": "code,name,areaCode,provinceCode,cityCode",
    "villages": "code,name,streetCode,provinceCode,cityCode,areaCode",
}

# Real rows (china-division 2.7.0, 统计用区划代码 2023), byte for byte as in the files.
ZHEJIANG = {
    "provinces": ['33,"浙江省"'],
    "cities": ['3305,"湖州市",33'],
    "areas": ['330523,"安吉县",3305,33'],
    "streets": ['330523001,"递铺街道",330523,33,3305', '330523108,"天荒坪镇",330523,33,3305'],
    "villages": [
        '330523001002,"苕秀社区居委会",330523001,33,3305,330523',  # line 2
        '330523001211,"鲁家村委会",330523001,33,3305,330523',  # line 3
        '330523108200,"白水湾村委会",330523108,33,3305,330523',  # line 4
        '330523108201,"井村村委会",330523108,33,3305,330523',  # line 5
        '330523108204,"余村村委会",330523108,33,3305,330523',  # line 6
    ],
}
JIANGSU = {
    "provinces": ['32,"江苏省"'],
    "cities": ['3201,"南京市",32'],
    "areas": ['320102,"玄武区",3201,32'],
    "streets": ['320102002,"梅园新村街道",320102,32,3201'],
    "villages": [
        '320102002001,"梅园新村社区居委会",320102002,32,3201,320102',
        '320102002002,"大行宫社区居委会",320102002,32,3201,320102',
    ],
}


def merge(*datasets):
    """The rows of several data sets, per file, in code order (as in the national files)."""
    return {stem: sorted(row for data in datasets for row in data.get(stem, [])) for stem in HEADERS}


def write_files(directory: Path, data: dict, *, gz: bool = True, names: dict | None = None) -> list[Path]:
    """Write one file per level in the china-division format; a line may be bytes (written as is)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, rows in data.items():
        lines = [line if isinstance(line, bytes) else line.encode("utf-8") for line in rows]
        if not (lines and lines[0].startswith((b"code", b"id"))) and stem in HEADERS:
            lines.insert(0, HEADERS[stem].encode())
        content = b"".join(line + b"\n" for line in lines)
        name = (names or {}).get(stem, stem) + (".csv.gz" if gz else ".csv")
        path = directory / name
        path.write_bytes(gzip.compress(content) if gz else content)
        paths.append(path)
    return paths


def counts() -> tuple[int, int]:
    return Region.objects.count(), Village.objects.count()


def level_counts() -> dict[str, int]:
    return {level: Region.objects.filter(level=level).count() for level in RegionLevel.values} | {
        "village": Village.objects.count()
    }


@pytest.mark.django_db
def test_import_builds_the_chain_from_the_village_to_the_province(tmp_path):
    result = import_divisions(paths=write_files(tmp_path, ZHEJIANG))

    yucun = Village.objects.get(code="330523108204")
    assert (yucun.name, yucun.short_name, yucun.kind) == ("余村村委会", "余村", VillageKind.VILLAGE_COMMITTEE)
    assert yucun.category == VillageCategory.RENOVATION
    township = yucun.township
    assert (township.code, township.name, township.level) == ("330523108", "天荒坪镇", RegionLevel.TOWNSHIP)
    county = township.parent
    assert (county.code, county.name, county.level) == ("330523", "安吉县", RegionLevel.COUNTY)
    city = county.parent
    assert (city.code, city.name, city.level) == ("3305", "湖州市", RegionLevel.CITY)
    province = city.parent
    assert (province.code, province.name, province.level, province.parent) == ("33", "浙江省", "province", None)

    assert Village.objects.get(code="330523001211").short_name == "鲁家村"
    assert Village.objects.get(code="330523001002").kind == VillageKind.RESIDENTS_COMMITTEE
    assert level_counts() == {"province": 1, "city": 1, "county": 1, "township": 2, "village": 5}
    assert {key: (c.created, c.updated, c.unchanged) for key, c in result.counts.items()} == {
        "province": (1, 0, 0), "city": (1, 0, 0), "county": (1, 0, 0), "township": (2, 0, 0), "village": (5, 0, 0),
    }
    assert result.elapsed > 0


@pytest.mark.django_db
def test_plain_csv_files_given_in_any_order(tmp_path):
    paths = write_files(tmp_path, ZHEJIANG, gz=False)
    assert all(path.suffix == ".csv" for path in paths)

    result = import_divisions(paths=list(reversed(paths)))  # villages first: still imported top-down

    assert result.created == 10
    assert Village.objects.get(code="330523108204").township_id == "330523108"


@pytest.mark.django_db
def test_a_folder_means_every_file_in_it(tmp_path):
    write_files(tmp_path / "divisions", ZHEJIANG)

    result = import_divisions(paths=[tmp_path / "divisions"])

    assert len(result.files) == 5
    assert level_counts()["village"] == 5


@pytest.mark.django_db
def test_reimport_is_idempotent_and_updates_changed_names(tmp_path):
    paths = write_files(tmp_path / "first", ZHEJIANG)
    import_divisions(paths=paths)
    before = level_counts()
    created_at = Village.objects.get(code="330523108204").created_at
    # What the portal records about a village is not the import's business.
    Village.objects.filter(code="330523108204").update(
        category=VillageCategory.FUTURE, population=1200, households=400
    )

    again = import_divisions(paths=paths)

    assert level_counts() == before
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10)

    renamed = dict(ZHEJIANG)
    renamed["streets"] = ['330523001,"递铺街道",330523,33,3305', '330523108,"天荒坪镇（改）",330523,33,3305']
    renamed["villages"] = [row.replace("余村村委会", "余村村民委员会") for row in ZHEJIANG["villages"]] + [
        '330523108207,"大溪村委会",330523108,33,3305,330523'
    ]
    third = import_divisions(paths=write_files(tmp_path / "renamed", renamed))

    assert (third["township"].updated, third["township"].unchanged) == (1, 1)
    assert (third["village"].created, third["village"].updated, third["village"].unchanged) == (1, 1, 4)
    assert level_counts() == before | {"village": 6}
    yucun = Village.objects.get(code="330523108204")
    assert (yucun.name, yucun.short_name) == ("余村村民委员会", "余村")
    assert (yucun.category, yucun.population, yucun.households) == (VillageCategory.FUTURE, 1200, 400)
    assert yucun.created_at == created_at
    assert yucun.township.name == "天荒坪镇（改）"
    assert Village.objects.filter(code="330523108207", short_name="大溪村").exists()


@pytest.mark.django_db
def test_parents_may_already_be_in_the_database(tmp_path):
    regions_only = {stem: rows for stem, rows in ZHEJIANG.items() if stem != "villages"}
    import_divisions(paths=write_files(tmp_path / "regions", regions_only))

    result = import_divisions(paths=write_files(tmp_path / "villages", {"villages": ZHEJIANG["villages"]}))

    assert result["village"].created == 5
    assert result["township"].created == 0
    assert level_counts() == {"province": 1, "city": 1, "county": 1, "township": 2, "village": 5}


def replace_line(stem: str, line: int, text: str | bytes):
    """A case's change: in the file of ``stem``, line ``line`` (1 is the header) becomes ``text``."""

    def change(data):
        data = {key: list(rows) for key, rows in data.items()}
        data[stem][line - 2] = text
        return data

    return change


def insert_line(stem: str, line: int, text: str | bytes):
    def change(data):
        data = {key: list(rows) for key, rows in data.items()}
        data[stem].insert(line - 2, text)
        return data

    return change


def with_header(stem: str, header: str, drop_last_column: bool = False):
    def change(data):
        data = {key: list(rows) for key, rows in data.items()}
        rows = [row.rsplit(",", 1)[0] if drop_last_column else row for row in data[stem]]
        data[stem] = [header, *rows]
        return data

    return change


MALFORMED = [
    pytest.param(
        replace_line("villages", 5, '3305231082,"井村村委会",330523108,33,3305,330523'),
        'villages.csv.gz line 5: code "3305231082" must have 12 digits',
        id="village-code-too-short",
    ),
    pytest.param(
        replace_line("villages", 4, '33052310820O,"白水湾村委会",330523108,33,3305,330523'),
        'villages.csv.gz line 4: code "33052310820O" must have 12 digits and nothing else',
        id="village-code-not-digits",
    ),
    pytest.param(
        replace_line("cities", 2, '33055,"湖州市",33'),
        'cities.csv.gz line 2: code "33055" must have 4 digits',
        id="city-code-too-long",
    ),
    pytest.param(
        insert_line("villages", 5, '330523110001,"紫梅社区居委会",330523110,33,3305,330523'),
        "villages.csv.gz line 5: the parent 330523110 of 330523110001 is neither in this import nor in the database",
        id="unknown-township",
    ),
    pytest.param(
        replace_line("streets", 3, '330523108,"天荒坪镇",330524,33,3305'),
        "streets.csv.gz line 3: areaCode \"330524\" does not match the code 330523108",
        id="parent-column-not-the-prefix",
    ),
    pytest.param(
        replace_line("villages", 6, '330523108204,"余村村委会",330523108,32,3305,330523'),
        'villages.csv.gz line 6: provinceCode "32" does not match the code 330523108204',
        id="ancestor-column-not-the-prefix",
    ),
    pytest.param(
        replace_line("villages", 6, '330523108204,"",330523108,33,3305,330523'),
        "villages.csv.gz line 6: the name of 330523108204 is missing",
        id="blank-name",
    ),
    pytest.param(
        replace_line("villages", 6, '330523108204,"余村\x00村委会",330523108,33,3305,330523'),
        "villages.csv.gz line 6: the name of 330523108204 contains a control character",
        id="control-character-in-name",
    ),
    pytest.param(
        replace_line("villages", 5, '330523108201,"井村村委会",330523108,33,3305,330523'.encode("gb18030")),
        "villages.csv.gz line 5: not UTF-8 text",
        id="not-utf-8",
    ),
    pytest.param(
        with_header("villages", "code,name,streetCode,provinceCode,cityCode", drop_last_column=True),
        "villages.csv.gz line 1: missing column areaCode",
        id="missing-column",
    ),
    pytest.param(
        with_header("areas", "code,cityCode,provinceCode"),
        "areas.csv.gz line 1: missing column name",
        id="missing-name-column",
    ),
    pytest.param(
        with_header("villages", "id,title,parent,a,b,c"),
        "villages.csv.gz line 1: unrecognised header 'id,title,parent,a,b,c'",
        id="unrecognised-header",
    ),
    pytest.param(
        insert_line("villages", 6, '330523108200,"白水湾村委会",330523108,33,3305,330523'),
        "villages.csv.gz line 6: the code 330523108200 appears a second time in this import",
        id="duplicate-code",
    ),
    pytest.param(
        replace_line("villages", 3, '330523001211,"鲁家村委会",330523001,33,3305'),
        "villages.csv.gz line 3: 5 fields where the header has 6",
        id="missing-field",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("change, message", MALFORMED)
def test_bad_input_stops_the_whole_import(tmp_path, change, message):
    """The valid files before the bad one (provinces ... streets) and the valid rows before the bad
    row are not kept either: the run is one transaction."""
    paths = write_files(tmp_path, change(ZHEJIANG))

    with pytest.raises(DivisionImportError) as raised:
        import_divisions(paths=paths)

    assert str(raised.value).startswith(message)
    assert counts() == (0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("change, message", MALFORMED)
def test_bad_input_leaves_what_was_there_untouched(tmp_path, change, message):
    import_divisions(paths=write_files(tmp_path / "first", ZHEJIANG))
    before = level_counts()
    # A run that would rename 余村 and add a township and its villages (after the lines the cases
    # change), and has a bad row.
    bigger = {stem: list(rows) for stem, rows in ZHEJIANG.items()}
    bigger["streets"].append('330523107,"章村镇",330523,33,3305')
    bigger["villages"] = [row.replace("余村村委会", "余村村民委员会") for row in ZHEJIANG["villages"]] + [
        '330523107200,"长潭村委会",330523107,33,3305,330523',
        '330523107201,"河垓村委会",330523107,33,3305,330523',
    ]

    with pytest.raises(DivisionImportError) as raised:
        import_divisions(paths=write_files(tmp_path / "second", change(bigger)))

    assert str(raised.value).startswith(message)
    assert level_counts() == before
    assert not Region.objects.filter(code="330523107").exists()
    assert Village.objects.get(code="330523108204").name == "余村村委会"


@pytest.mark.django_db
def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(DivisionImportError, match="nope.csv.gz: no such file"):
        import_divisions(paths=[tmp_path / "nope.csv.gz"])


@pytest.mark.django_db
def test_province_filter_keeps_one_province_of_two(tmp_path):
    paths = write_files(tmp_path, merge(JIANGSU, ZHEJIANG))

    result = import_divisions(paths=paths, province="33")

    assert level_counts() == {"province": 1, "city": 1, "county": 1, "township": 2, "village": 5}
    assert not Region.objects.filter(code__startswith="32").exists()
    assert result["village"].skipped == 2
    assert result["province"].skipped == 1


@pytest.mark.django_db
def test_province_filter_with_a_deeper_prefix_keeps_the_regions_above(tmp_path):
    paths = write_files(tmp_path, merge(JIANGSU, ZHEJIANG))

    import_divisions(paths=paths, province="330523108")

    assert set(Region.objects.values_list("code", flat=True)) == {"33", "3305", "330523", "330523108"}
    assert set(Village.objects.values_list("code", flat=True)) == {
        "330523108200", "330523108201", "330523108204",
    }


@pytest.mark.django_db
def test_command_with_province_option(tmp_path):
    paths = write_files(tmp_path, merge(JIANGSU, ZHEJIANG))
    out = StringIO()

    call_command("import_divisions", *map(str, paths), "--province", "32", stdout=out)

    assert level_counts() == {"province": 1, "city": 1, "county": 1, "township": 1, "village": 2}
    assert Village.objects.filter(code="320102002001", short_name="梅园新村社区").exists()
    assert "skipped" in out.getvalue()


@pytest.mark.django_db
def test_command_turns_bad_input_into_a_command_error(tmp_path):
    bad = replace_line("villages", 5, '3305231082,"井村村委会",330523108,33,3305,330523')
    paths = write_files(tmp_path, bad(ZHEJIANG))

    with pytest.raises(CommandError) as raised:
        call_command("import_divisions", *map(str, paths), stdout=StringIO())

    assert str(raised.value) == 'villages.csv.gz line 5: code "3305231082" must have 12 digits'
    assert raised.value.returncode == 1
    assert counts() == (0, 0)


def test_the_shipped_files_are_the_zhejiang_subset():
    names = sorted(path.name for path in DATA_DIR.glob("*.csv.gz"))
    assert names == ["areas.csv.gz", "cities.csv.gz", "provinces.csv.gz", "streets.csv.gz", "villages.csv.gz"]
    for path in DATA_DIR.glob("*.csv.gz"):
        lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
        assert lines[0] == HEADERS[path.name.split(".")[0]]
        assert all(line.startswith("33") for line in lines[1:])


@pytest.mark.django_db
def test_command_without_files_loads_the_shipped_zhejiang_data():
    out = StringIO()

    call_command("import_divisions", stdout=out)

    assert level_counts() == {"province": 1, "city": 11, "county": 90, "township": 1387, "village": 25547}
    yucun = Village.objects.get(code="330523108204")
    assert (yucun.short_name, yucun.township.name, yucun.township.parent.name) == ("余村", "天荒坪镇", "安吉县")
    assert Village.objects.filter(kind=VillageKind.VILLAGE_COMMITTEE).count() == 19708
    assert "25,547" in out.getvalue()

    call_command("import_divisions", stdout=out)  # idempotent on the full data set too

    assert level_counts()["village"] == 25547
    assert "0 created, 0 updated, 27,036 unchanged" in out.getvalue()
