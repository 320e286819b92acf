from django.apps import AppConfig


class ConfigurationConfig(AppConfig):
    name = "hub.configuration"
    verbose_name = "Configuration as code"
