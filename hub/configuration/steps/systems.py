"""Systems: upserted by name through ``system_save``; secrets are only ever named, never valued."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from connectors.base import Connector
from connectors.registry import connector_class
from hub.configuration.document import SystemDoc
from hub.configuration.report import Action
from hub.configuration.steps.context import Context, assign, named
from hub.systems.models import System
from hub.systems.params import ParamError, clean_params
from hub.systems.services import system_save

NAMES = {"params": "settings"}


def systems_apply(ctx: Context) -> None:
    for doc in ctx.document.systems:
        if _system_apply(ctx, doc) is None:
            ctx.mark_broken("system", doc.name)
    for system in System.objects.exclude(name__in=[doc.name for doc in ctx.document.systems]):
        ctx.report.add(Action.LEFT_ALONE, "system", system.name)


def _system_apply(ctx: Context, doc: SystemDoc) -> System | None:
    try:
        kind = connector_class(doc.kind)
    except KeyError as error:
        ctx.problems.add(f"{doc.path}.kind", str(error.args[0]))
        return None
    params = _params(ctx, doc, kind)
    system = System.objects.filter(name=doc.name).first() or System(name=doc.name)
    created = system._state.adding
    changed = assign(system, _attributes(doc))
    if params is None or not _valid(ctx, doc, system):
        return None
    if system.params != params:
        changed.append("params")
    if created or changed:
        _save(ctx, system, doc, params)
    ctx.systems[doc.name] = system
    ctx.report.record(created=created, kind="system", label=doc.name, changed=named(changed, NAMES))
    _warn_about_secrets(ctx, doc, system)
    return system


def _attributes(doc: SystemDoc) -> dict[str, str | bool]:
    return {
        "kind": doc.kind,
        "description": doc.description,
        "owner_team": doc.owner_team,
        "contact": doc.contact,
        "environment": doc.environment,
        "status": doc.status,
        "read_only": doc.read_only,
    }


def _params(ctx: Context, doc: SystemDoc, kind: type[Connector]) -> dict[str, object] | None:
    declared = set(kind.secret_names())
    for index, name in enumerate(doc.secrets):
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            ctx.problems.add(
                f"{doc.path}.secrets[{index}]",
                f"'{name}' is not a secret of {doc.kind} (its secrets: {known})",
            )
    try:
        # The file names the secrets but cannot hold them: count every named one as present.
        return clean_params(doc.kind, doc.settings, secrets_set=set(doc.secrets) & declared)
    except ParamError as error:
        for name, message in error.errors.items():
            ctx.problems.add(f"{doc.path}.settings.{name}", message)
        return None


def _valid(ctx: Context, doc: SystemDoc, system: System) -> bool:
    try:
        system.full_clean(exclude=["params"])
    except ValidationError as error:
        ctx.invalid(doc.path, error, NAMES)
        return False
    return True


def _save(ctx: Context, system: System, doc: SystemDoc, params: dict[str, object]) -> None:
    system_save(system=system, params=params, secrets={}, actor=ctx.actor, secrets_expected=doc.secrets)


def _warn_about_secrets(ctx: Context, doc: SystemDoc, system: System) -> None:
    stored = set(system.secrets.values_list("name", flat=True))
    for name in sorted(set(doc.secrets) - stored):
        ctx.report.warnings.append(
            f"secret {name} of system {doc.name} is not set yet: manage.py set_secret {doc.name} {name}"
        )
    for name in sorted(stored - set(doc.secrets)):
        ctx.report.warnings.append(
            f"secret {name} of system {doc.name} is stored but not listed in the file: kept"
        )
