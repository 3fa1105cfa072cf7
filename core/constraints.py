"""Helpers that build database CHECK constraints from choices, so that a value
outside an enumeration is refused by the database, not only by forms."""
from django.db import models


def choices_check(field: str, choices, name: str, *, allow_blank: bool = False) -> models.CheckConstraint:
    values = [value for value, _label in choices]
    condition = models.Q(**{f"{field}__in": values})
    if allow_blank:
        condition |= models.Q(**{field: ""})
    return models.CheckConstraint(condition=condition, name=name)


def non_negative(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=models.Q(**{f"{field}__gte": 0}), name=name)
