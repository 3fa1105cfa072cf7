"""The request form checks the shape of input only; reports.services.report_request applies the rules."""
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NATION, ReportFormat, ReportKind


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind of report"), choices=ReportKind.choices)
    region = forms.CharField(label=_("region"), max_length=9, help_text=_("Division code: 33, 3305, 330523 ..."))
    format = forms.ChoiceField(label=_("format"), choices=ReportFormat.choices)
    period = forms.CharField(label=_("report period"), max_length=8, required=False,
                             help_text=_("Progress: a month (2025-06, default this month). Funding: a fiscal year (empty for all). "
                                         "Ranking: an assessment period (default the latest). Maintenance and targets: a year (default this year). Roster: empty."))

    def __init__(self, *args, regions=(), nation=False, **kwargs):
        super().__init__(*args, **kwargs)
        if regions:
            choices = [(r.code, f"{r.name} ({r.code})") for r in regions]
            if nation:  # a whole-country scope: the nation's roster (reports.services.report_request says which)
                choices.insert(0, (NATION, _("The whole nation (roster only)")))
            self.fields["region"].widget = forms.Select(choices=choices)
