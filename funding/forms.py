"""Forms check the shape of input only; the rules (balances, mechanisms, scope) live in funding.services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FundingSource, Mechanism, SourceKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = forms.NumberInput(attrs={"min": "0.01", "step": "0.01", "inputmode": "decimal", "data-money": "1"})


class FundingSourceForm(forms.ModelForm):
    region = forms.CharField(label=_("administering region"), max_length=9, help_text=_("Division code: 33, 3305, 330523 ..."))
    village = forms.CharField(label=_("village"), max_length=12, min_length=12, required=False,
                              help_text=_("Only for money of one village (its collective, its farmers, a donation to it)."))

    class Meta:
        model = FundingSource
        fields = ["name", "kind", "mechanism", "region", "village", "fiscal_year", "total_amount", "document_no", "note"]
        widgets = {"total_amount": MONEY, "note": forms.Textarea(attrs={"rows": 2})}

    def _post_clean(self):
        pass


class FundingSourceEditForm(forms.ModelForm):
    class Meta:
        model = FundingSource
        fields = ["name", "total_amount", "document_no", "note"]
        widgets = {"total_amount": MONEY, "note": forms.Textarea(attrs={"rows": 2})}

    def _post_clean(self):
        pass


class AllocationForm(forms.Form):
    source = forms.IntegerField(label=_("source"), widget=forms.Select)
    project = forms.IntegerField(label=_("project"), widget=forms.Select)
    amount = forms.DecimalField(label=_("amount (yuan)"), max_digits=16, decimal_places=2, widget=MONEY)
    allocated_on = forms.DateField(label=_("allocated on"), widget=DATE)


class DisbursementForm(forms.Form):
    amount = forms.DecimalField(label=_("amount (yuan)"), max_digits=16, decimal_places=2, widget=MONEY)
    paid_on = forms.DateField(label=_("payment date"), widget=DATE)
    voucher_no = forms.CharField(label=_("voucher no."), max_length=64)


class ReversalForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False)


__all__ = ["FundingSourceForm", "FundingSourceEditForm", "AllocationForm", "DisbursementForm", "ReversalForm", "Mechanism", "SourceKind"]
