"""Applying a configuration file: everything is checked, then saved in one transaction, or nothing is."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from hub.configuration.reading import document_read
from hub.configuration.report import ConfigImportError, ImportReport
from hub.configuration.source import Problems, SourceError, source_read
from hub.configuration.steps.catalog import entities_apply
from hub.configuration.steps.context import Context
from hub.configuration.steps.flows import flows_apply
from hub.configuration.steps.mappings import mappings_apply
from hub.configuration.steps.removals import fields_remove
from hub.configuration.steps.sources import sources_apply
from hub.configuration.steps.systems import systems_apply

__all__ = ["ConfigImportError", "ImportReport", "config_import"]

# Fields are removed last: whether anything still uses one is known only once the rest is applied.
STEPS = (systems_apply, entities_apply, mappings_apply, sources_apply, flows_apply, fields_remove)


class _DryRun(Exception):
    """Raised at the end of a dry run so that the transaction rolls everything back."""


def config_import(*, text: str, dry_run: bool, actor: AbstractBaseUser | None = None) -> ImportReport:
    """Apply the YAML configuration in ``text``; raise ``ConfigImportError`` with every error found.

    Objects are matched by their names; objects of the hub that the file does not list are left
    alone. With ``dry_run`` the same work is done and then rolled back: the report is the plan.
    """
    try:
        source = source_read(text)
    except SourceError as error:
        raise ConfigImportError(error.messages) from None
    problems = Problems(source)
    document = document_read(source.data, problems)
    context = Context(problems=problems, report=ImportReport(dry_run=dry_run), document=document, actor=actor)
    try:
        with transaction.atomic():
            for step in STEPS:
                step(context)
            if problems:
                raise ConfigImportError(problems.messages())
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return context.report
