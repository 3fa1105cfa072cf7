"""The audit rows of the public content's services (tests/audit_rows.py)."""
import pytest

from core.models import AuditAction
from disclosure import services
from disclosure.models import CountyPublication, ExemplarPhoto
from tests.audit_rows import Row, run_case
from tests.factories import ExemplarFactory, ExemplarPhotoFactory, PublishedExemplarFactory, region

A = AuditAction


def publication_set(county):
    anji = region("330523")
    opened = services.publication_set(actor=county, county=anji, villages_public=True)
    services.publication_set(actor=county, county=anji, villages_public=True)  # no change: no row
    services.publication_set(actor=county, county=anji, villages_public=False)
    assert CountyPublication.objects.get(pk="330523").villages_public is False
    return [
        Row(county, A.CREATE, opened, created=True,
            changes={"county": [None, "330523"], "villages_public": [None, True], "changed_by": [None, county.pk]}),
        Row(county, A.UPDATE, opened, changes={"villages_public": [True, False]}),
    ]


def exemplar_create(county, village, jpeg):
    exemplar = services.exemplar_create(actor=county, village=village, title="余村的故事", summary="关停矿山。",
                                        story="发展乡村旅游。", photos=[jpeg("矿山.jpg")])
    photo = exemplar.photos.get()
    return [
        Row(county, A.CREATE, exemplar, created=True,
            fields={"village": [None, village.code], "title": [None, "余村的故事"], "status": [None, "draft"],
                    "created_by": [None, county.pk]}),
        Row(county, A.CREATE, photo, created=True, fields={"exemplar": [None, exemplar.pk]}, note="矿山.jpg"),
    ]


def exemplar_edit(county, village, jpeg, start):
    exemplar = ExemplarFactory(village=village)
    start()
    services.exemplar_edit(actor=county, exemplar=exemplar, title="新标题", summary=exemplar.summary,
                           story=exemplar.story, photos=[jpeg("新照片.jpg")])
    photo = exemplar.photos.get()
    return [
        Row(county, A.UPDATE, exemplar, changes={"title": [exemplar.title, "新标题"]}),
        Row(county, A.CREATE, photo, created=True, fields={"exemplar": [None, exemplar.pk]}, note="新照片.jpg"),
    ]


def exemplar_photo_remove(county, village, start):
    photo = ExemplarPhotoFactory(exemplar=ExemplarFactory(village=village))
    pk, exemplar_pk = photo.pk, photo.exemplar_id
    start()
    services.exemplar_photo_remove(actor=county, photo=photo)
    assert not ExemplarPhoto.objects.filter(pk=pk).exists()
    return [Row(county, A.DELETE, (ExemplarPhoto, pk), fields={"exemplar": [exemplar_pk, None]})]


def exemplar_publish(county, village, start):
    exemplar = ExemplarPhotoFactory(exemplar=ExemplarFactory(village=village)).exemplar
    start()
    services.exemplar_publish(actor=county, exemplar=exemplar)
    return [Row(county, A.TRANSITION, exemplar, fields={"status": ["draft", "published"]})]


def exemplar_withdraw(county, village, start):
    exemplar = ExemplarPhotoFactory(exemplar=PublishedExemplarFactory(village=village)).exemplar
    start()
    services.exemplar_withdraw(actor=county, exemplar=exemplar, reason="  数据待核实 ")
    return [Row(county, A.TRANSITION, exemplar, changes={"status": ["published", "withdrawn"],
                                                         "withdrawn_reason": ["", "数据待核实"]}, note="数据待核实")]


CASES = {f.__name__: f for f in (publication_set, exemplar_create, exemplar_edit, exemplar_photo_remove, exemplar_publish,
                                  exemplar_withdraw)}
NO_AUDIT_ROW: dict[str, str] = {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_audit_row(name, request, db):
    run_case(CASES[name], request)
