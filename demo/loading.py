"""Loading the demo: the configuration through the ordinary import, secrets from the local secrets file."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from demo.samples.secrets import load_or_create_secrets
from hub.configuration.importer import ImportReport, config_import
from hub.env import local_secret_file
from hub.flows.models import Flow
from hub.mappings.models import Mapping
from hub.mappings.services import mapping_has_unpublished_changes, mapping_publish
from hub.systems.models import Secret, System
from hub.systems.services import secret_set

CONFIG_FILE = Path(__file__).resolve().parent / "config.yaml"
DEMO_USERNAME = "admin"
CRM_FLOW = "New customers from the CRM to ERP and billing"

# (system name, secret parameter) -> key in the sample systems' secrets file.
DEMO_SECRETS = {
    ("CRM", "bearer_token"): "crm_token",
    ("ERP", "password"): "erp_password",
    ("Billing", "api_key"): "billing_api_key",
}


@dataclass
class DemoLogin:
    username: str
    password: str


def demo_password_file() -> Path:
    return Path(settings.VAR_DIR) / "demo" / "admin_password"


def demo_wanted() -> bool:
    """Only an empty hub gets the demo: once configured, people's own changes are never overwritten."""
    return not System.objects.exists()


@transaction.atomic
def demo_load() -> ImportReport:
    """Import the demo configuration and set the secrets that are not set yet. Running it twice is a no-op."""
    report = config_import(text=CONFIG_FILE.read_text(), dry_run=False)
    values = load_or_create_secrets(Path(settings.HUB_SAMPLE_SECRETS_FILE))
    stored = set(Secret.objects.values_list("system__name", "name"))
    systems = {s.name: s for s in System.objects.filter(name__in={name for name, _ in DEMO_SECRETS})}
    for (system_name, param), key in DEMO_SECRETS.items():
        if (system_name, param) not in stored and system_name in systems:
            secret_set(system=systems[system_name], name=param, value=values[key], actor=None)
    # The import warned about secrets not set and versions not in the file: this loader sets the one and
    # publishes the other, so those warnings do not concern whoever runs it.
    report.warnings = [
        w for w in report.warnings if "set_secret" not in w and "published but not in" not in w
    ]
    # The ERP's existing customers are linked first; the CRM flow starts a little later, so that it updates
    # them in the ERP instead of creating them a second time.
    Flow.objects.filter(name=CRM_FLOW, next_run_at__isnull=True).update(
        next_run_at=timezone.now() + timedelta(seconds=90)
    )
    for mapping in Mapping.objects.select_related("entity", "system"):
        if mapping_has_unpublished_changes(mapping):
            mapping_publish(mapping=mapping, note="Published by the demo loader.", actor=None)
    return report


def demo_login() -> DemoLogin:
    """The demo's business admin: created once with a random password kept in var/ (never committed)."""
    password = local_secret_file(demo_password_file(), secrets.token_urlsafe(12))
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    if created or not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    return DemoLogin(username=DEMO_USERNAME, password=password)
