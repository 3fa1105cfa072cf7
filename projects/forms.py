"""Forms check the shape of input only; the rules live in projects.services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import MultipleFileField, MultipleFileInput, NamedBlankChoice

from .models import MaintenanceBody, ProgressReport, Project

# An HTML date input only understands ISO dates, whatever the language.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProjectForm(NamedBlankChoice, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Project
        fields = [
            "type", "name", "description", "budget", "planned_output", "planned_start", "planned_end", "responsible_person",
            "responsible_phone",
        ]
        widgets = {
            "planned_start": DATE, "planned_end": DATE, "description": forms.Textarea(attrs={"rows": 3}),
            "planned_output": forms.NumberInput(attrs={"min": 0, "step": "0.01", "inputmode": "decimal"}),
        }
        help_texts = {
            "planned_output": _("In the unit of the project type: households for toilets, km for sewers and roads, stations, "
                                "lamps, m² of greenery."),
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", _("The planned end must not be before the planned start."))
        return data

    def _post_clean(self):
        # Model validation runs in the service (with the version check); the form only checks shapes.
        pass


class ProjectCreateForm(ProjectForm):
    village = forms.CharField(
        label=_("Village code"), max_length=12, min_length=12,
        widget=forms.TextInput(attrs={"list": "village-codes", "inputmode": "numeric", "autocomplete": "off"}),
    )

    class Meta(ProjectForm.Meta):
        fields = ["village", *ProjectForm.Meta.fields]


class TransitionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)
    maintenance_body = forms.ChoiceField(
        label=_("maintenance body"), choices=[("", "—"), *MaintenanceBody.choices], required=False
    )
    maintenance_owner = forms.CharField(label=_("maintenance owner"), max_length=120, required=False)
    property_owner = forms.CharField(label=_("property owner"), max_length=120, required=False)
    # The quantity accepted (in the unit of the project's type); checked by the service.
    actual_output = forms.CharField(
        label=_("accepted output"), max_length=20, required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    MAINTENANCE_FIELDS = ("maintenance_body", "maintenance_owner", "property_owner")
    ACCEPT_FIELDS = ("actual_output", *MAINTENANCE_FIELDS)
    # What the reason is for, as its label says it: a page offers several actions that ask for one (suspend and
    # cancel), and a bare "原因" above a box did not say which (a screenshot, issue 18 item 20).
    REASON_LABELS = {
        "discard": _("Why is the project discarded?"),
        "return": _("What must be corrected?"),
        "rework": _("What must be reworked?"),
        "suspend": _("Why is the work suspended?"),
        "cancel": _("Why is the project cancelled?"),
    }

    def __init__(self, *args, action=None, project=None, **kwargs):
        # One form per action on the project page: ids of its own (id_return_reason), one name for the server.
        if action is not None:
            kwargs.setdefault("auto_id", f"id_{action.name}_%s")
        super().__init__(*args, **kwargs)
        if project is not None:
            self.fields["actual_output"].label = _("accepted output (%(unit)s)") % {"unit": project.get_output_unit_display()}
            if project.planned_output is not None:
                self.fields["actual_output"].help_text = _("Planned: %(quantity)s") % {"quantity": project.planned_output}
        if action is not None and action.name in self.REASON_LABELS:
            self.fields["reason"].label = self.REASON_LABELS[action.name]

    def fields_for(self, action) -> list:
        """The fields a lifecycle action asks for (a reason, the maintenance arrangement on acceptance), on the
        project page and on the action's confirmation step alike."""
        names = (["reason"] if action.reason_required else []) + (list(self.ACCEPT_FIELDS) if action.name == "accept" else [])
        return [self[name] for name in names]


class ProgressReportForm(forms.ModelForm):
    class Meta:
        model = ProgressReport
        fields = ["report_date", "percent_complete", "amount_spent", "narrative", "problems", "correction_reason"]
        widgets = {
            "report_date": DATE,
            "percent_complete": forms.NumberInput(attrs={"min": 0, "max": 100, "inputmode": "numeric"}),
            "amount_spent": forms.NumberInput(attrs={"min": 0, "step": "0.01", "inputmode": "decimal"}),
            "narrative": forms.Textarea(attrs={"rows": 3}),
            "problems": forms.Textarea(attrs={"rows": 2}),
            "correction_reason": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "correction_reason": _("Required when the percentage or the amount spent is below the previous report's."),
        }

    # Content, size and count are checked by the service (projects.photos), the same for the API.
    photos = MultipleFileField(
        label=_("photos"), required=False,
        help_text=_("Up to 9 photos (JPEG, PNG or WebP), at most 10 MB each."),
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "data-max-files": 9, "data-max-bytes": 10 * 1024 * 1024}),
    )

    def _post_clean(self):
        pass
