"""Forms check the shape of input only; the rules live in maintenance.services."""
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.forms import NamedBlankChoice

from .models import Asset, ChiefType, Keeper

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AssetForm(NamedBlankChoice, forms.ModelForm):
    class Meta:
        model = Asset
        fields = ["kind", "name", "quantity", "unit", "commissioned_on", "owner_kind", "owner_name", "maintenance_body",
                  "latitude", "longitude"]
        widgets = {
            "commissioned_on": DATE,
            "quantity": forms.NumberInput(attrs={"min": 0, "step": "0.01", "inputmode": "decimal"}),
            "latitude": forms.NumberInput(attrs={"step": "0.000001", "inputmode": "decimal"}),
            "longitude": forms.NumberInput(attrs={"step": "0.000001", "inputmode": "decimal"}),
        }

    def _post_clean(self):
        pass


class AssetCreateForm(AssetForm):
    village = forms.CharField(
        label=_("Village code"), max_length=12, min_length=12,
        widget=forms.TextInput(attrs={"list": "village-codes", "inputmode": "numeric", "autocomplete": "off"}),
    )
    project = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    class Meta(AssetForm.Meta):
        fields = ["village", *AssetForm.Meta.fields]


class RetireForm(forms.Form):
    retired_on = forms.DateField(label=_("retired on"), widget=DATE)
    reason = forms.CharField(label=_("Why is the asset retired?"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False)


class KeeperForm(NamedBlankChoice, forms.ModelForm):
    class Meta:
        model = Keeper
        fields = ["name", "phone", "organisation"]
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})}

    def _post_clean(self):
        pass


class KeeperCreateForm(KeeperForm):
    region = forms.ChoiceField(label=_("roster of"), choices=())

    class Meta(KeeperForm.Meta):
        fields = ["region", *KeeperForm.Meta.fields]

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("Choose…")), *((r.code, r.name) for r in regions)]


class AssignForm(NamedBlankChoice, forms.Form):
    keeper = forms.ModelChoiceField(label=_("keeper"), queryset=Keeper.objects.none())
    chief_type = forms.ChoiceField(label=_("chief type"), choices=[("", "---------"), *ChiefType.choices])
    starts_on = forms.DateField(label=pgettext_lazy("period", "from"), widget=DATE)

    def __init__(self, *args, keepers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if keepers is not None:
            self.fields["keeper"].queryset = keepers
