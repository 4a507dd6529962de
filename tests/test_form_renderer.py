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


class Inputs(forms.Form):
    text = forms.CharField(max_length=20, help_text="Help & <more>")
    number = forms.DecimalField(min_value=0, decimal_places=2)
    checkbox = forms.BooleanField(required=False)
    email = forms.EmailField(disabled=True)
    url = forms.URLField(required=False)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput)
    when = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"step": "1", "data-x": '"q"'}))
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(widget=forms.TimeInput(attrs={"autofocus": True, "spellcheck": False}))
    search = forms.CharField(widget=forms.TextInput(attrs={"type": "search"}), required=False)
    file = forms.FileField(widget=forms.FileInput, required=False)


@pytest.mark.parametrize("name", list(Inputs.base_fields))
@pytest.mark.parametrize(
    "data",
    [
        None,
        {"text": 'a "b" <c> & d', "number": "-1", "checkbox": "on", "password": "p<w>"},
        {"text": "x" * 30, "when": "not a date", "hidden": "<h>", "time": "12:30"},
    ],
)
def test_inputs_are_written_as_djangos_own(name, data):
    initial = {"email": "a&b@example.com", "number": "1.50"}
    ours = Inputs(data, initial=initial, renderer=FormRenderer())[name]
    djangos = Inputs(data, initial=initial, renderer=DjangosRenderer())[name]
    assert str(ours) == str(djangos)
    assert str(ours).startswith("<input")


@pytest.mark.parametrize(
    ("djangos", "ours"),
    [
        ("select", "network_admin/widgets/select.html"),
        ("text", "network_admin/widgets/input.html"),
        ("number", "network_admin/widgets/input.html"),
        ("checkbox", "network_admin/widgets/input.html"),
        ("datetime", "network_admin/widgets/input.html"),
    ],
)
def test_the_faster_templates_are_the_ones_in_use(djangos, ours):
    template = FormRenderer().get_template(f"django/forms/widgets/{djangos}.html")
    assert template.origin.name.endswith(ours)
