"""Forms check the shape of input only; the rules live in planning.services."""
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import NamedBlankChoice

from .models import CREATION_CATEGORIES, MAX_DOCUMENT_BYTES, PlanItem, TargetKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
QUANTITY = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
PDF = forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf", "data-max-bytes": MAX_DOCUMENT_BYTES})


def _document_field(required=False):
    return forms.FileField(
        label=_("plan document (PDF)"), required=required, widget=PDF,
        help_text=_("The approved plan as a PDF, at most %(mb)s MB, without a password.") % {"mb": MAX_DOCUMENT_BYTES // 1024 // 1024},
    )


class PlanForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=160)
    approved_on = forms.DateField(label=_("approved on"), widget=DATE)
    approved_by = forms.CharField(label=_("approving body"), max_length=120)
    valid_from = forms.DateField(label=_("valid from"), widget=DATE)
    valid_until = forms.DateField(label=_("valid until"), widget=DATE)
    document = _document_field()

    PLAN_FIELDS = ("title", "approved_on", "approved_by", "valid_from", "valid_until")

    def plan_data(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.PLAN_FIELDS}


class PlanCreateForm(PlanForm):
    area = forms.CharField(
        label=_("Village or county code"), max_length=12, min_length=6,
        help_text=_("A village's code for its construction plan, a county's (6 digits) for its layout plan."),
        widget=forms.TextInput(attrs={"list": "area-codes", "inputmode": "numeric", "autocomplete": "off"}),
    )
    field_order = ["area"]


class PlanReviseForm(PlanForm):
    reason = forms.CharField(label=_("Why does the plan change?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    field_order = ["reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].help_text = _("A new PDF if the approved document changed; otherwise the current one is kept.")


class DocumentForm(forms.Form):
    document = _document_field(required=True)


class PlanItemForm(NamedBlankChoice, forms.ModelForm):
    village_code = forms.CharField(
        label=_("Village code"), max_length=12, min_length=12, required=False,
        help_text=_("The village the work is for (empty: work that concerns no single village)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    reason = forms.CharField(label=_("Reason for the change"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False)

    class Meta:
        model = PlanItem
        fields = ["kind", "name", "quantity", "estimated_cost", "planned_year"]
        widgets = {
            "quantity": forms.NumberInput(attrs={"min": 0, "step": "0.01", "inputmode": "decimal"}),
            "estimated_cost": forms.NumberInput(attrs={"min": 0, "step": "0.01", "inputmode": "decimal"}),
            "planned_year": forms.NumberInput(attrs={"min": 2003, "max": 2100, "inputmode": "numeric"}),
        }
        help_texts = {"quantity": _("In the unit of the kind of work: households, km, stations, lamps, m²…")}

    def __init__(self, *args, layout=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not layout:
            del self.fields["village_code"]
        elif self.instance.pk and self.instance.village_id and not self.is_bound:
            self.initial["village_code"] = self.instance.village_id

    def _post_clean(self):
        pass


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class CitationForm(forms.Form):
    item = forms.TypedChoiceField(label=_("plan item"), coerce=int, required=False, empty_value=None)
    out_of_plan_reason = forms.CharField(
        label=_("Or: why is the project outside the plan?"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
        required=False, help_text=_("The county decides on a project outside the plan before it can be approved."),
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", _("— no plan item —")), *(
            (i.pk, f"{i.name} · {i.quantity} {i.get_unit_display()} · {i.planned_year}") for i in items
        )]


class ExceptionDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("decision"), choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
                                 widget=forms.RadioSelect)
    decision_note = forms.CharField(label=_("decision note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                                    required=False, help_text=_("Required for a refusal."))


class TargetForm(forms.Form):
    region = forms.CharField(widget=forms.HiddenInput, max_length=9)
    year = forms.IntegerField(widget=forms.HiddenInput, min_value=2003, max_value=2100)
    kind = forms.ChoiceField(label=_("kind"), choices=TargetKind.choices)
    quantity = forms.CharField(label=_("target quantity"), max_length=20, widget=QUANTITY,
                               help_text=_("In the kind's unit: km, households, stations, villages…"))
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class BreakDownForm(forms.Form):
    """One quantity per child region (field name: the region's code)."""

    def __init__(self, *args, children=(), current=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = current or {}
        for region in children:
            target = current.get(region.code)
            self.fields[region.code] = forms.CharField(
                label=region.name, max_length=20, required=False,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "data-breakdown-part": ""}),
                initial=target.quantity if target else None,
            )

    def quantities(self) -> dict:
        return {code: value for code, value in self.cleaned_data.items()}


class CreationFilterForm(forms.Form):
    county = forms.CharField(label=_("county"), max_length=6, required=False,
                             widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    year = forms.IntegerField(label=_("year"), min_value=2003, max_value=2100, required=False)
    category = forms.ChoiceField(label=_("category to create"), choices=[("", _("all categories")), *CREATION_CATEGORIES],
                                 required=False)


class CreationAddForm(forms.Form):
    villages = forms.MultipleChoiceField(label=_("villages to add"), widget=forms.CheckboxSelectMultiple)
    category = forms.ChoiceField(label=_("category to create"), choices=CREATION_CATEGORIES)
    year = forms.IntegerField(label=_("year"), min_value=2003, max_value=2100)
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, villages=(), **kwargs):
        kwargs.setdefault("initial", {}).setdefault("year", timezone.localdate().year)
        super().__init__(*args, **kwargs)
        self.fields["villages"].choices = [(v.code, f"{v.short_name} · {v.township.name}") for v in villages]
