"""Forms check the shape of input only; the rules live in disclosure.services."""
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.forms import NamedBlankChoice
from maintenance.forms import photo_field

from .models import STORY_MAX_LENGTH


class ExemplarTextForm(forms.Form):
    # Labels of their own: "summary" alone is a supervision visit's (督查概况) in Chinese.
    title = forms.CharField(label=pgettext_lazy("exemplary case", "title"), max_length=120)
    summary = forms.CharField(label=pgettext_lazy("exemplary case", "summary"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("One or two sentences shown in the list of cases."))
    story = forms.CharField(label=_("story"), max_length=STORY_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 10}),
                            help_text=_("What the village did, how, with what money and whose work, and what changed. "
                                        "Name no private person."))
    photos = photo_field(label=_("photos"), help_text=_("Up to 9 photos (JPEG, PNG or WebP), at most 10 MB each; "
                                                        "a published case has at least one."))


class ExemplarForm(NamedBlankChoice, ExemplarTextForm):
    village = forms.ChoiceField(label=_("village"))
    field_order = ["village", "title", "summary", "story", "photos"]

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [("", "")] + [(v.code, f"{v.short_name} · {v.township.name}") for v in villages]


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why is the case withdrawn?"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class PublicationForm(forms.Form):
    villages_public = forms.BooleanField(label=_("village pages public"), required=False)
