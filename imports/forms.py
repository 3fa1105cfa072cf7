"""Forms check the shape of input only; the rules live in imports.services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import NamedBlankChoice

from .models import ImportKind


class UploadForm(NamedBlankChoice, forms.Form):
    kind = forms.ChoiceField(label=_("kind of import"), choices=ImportKind.choices)
    area = forms.ChoiceField(label=_("area"), help_text=_("Every row must lie within it."))
    file = forms.FileField(label=_("file"), help_text=_("An Excel workbook (.xlsx) or a CSV file (UTF-8 or GB18030), "
                                                        "at most 20 MB and 20,000 rows: best, the template filled in."),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"}))

    def __init__(self, *args, kinds=(), areas=(), rounds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.key, k.label) for k in kinds]
        self.fields["area"].choices = [(r.code, r.name) for r in areas]
        if rounds:
            # The parameter of the kind scores (imports.kinds.scores): scheme and period as one value, "id:period";
            # the view passes it on with the other fields that are not the form's own, and the kind reads it.
            self.fields["scheme"] = forms.ChoiceField(
                label=_("assessment round"), required=False, choices=[("", _("Choose…")), *rounds],
                help_text=_("For assessment scores only: the scheme and period the file scores."))
        if len(areas) == 1:
            self.initial.setdefault("area", areas[0].code)
