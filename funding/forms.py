"""Forms check the shape of input only; the rules (balances, mechanisms, scope) live in funding.services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import NamedBlankChoice

from .models import FundingSource, Mechanism, SourceKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
BACKDATE_HELP = _("Needed only when the date is more than 90 days ago or before the source's fiscal year; kept with the entry.")
MONEY = forms.NumberInput(attrs={"min": "0.01", "step": "0.01", "inputmode": "decimal", "data-money": "1"})


class FundingSourceForm(NamedBlankChoice, forms.ModelForm):
    region = forms.CharField(label=_("administering region"), max_length=9, help_text=_("Division code: 33, 3305, 330523 ..."))
    beneficiary_region = forms.CharField(
        label=_("earmarked for"), max_length=9, required=False,
        help_text=_("Division code of the region below the administering region that the money is earmarked for "
                    "(e.g. a provincial fund for one county). Leave empty for money of the whole region."),
    )
    village = forms.CharField(label=_("village"), max_length=12, min_length=12, required=False,
                              help_text=_("Only for money of one village (its collective, its farmers, a donation to it)."))

    class Meta:
        model = FundingSource
        fields = ["name", "kind", "mechanism", "region", "beneficiary_region", "village", "fiscal_year", "total_amount",
                  "document_no", "note"]
        widgets = {"total_amount": MONEY, "note": forms.Textarea(attrs={"rows": 2})}

    def _post_clean(self):
        pass


class FundingSourceEditForm(NamedBlankChoice, forms.ModelForm):
    beneficiary_region = forms.CharField(
        label=_("earmarked for"), max_length=9, required=False,
        help_text=_("Division code of the region below the administering region that the money is earmarked for. "
                    "Leave empty for money of the whole region."),
    )

    class Meta:
        model = FundingSource
        fields = ["name", "total_amount", "beneficiary_region", "document_no", "note"]
        widgets = {"total_amount": MONEY, "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, instance=instance, **kwargs)
        if instance is not None:
            self.initial["beneficiary_region"] = instance.beneficiary_region_id or ""

    def _post_clean(self):
        pass


class AllocationForm(forms.Form):
    source = forms.IntegerField(label=_("source"), widget=forms.Select)
    project = forms.IntegerField(label=_("project"), widget=forms.Select)
    amount = forms.DecimalField(label=_("amount (yuan)"), max_digits=16, decimal_places=2, widget=MONEY)
    allocated_on = forms.DateField(label=_("allocated on"), widget=DATE)
    reason = forms.CharField(label=_("Reason for an earlier date"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}), help_text=BACKDATE_HELP)


class UpkeepAllocationForm(forms.Form):
    source = forms.IntegerField(label=_("source"), widget=forms.Select)
    asset = forms.IntegerField(label=_("asset"), widget=forms.Select)
    amount = forms.DecimalField(label=_("amount (yuan)"), max_digits=16, decimal_places=2, widget=MONEY)
    allocated_on = forms.DateField(label=_("allocated on"), widget=DATE)
    reason = forms.CharField(label=_("Reason for an earlier date"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}), help_text=BACKDATE_HELP)


class DisbursementForm(forms.Form):
    amount = forms.DecimalField(label=_("amount (yuan)"), max_digits=16, decimal_places=2, widget=MONEY)
    paid_on = forms.DateField(label=_("payment date"), widget=DATE)
    voucher_no = forms.CharField(label=_("voucher no."), max_length=64)
    reason = forms.CharField(label=_("Reason for an earlier date"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}), help_text=BACKDATE_HELP)


class ReversalForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False)


__all__ = ["FundingSourceForm", "FundingSourceEditForm", "AllocationForm", "UpkeepAllocationForm", "DisbursementForm", "ReversalForm", "Mechanism", "SourceKind"]
