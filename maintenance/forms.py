"""Forms check the shape of input only; the rules live in maintenance.services."""
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.forms import MultipleFileField, MultipleFileInput, NamedBlankChoice
from projects import photos as photo_rules

from .models import CHECKLISTS, Asset, AssetKind, ChiefType, Condition, Keeper, Severity

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
    # The keeper's own portal account, by its user name: linked, the keeper reaches the villages they keep.
    user = forms.CharField(
        label=_("portal account"), max_length=150, required=False,
        help_text=_("The user name of the keeper's own portal account, if they have one: they then see and inspect "
                    "the assets they keep."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )

    class Meta:
        model = Keeper
        fields = ["name", "phone", "organisation", "user"]
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.user_id and not self.is_bound:
            self.initial["user"] = self.instance.user.get_username()

    def clean_user(self):
        username = (self.cleaned_data.get("user") or "").strip()
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("There is no active account with this user name."))
        return user

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


PHOTOS_LABEL = _("photos")
PHOTOS_HELP = _("Up to 9 photos (JPEG, PNG or WebP), at most 10 MB each.")


def photo_field(label=PHOTOS_LABEL, required=False, help_text=PHOTOS_HELP):
    """Several photos at once, taken with the phone's camera or chosen; content, size and count are checked by the
    service (projects.photos), the same limits as the progress form."""
    return MultipleFileField(
        label=label, required=required, help_text=help_text,
        widget=MultipleFileInput(attrs={
            "accept": "image/jpeg,image/png,image/webp", "capture": "environment",
            "data-max-files": photo_rules.MAX_PHOTOS, "data-max-bytes": photo_rules.MAX_BYTES,
        }),
    )


POSITION = forms.NumberInput(attrs={"step": "0.000001", "inputmode": "decimal"})


class InspectionForm(NamedBlankChoice, forms.Form):
    """An inspection recorded on a phone; with a severity and a description, it reports a fault as well."""

    done_on = forms.DateField(label=_("inspected on"), widget=DATE)
    condition = forms.TypedChoiceField(label=_("condition"), choices=Condition.choices, coerce=int, widget=forms.RadioSelect)
    checklist = forms.MultipleChoiceField(label=_("checklist"), required=False, widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label=_("notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    photos = photo_field()
    latitude = forms.DecimalField(label=_("latitude"), required=False, max_digits=9, decimal_places=6, widget=POSITION)
    longitude = forms.DecimalField(label=_("longitude"), required=False, max_digits=9, decimal_places=6, widget=POSITION)
    severity = forms.ChoiceField(label=_("severity"), required=False, choices=[("", _("No fault found")), *Severity.choices])
    description = forms.CharField(label=_("What is broken?"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, kind: str = AssetKind.OTHER, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checklist"].choices = list(CHECKLISTS[kind])

    def fault(self) -> dict | None:
        """The fault found, if the inspector said anything about one (the service checks both parts)."""
        data = self.cleaned_data
        if not data.get("severity") and not (data.get("description") or "").strip():
            return None
        return {"severity": data.get("severity") or "", "description": data.get("description") or ""}

    def checklist_data(self) -> dict:
        return {key: key in self.cleaned_data["checklist"] for key, _label in self.fields["checklist"].choices}


class FaultReportForm(NamedBlankChoice, forms.Form):
    severity = forms.ChoiceField(label=_("severity"), choices=[("", "---------"), *Severity.choices])
    description = forms.CharField(label=_("What is broken?"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    reported_on = forms.DateField(label=_("reported on"), widget=DATE)
    photos = photo_field()


class RepairForm(forms.Form):
    repaired_on = forms.DateField(label=_("repaired on"), widget=DATE)
    repair_notes = forms.CharField(label=_("What was repaired?"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    # At least one: the service says so on this field (the rule is the service's, the same for the API).
    photos = photo_field(label=_("photos of the repair"),
                         help_text=_("At least one photo of the result; up to 9 (JPEG, PNG or WebP), at most 10 MB each."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_repair_%s")
        super().__init__(*args, **kwargs)


class RejectRepairForm(forms.Form):
    reason = forms.CharField(label=_("What is still wrong?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_reject_%s")
        super().__init__(*args, **kwargs)


class IntervalForm(forms.Form):
    county = forms.CharField(widget=forms.HiddenInput, max_length=6)
    kind = forms.ChoiceField(choices=AssetKind.choices, widget=forms.HiddenInput)
    days = forms.IntegerField(label=_("interval (days)"), min_value=1, max_value=366,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "max": 366}))
