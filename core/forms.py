from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username"), max_length=150, widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"})
    )


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe); cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class NamedBlankChoice:
    """A form mixin: the blank choice of every select says what it is ("请选择…"), not Django's "---------"
    (issue 18, item 13: everything on a zh-hans page is in Chinese)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            choices = getattr(field, "choices", None)
            if choices is None or isinstance(field, forms.ModelChoiceField):
                if isinstance(field, forms.ModelChoiceField) and field.empty_label == "---------":
                    field.empty_label = _("Choose…")
                continue
            field.choices = [(value, _("Choose…") if label == "---------" else label) for value, label in choices]
