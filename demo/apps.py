from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo: its configuration (config.yaml), the sample systems it points at, and its loader."""

    name = "demo"
    verbose_name = "Demo"
