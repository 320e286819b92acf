from django.apps import AppConfig


class MappingsConfig(AppConfig):
    name = "hub.mappings"
    verbose_name = "Field mappings"
