from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "hub.api"
    verbose_name = "Partner API"

    def ready(self) -> None:
        from hub.api.schema import register_extensions

        register_extensions()
        # Audit registration of the API's models is in hub/audit/registration.py, with every other model's.
