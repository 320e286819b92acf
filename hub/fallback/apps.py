from django.apps import AppConfig


class FallbackConfig(AppConfig):
    name = "hub.fallback"
    verbose_name = "Fallback entry and link health"
