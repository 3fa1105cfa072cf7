"""core.forms.NamedBlankChoice: a select's blank choice says what to do, in the page's language, not "---------"."""
from django.utils import translation

from assessment.forms import IndicatorForm
from assessment.models import IndicatorCategory


def test_the_blank_choice_says_choose_in_chinese():
    with translation.override("zh-hans"):
        form = IndicatorForm()
        choices = list(form.fields["category"].choices)
        html = str(form["category"])
    assert choices[0] == ("", "请选择…")
    assert choices[1:] == list(IndicatorCategory.choices)  # the real choices are left as they were
    assert "---------" not in html and ">请选择…</option>" in html


def test_a_form_without_the_mixin_keeps_djangos_dashes():
    """The mixin is what changes the label (this is the control: a plain ModelForm of the same model)."""
    from django import forms

    from assessment.models import Indicator

    class Plain(forms.ModelForm):
        class Meta:
            model = Indicator
            fields = ["category"]

    assert list(Plain().fields["category"].choices)[0] == ("", "---------")
