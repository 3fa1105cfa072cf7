"""Audit rows as people read them: field labels, choice labels, no bookkeeping columns."""
from django import template
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist

register = template.Library()

BOOKKEEPING = {"id", "version", "created_by", "updated_by", "created_at", "updated_at"}


@register.filter
def readable_changes(entry) -> list[dict]:
    model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
    rows = []
    for name, pair in (entry.changes or {}).items():
        if name in BOOKKEEPING or not isinstance(pair, (list, tuple)) or len(pair) != 2:
            continue
        before, after = pair
        if before in (None, "") and after in (None, ""):
            continue
        label, choices = name, {}
        if model is not None:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                field = None
            if field is not None:
                label = field.verbose_name
                choices = {str(k): v for k, v in (field.flatchoices or [])}
        rows.append({
            "label": label,
            "before": choices.get(str(before), before),
            "after": choices.get(str(after), after),
        })
    return rows
