from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "hub.access"
    verbose_name = "Roles and sign-in"

    def ready(self) -> None:
        from hub.access.signins import connect_receivers

        connect_receivers()
