"""What a user's phone keeps for use without signal: the user's own pages, read through the gate.

A township official (the role that reports progress) keeps the villages list, the page of every village of the
township, and for each project that takes a progress report the project page and its progress form. Nothing is
kept for another role (they do not report progress). The list is capped so that a user with a large area does not
fill the phone: the projects most recently changed first.
"""
from __future__ import annotations

from django.urls import reverse

from core import scoping
from projects.models import REPORTABLE_STATUSES
from projects.selectors import project_list
from villages.selectors import village_list

MAX_PROJECTS = 150
# A township holds a few dozen villages; a larger area keeps only the villages of its kept projects.
MAX_AREA_VILLAGES = 80


def offline_pages(*, user) -> list[str]:
    """The paths the phone keeps for this user, in the order they should be fetched (most useful first)."""
    if scoping.is_unrestricted(user) or not scoping.can_anywhere(user, "progress.create"):
        return []  # an administrator reports nothing: the whole province is no phone's working set
    projects = [
        project for project in project_list(user=user).filter(status__in=REPORTABLE_STATUSES)
        .order_by("-updated_at", "-pk")[:MAX_PROJECTS]
        if scoping.can(user, "progress.create", project)
    ]
    villages = list(village_list(user=user).order_by("code").values_list("code", flat=True)[: MAX_AREA_VILLAGES + 1])
    if len(villages) > MAX_AREA_VILLAGES:
        villages = sorted({project.village_id for project in projects})
    paths = [reverse("home"), reverse("villages:list"), reverse("offline:queue")]
    for project in projects:
        paths.append(reverse("projects:progress_create", args=[project.pk]))
        paths.append(reverse("projects:detail", args=[project.pk]))
    paths.extend(reverse("villages:detail", args=[code]) for code in villages)
    return paths
