from django.apps import AppConfig


class SitesConfig(AppConfig):
    # Our own app, not django.contrib.sites (which is never installed here).
    name = "sites"
