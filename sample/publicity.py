"""The sample county's public pages (公开): it opens its village pages, and tells two exemplary cases (典型案例) with
photos: 余村's (or the best-placed village's), published, and a second one still a draft. Through the services, by
the county's staff."""
from __future__ import annotations

import random

from disclosure import services
from villages.models import Region, Village, VillageCategory

from .base import Timeline, _Actors
from .upkeep import _photo

STORIES = [
    ("{name}：从“卖石头”到“卖风景”",
     "关停矿山、修复生态，发展乡村旅游，村集体经济收入逐年增长。",
     "{name}曾以开矿为主要收入来源，环境污染严重。村里下决心关停矿山和水泥厂，开展矿区复绿和溪流治理，"
     "实施垃圾分类、污水治理和农村公厕改造，建成文化礼堂和游步道。\n\n"
     "在此基础上，村里发展民宿和农家乐，引入社会资本共同建设，村民在家门口就业增收。"
     "长效管护落实到人，村庄整洁有序，成为游客和考察团常来的地方。"),
    ("{name}：小微水体治理的村民办法",
     "村民议事会定规矩、分片包干，村内沟渠水质明显改善。",
     "{name}把村内沟渠、池塘分片包干到户，村规民约写明保洁责任，"
     "每月由村民议事会评比并公示结果。污水管网入户率提高后，沟渠水质明显改善。"),
]


def _storyteller(villages: list[Village]) -> list[Village]:
    """余村 first if the county has it, then the villages of the highest category."""
    order = {VillageCategory.FUTURE: 0, VillageCategory.BOUTIQUE: 1, VillageCategory.DEMONSTRATION: 2, VillageCategory.RENOVATION: 3}
    return sorted(villages, key=lambda v: (v.short_name != "余村", order.get(v.category, 9), v.code))


def seed_public(rng: random.Random, county: Region, villages: list[Village], actors: _Actors, line: Timeline):
    services.publication_set(actor=actors.county, county=county, villages_public=True)
    first, second = _storyteller(villages)[:2]
    cases = []
    for village, (title, summary, story) in zip((first, second), STORIES, strict=True):
        cases.append(services.exemplar_create(
            actor=actors.county, village=village, title=title.format(name=village.short_name), summary=summary,
            story=story.format(name=village.short_name), photos=[_photo(rng), _photo(rng)],
        ))
    services.exemplar_publish(actor=actors.county, exemplar=cases[0])
    return cases
