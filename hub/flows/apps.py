from django.apps import AppConfig


class FlowsConfig(AppConfig):
    name = "hub.flows"
    verbose_name = "Flows"
