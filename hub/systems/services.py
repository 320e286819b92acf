"""Writes and sensitive reads for systems and their secrets."""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from connectors.base import Connector, ConnectorConfig, ConnectorError, ProbeResult
from connectors.outbound import OutboundHosts
from connectors.registry import connector_class
from hub.audit.events import Event
from hub.audit.services import Actor, actor_user, audit_access
from hub.systems import links, vault
from hub.systems.models import Secret, System
from hub.systems.params import ParamError, clean_params

log = logging.getLogger(__name__)


@transaction.atomic
def system_save(
    *,
    system: System,
    params: Mapping[str, Any],
    secrets: Mapping[str, str],
    actor: Actor,
    secrets_expected: Collection[str] = (),
) -> System:
    """Save a system with checked connection settings and any newly entered secrets, all or nothing.

    ``secrets`` holds only the secrets the person typed now; the others keep their stored value.
    ``secrets_expected`` names secrets that will be set separately (a configuration file names them but
    cannot hold them): they count as present when checking what is required.
    """
    declared = set(connector_class(system.kind).secret_names())
    unknown = set(secrets) - declared
    if unknown:
        raise ParamError(dict.fromkeys(sorted(unknown), "not a secret of this kind of system"))
    stored = set(system.secrets.values_list("name", flat=True)) if system.pk else set()
    present = (stored | set(secrets) | set(secrets_expected)) & declared
    system.params = clean_params(system.kind, params, secrets_set=present)
    system.full_clean(exclude=["params"])
    system.save()
    for name, value in secrets.items():
        secret_set(system=system, name=name, value=value, actor=actor)
    return system


def secret_set(*, system: System, name: str, value: str, actor: Actor) -> Secret:
    if name not in connector_class(system.kind).secret_names():
        raise ParamError({name: "not a secret of this kind of system"})
    if not value:
        raise ParamError({name: "a secret cannot be empty"})
    secret, _ = Secret.objects.update_or_create(
        system=system,
        name=name,
        defaults={"ciphertext": vault.encrypt(value), "set_at": timezone.now(), "set_by": actor_user(actor)},
    )
    return secret


def secret_reveal(*, secret: Secret, reason: str, actor: Actor = None) -> str:
    """The only way to read a secret's plaintext: records who asked, and why, in the audit trail."""
    plaintext = vault.decrypt(secret.ciphertext)
    secret.last_used_at = timezone.now()
    secret.save(update_fields=["last_used_at"])
    audit_access(
        instance=secret, what=f"secret {secret.name}", reason=reason, actor=actor, event=Event.DECRYPTED
    )
    return plaintext


def system_connector(*, system: System, reason: str, actor: Actor = None) -> Connector:
    """The system's connector, with its decrypted secrets and the hosts the hub may connect to.

    A read-only system also turns on its kind's own read-only setting where it has one (SQL opens the
    connection read-only), so that the database refuses a write the hub should never attempt."""
    cls = connector_class(system.kind)
    _refuse_hub_files(system)
    secrets = {
        secret.name: secret_reveal(secret=secret, reason=reason, actor=actor)
        for secret in system.secrets.select_related("system")
        if secret.name in cls.secret_names()
    }
    values = dict(system.params)
    if system.read_only and any(p.name == "read_only" for p in cls.params):
        values["read_only"] = True
    config = ConnectorConfig(
        system_name=system.name, values=values, secrets=secrets, allowed_hosts=outbound_hosts()
    )
    return cls(config)


def _refuse_hub_files(system: System) -> None:
    """An SQLite system must not be the hub's own database or anything in its var folder (keys, secrets):
    a connection there would read sessions and users, or write behind the audit trail."""
    url = str(system.params.get("url") or "")
    if system.kind != "sql" or not url.startswith("sqlite"):
        return
    try:
        path = make_url(url).database
    except ArgumentError:
        return  # not a URL: the connector says what is wrong with it
    if not path or path == ":memory:":
        return
    target = Path(path).resolve()
    own = [Path(settings.VAR_DIR).resolve()]
    own += [Path(str(db["NAME"])).resolve() for db in settings.DATABASES.values() if "sqlite" in db["ENGINE"]]
    if any(target == place or place in target.parents for place in own):
        raise ConnectorError(
            f"{system.name}: {target} is the hub's own database or in its private folder; the hub does not "
            "connect to its own files. Use the system's own database file.",
            permanent=True,
        )


def outbound_hosts() -> OutboundHosts:
    """HUB_OUTBOUND_HOSTS as connectors use it (the setting was checked at start-up)."""
    return OutboundHosts.parse(settings.HUB_OUTBOUND_HOSTS)


def system_probe(*, system: System, actor: Actor) -> ProbeResult:
    """Test the connection and remember the outcome on the system, in words a person understands."""
    who = getattr(actor, "username", None) or "system"
    started = time.monotonic()
    try:
        connector = system_connector(system=system, reason=f"connection test by {who}", actor=actor)
        try:
            result = connector.probe()
        finally:
            connector.close()
    except (ConnectorError, vault.VaultError) as error:
        elapsed = (time.monotonic() - started) * 1000
        result = ProbeResult(reachable=False, authenticated=False, elapsed_ms=elapsed, message=str(error))
    except Exception as error:
        log.exception("connection test of system %s failed unexpectedly", system.pk, exc_info=False)
        elapsed = (time.monotonic() - started) * 1000
        message = f"The connection test failed unexpectedly ({type(error).__name__}); see the server log."
        result = ProbeResult(reachable=False, authenticated=False, elapsed_ms=elapsed, message=message)
    system.last_probe_at = timezone.now()
    system.last_probe_ok = result.ok
    system.last_probe_message = result.message[:500]
    system.save(update_fields=["last_probe_at", "last_probe_ok", "last_probe_message"])
    if result.ok:
        links.link_succeeded(system=system)
    else:
        links.link_failed(system=system, error=result.message, test=True)
    return result


def keys_rotate() -> int:
    """Re-encrypt every secret under the newest key. Safe to run twice; returns how many were rewritten."""
    count = 0
    for secret in Secret.objects.only("pk", "ciphertext").iterator():
        with transaction.atomic():
            count += Secret.objects.filter(pk=secret.pk, ciphertext=secret.ciphertext).update(
                ciphertext=vault.reencrypt(secret.ciphertext)
            )
    return count
