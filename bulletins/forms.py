"""Forms check the shape of input only; the rules live in bulletins.services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import NamedBlankChoice

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ComposeForm(NamedBlankChoice, forms.Form):
    region = forms.ChoiceField(label=_("issuing office"))
    period_start = forms.DateField(label=_("period from"), widget=DATE)
    period_end = forms.DateField(label=_("period to"), widget=DATE)

    def __init__(self, *args, offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, r.name) for r in offices]
        if len(offices) == 1:
            self.initial.setdefault("region", offices[0].code)


class EditForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    body = forms.CharField(label=_("text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 18}))
