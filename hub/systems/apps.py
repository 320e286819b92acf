from django.apps import AppConfig


class SystemsConfig(AppConfig):
    name = "hub.systems"
    verbose_name = "Systems and credentials"
