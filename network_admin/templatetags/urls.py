"""Django's `{% url %}`, with a URL that has no arguments reversed once instead of on every
render.

reverse() matches the name against the URL patterns on every call (~20 µs; ~55 µs on a slow
machine): every page's frame writes a dozen such links (the sidebar, log out, the language
switch, a list's toolbar), a tenth of the customer list's template time. settings.TEMPLATES
installs this library as a builtin after Django's own, so its `url` takes the place of Django's
in every template; a URL with arguments is reversed by Django's code as before.
"""

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from network_admin.links import plain_url

register = template.Library()


class PlainURLNode(URLNode):
    def render(self, context):
        if self.args or self.kwargs:
            return super().render(context)
        try:
            url = plain_url(self.view_name.resolve(context), _current_app(context))
        except NoReverseMatch:
            if self.asvar is None:
                raise
            url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


def _current_app(context):
    # The application namespace Django's URLNode reverses in: the request's current_app if it
    # has one, else the namespace of the URL it resolved to.
    request = getattr(context, "request", None)
    current_app = getattr(request, "current_app", _NOT_SET)
    if current_app is _NOT_SET:
        return getattr(getattr(request, "resolver_match", None), "namespace", None)
    return current_app


_NOT_SET = object()


@register.tag
def url(parser, token):
    node = django_url(parser, token)
    return PlainURLNode(node.view_name, node.args, node.kwargs, node.asvar)
