"""Forms check the shape of input only; the rules live in oversight.services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import NamedBlankChoice
from maintenance.forms import DATE, photo_field

from .models import ProblemCategory, ProblemSeverity, VisitKind


class VisitForm(NamedBlankChoice, forms.Form):
    region = forms.ChoiceField(label=_("supervising office"))
    kind = forms.ChoiceField(label=_("kind of visit"), choices=VisitKind.choices, initial=VisitKind.UNANNOUNCED)
    visited_on = forms.DateField(label=_("visit date"), widget=DATE)
    inspectors = forms.CharField(label=_("inspectors"), max_length=300, help_text=_("The names of the inspectors."))
    villages = forms.CharField(
        label=_("villages visited"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Village codes or names, separated by spaces, commas or new lines."),
    )
    summary = forms.CharField(label=_("summary"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, r.name) for r in offices]
        if len(offices) == 1:
            self.initial.setdefault("region", offices[0].code)


class FindingForm(NamedBlankChoice, forms.Form):
    village = forms.ChoiceField(label=_("village"))
    project = forms.TypedChoiceField(label=_("project"), required=False, coerce=int, empty_value=None)
    category = forms.ChoiceField(label=_("problem category"), choices=ProblemCategory.choices)
    severity = forms.ChoiceField(label=_("severity"), choices=ProblemSeverity.choices)
    description = forms.CharField(label=_("problem found"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(label=_("rectification deadline"), widget=DATE)
    photos = photo_field()

    def __init__(self, *args, villages=(), projects=(), **kwargs):
        kwargs.setdefault("auto_id", "id_finding_%s")
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [("", "")] + [(v.code, f"{v.short_name} · {v.township.name}") for v in villages]
        self.fields["project"].choices = [("", _("none"))] + [(p.pk, f"{p.name} · {p.village.short_name}") for p in projects]


class RectifyForm(forms.Form):
    rectified_on = forms.DateField(label=_("rectified on"), widget=DATE)
    rectification = forms.CharField(label=_("What was done?"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    # At least one: the service says so on this field (the same rule for the API).
    photos = photo_field(label=_("photos of the rectification"),
                         help_text=_("At least one photo of the result; up to 9 (JPEG, PNG or WebP), at most 10 MB each."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_rectify_%s")
        super().__init__(*args, **kwargs)


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("What is still wrong?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(label=_("new deadline"), required=False, widget=DATE,
                               help_text=_("Empty: the deadline stands."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_reopen_%s")
        super().__init__(*args, **kwargs)
