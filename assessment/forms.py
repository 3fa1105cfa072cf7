"""Forms check the shape of input only; the rules are in assessment.services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import NamedBlankChoice
from villages.models import VillageCategory

from .models import AssessmentScheme, Indicator, Prefill

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RoundStartForm(forms.Form):
    scheme = forms.IntegerField(label=_("scheme"), widget=forms.Select)
    period = forms.RegexField(label=_("period"), regex=r"^20[0-9]{2}(-H[12]|-Q[1-4])?$", max_length=8,
                              help_text=_("2024, 2024-H1 or 2024-Q3."))


class ScoreForm(forms.Form):
    """One field pair per indicator of the scheme: score_<id> and evidence_<id>; and reason_<id> for an indicator
    whose score is suggested (Indicator.prefill): why the score differs from the suggestion."""

    def __init__(self, *args, indicators=(), existing=None, **kwargs):
        super().__init__(*args, **kwargs)
        existing = existing or {}
        self.existing = existing
        self.indicators = list(indicators)
        for indicator in self.indicators:
            row = existing.get(indicator.pk)
            self.fields[f"score_{indicator.pk}"] = forms.DecimalField(
                label=f"{indicator.get_category_display()} · {indicator.name}", required=False, max_digits=6, decimal_places=2,
                help_text=_("0 to %(max)s") % {"max": indicator.max_score},
                initial=row.score if row else None,
                widget=forms.NumberInput(attrs={"min": 0, "max": indicator.max_score, "step": "0.01", "inputmode": "decimal"}),
            )
            self.fields[f"evidence_{indicator.pk}"] = forms.CharField(
                label=_("evidence"), required=False, max_length=2000, initial=row.evidence if row else "",
                widget=forms.TextInput(attrs={"placeholder": _("What was checked, where")}),
            )
            if indicator.prefill:
                self.fields[f"reason_{indicator.pk}"] = forms.CharField(
                    label=_("reason for another score than the suggested one"), required=False, max_length=2000,
                    initial=row.override_reason if row else "",
                    help_text=_("Needed only when the score differs from the suggested one."),
                )

    def pairs(self):
        for indicator in self.indicators:
            yield indicator, self[f"score_{indicator.pk}"], self[f"evidence_{indicator.pk}"]

    def rows(self):
        """(indicator, score field, evidence field, reason field or None, stored score row or None) for the template."""
        for indicator in self.indicators:
            reason = self[f"reason_{indicator.pk}"] if f"reason_{indicator.pk}" in self.fields else None
            yield indicator, self[f"score_{indicator.pk}"], self[f"evidence_{indicator.pk}"], reason, self.existing.get(indicator.pk)

    def scores(self) -> dict:
        return {
            i.pk: (self.cleaned_data.get(f"score_{i.pk}"), self.cleaned_data.get(f"evidence_{i.pk}", ""),
                   self.cleaned_data.get(f"reason_{i.pk}", ""))
            for i in self.indicators
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False)


class TalkForm(forms.Form):
    talk_held_on = forms.DateField(label=_("talk held on"), widget=DATE)
    talk_notes = forms.CharField(label=_("talk notes"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


class RectificationForm(forms.Form):
    rectified_on = forms.DateField(label=_("rectified on"), widget=DATE)
    rectification = forms.CharField(label=_("rectification"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


class ReinspectionForm(forms.Form):
    reinspected_on = forms.DateField(label=_("re-inspected on"), widget=DATE)
    reinspection_notes = forms.CharField(label=_("re-inspection notes"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


SCORE = forms.NumberInput(attrs={"min": "0", "step": "0.01", "inputmode": "decimal"})


class SchemeForm(NamedBlankChoice, forms.ModelForm):
    """A scheme's values; ``regions`` (the regions the user issues schemes for) gives the issuing region's choices
    when a scheme is created (it stays with the scheme: no region field when editing)."""

    region = forms.ChoiceField(label=_("issuing region"))

    class Meta:
        model = AssessmentScheme
        fields = ["name", "kind", "year", "category", "region", "excellent_min", "good_min", "pass_min",
                  "bottom_percent", "bottom_min", "follow_up_days"]
        widgets = {"excellent_min": SCORE, "good_min": SCORE, "pass_min": SCORE,
                   "bottom_percent": forms.NumberInput(attrs={"min": "0", "max": "100", "step": "0.01", "inputmode": "decimal"})}
        help_texts = {
            "excellent_min": _("Grades follow the total score: excellent from this score on."),
            "year": _("The assessment periods fall in this year (2025, 2025-H1, 2025-Q3)."),
        }

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("every village")), *VillageCategory.choices]
        if regions is None:
            del self.fields["region"]
        else:
            self.fields["region"].choices = [(r.code, f"{r.name}（{r.code}）") for r in regions]

    def _post_clean(self):
        pass  # the rules (thresholds in order, a free name, the region) are assessment.services'


class SchemeCopyForm(forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=2003, max_value=2100)
    name = forms.CharField(label=_("name"), max_length=120, required=False,
                           help_text=_("Leave it empty for the source's name with its year changed to the new one."))
    region = forms.ChoiceField(label=_("issuing region"))

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, f"{r.name}（{r.code}）") for r in regions]


class IndicatorForm(NamedBlankChoice, forms.ModelForm):
    class Meta:
        model = Indicator
        fields = ["category", "name", "description", "max_score", "order", "prefill"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "max_score": SCORE,
                   "order": forms.NumberInput(attrs={"min": "0", "step": "1"})}
        help_texts = {"description": _("What is checked, and how points are given or taken."),
                      "order": _("Indicators are listed (and scored) in this order; empty: last.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].required = False
        self.fields["prefill"].choices = [("", _("nothing: scored by hand")), *Prefill.choices]

    def _post_clean(self):
        pass  # the rules (a free name, a positive maximum, a scheme not in use) are assessment.services'
