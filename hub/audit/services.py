"""Writing to the audit trail where auditlog's model signals do not: accesses, and work outside requests."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from auditlog.cid import get_cid
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import CommandError
from django.db.models import Model
from django.utils import timezone

from hub.audit.chain import seal_on_commit
from hub.audit.events import EVENT_KEY, Event

# Who did something: a person (from a request or a command's --as), or nobody (the hub itself).
Actor = AbstractBaseUser | AnonymousUser | None


def actor_user(actor: Actor) -> User | None:
    """The user to store in a 'by' column, or None for anonymous and system work."""
    return actor if isinstance(actor, User) and actor.is_authenticated else None


def audit_access(
    *, instance: Model, what: str, reason: str, actor: Actor = None, event: Event = Event.ACCESSED
) -> None:
    """Record that someone (or a run, or a probe) read something sensitive, and why."""
    kwargs: dict[str, Any] = {
        "action": LogEntry.Action.ACCESS,
        "changes": {},
        "additional_data": {EVENT_KEY: str(event), "accessed": what, "reason": reason},
        "force_log": True,
    }
    if actor_user(actor) is not None:
        kwargs["actor"] = actor
    LogEntry.objects.log_create(instance, **kwargs)


@contextlib.contextmanager
def command_actor(username: str | None) -> Iterator[AbstractBaseUser | None]:
    """Attribute what a management command writes to the person who ran it (``--as USER``).

    Without a user name the entries carry no actor, which the audit view shows as "system".
    """
    from hub.audit.attribution import attributed

    # Marked as a command's work (its own correlation id, "via"), so that an entry made with --as alice
    # never looks like alice acting in the admin.
    work = attributed(cid=f"command:{uuid.uuid4().hex[:12]}", details={"via": "management command"})
    if not username:
        with work:
            yield None
        return
    user_model = get_user_model()
    try:
        user = user_model.objects.get(**{user_model.USERNAME_FIELD: username})
    except user_model.DoesNotExist:
        raise CommandError(f"--as {username}: there is no user with that name.") from None
    with work, set_actor(user):
        yield user


def audit_access_many(
    *,
    instances: Sequence[Model],
    what: str,
    reason: str,
    details: Mapping[str, Any] | None = None,
    remote_addr: str | None = None,
    cid: str | None = None,
) -> int:
    """One access entry per instance, in one statement: e.g. a page of records read through the API.

    ``details`` are added to each entry's ``additional_data`` (who called, when not a user: a partner's
    key); ``cid`` lets a reviewer find every entry of one caller.
    """
    if not instances:
        return 0
    now = timezone.now()
    data = {EVENT_KEY: str(Event.ACCESSED), "accessed": what, "reason": reason, **(details or {})}
    entries = [
        LogEntry(
            content_type=ContentType.objects.get_for_model(instance),
            object_pk=str(instance.pk),
            object_id=instance.pk if isinstance(instance.pk, int) else None,
            object_repr=str(instance)[:1000],
            action=LogEntry.Action.ACCESS,
            changes={},
            additional_data=data,
            remote_addr=remote_addr,
            cid=cid,
            timestamp=now,
        )
        for instance in instances
    ]
    LogEntry.objects.bulk_create(entries)
    seal_on_commit()  # bulk_create sends no post_save: seal these the way saved entries are
    return len(entries)


def audit_event(
    *,
    event: Event,
    what: str,
    reason: str,
    actor: Actor = None,
    about: type[Model] | None = None,
    remote_addr: str | None = None,
) -> LogEntry:
    """An entry about something that is not one row (the configuration, the trail itself): filed under the
    model ``about`` (LogEntry when not given), with no object id."""
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(about or LogEntry),
        object_pk="",
        object_repr=what[:1000],
        action=LogEntry.Action.ACCESS,
        changes={},
        additional_data={EVENT_KEY: str(event), "accessed": what, "reason": reason},
        actor=actor_user(actor),
        remote_addr=remote_addr,
        cid=get_cid(),
    )
