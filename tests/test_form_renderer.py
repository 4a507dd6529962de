"""Our form renderer writes Django's own markup, through faster templates where it has them."""

import pytest
from django import forms
from django.forms.renderers import Jinja2 as DjangosRenderer

from network_admin.renderers import FormRenderer

CHOICES = [
    ("", "---------"),
    ("plain", "Plain"),
    ("tricky", 'Gold <i>"plus"</i> & more'),
    ("Group & co", [("a", "A"), ("b", "B <b>")]),
]


class Choices(forms.Form):
    single = forms.ChoiceField(choices=CHOICES)
    optional = forms.ChoiceField(choices=CHOICES, required=False)
    several = forms.MultipleChoiceField(choices=CHOICES, required=False)
    yes_no = forms.NullBooleanField()
    disabled = forms.ChoiceField(choices=CHOICES, disabled=True)


@pytest.mark.parametrize("name", ["single", "optional", "several", "yes_no", "disabled"])
@pytest.mark.parametrize(
    "data", [None, {"single": "tricky", "several": ["a", "b"], "yes_no": "false"}]
)
def test_selects_are_written_as_djangos_own(name, data):
    ours = Choices(data, initial={"disabled": "b"}, renderer=FormRenderer())[name]
    djangos = Choices(data, initial={"disabled": "b"}, renderer=DjangosRenderer())[name]
    assert str(ours) == str(djangos)
    assert ours.as_widget().count("<option") == djangos.as_widget().count("<option") > 2


def test_the_faster_select_is_the_one_in_use():
    template = FormRenderer().get_template("django/forms/widgets/select.html")
    assert template.origin.name.endswith("network_admin/widgets/select.html")
