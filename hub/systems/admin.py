from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from connectors.registry import connector_class, kind_choices
from hub.flows.models import Delivery, DeliveryState
from hub.systems.forms import PREFIX, SystemForm, system_form_for
from hub.systems.jobs import enqueue_probes
from hub.systems.models import LinkState, Secret, System
from hub.systems.services import system_probe, system_save


def _describe(result_ok: bool, message: str, elapsed_ms: float) -> str:
    verdict = "Connection works" if result_ok else "Connection failed"
    return f"{verdict} ({elapsed_ms:.0f} ms): {message}"


DEFAULT_KIND = "http_json"  # what most systems speak; the add form starts with it


@admin.action(description="Test the connection of the selected systems", permissions=["change"])
def test_connection(modeladmin: SystemAdmin, request: HttpRequest, queryset: QuerySet[System]) -> None:
    for system in queryset:
        result = system_probe(system=system, actor=request.user)
        level = messages.SUCCESS if result.ok else messages.ERROR
        modeladmin.message_user(
            request, f"{system.name}: {_describe(result.ok, result.message, result.elapsed_ms)}", level
        )


@admin.action(
    description="Test the connection of the selected systems in the background", permissions=["change"]
)
def test_connection_later(modeladmin: SystemAdmin, request: HttpRequest, queryset: QuerySet[System]) -> None:
    ids = list(queryset.values_list("pk", flat=True))
    enqueue_probes(ids)
    modeladmin.message_user(
        request,
        f"{len(ids)} connection test(s) queued: the results appear in the 'last connection test' column.",
    )


@admin.register(System)
class SystemAdmin(admin.ModelAdmin):
    list_display = [
        "name", "kind", "environment", "status", "link_state", "waiting", "health", "owner_team", "secret_count",
    ]  # fmt: skip
    list_filter = ["kind", "environment", "status", "read_only", "last_probe_ok"]
    search_fields = ["name", "description", "owner_team", "contact"]
    actions = [test_connection, test_connection_later]
    change_form_template = "admin/systems/system/change_form.html"

    class Media:
        js = ["hub/system_form.js"]

    readonly_fields = ["last_probe_at", "last_probe_ok", "last_probe_message"]
    link_fields = ["link_state", "waiting"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[System]:
        # Subqueries, not joins: counting secrets and deliveries in one join would multiply both.
        secrets = Secret.objects.filter(system=OuterRef("pk")).values("system").annotate(n=Count("pk"))
        waiting = (
            Delivery.objects.filter(target=OuterRef("pk"), state=DeliveryState.PENDING)
            .values("target")
            .annotate(n=Count("pk"))
        )
        return (
            super()
            .get_queryset(request)
            .select_related("link")
            .annotate(
                secret_total=Coalesce(Subquery(secrets.values("n")), 0),
                waiting_total=Coalesce(Subquery(waiting.values("n")), 0),
            )
        )

    @admin.display(description="link")
    def link_state(self, obj: System) -> str:
        link = getattr(obj, "link", None)
        if link is None:
            return "Up"
        since = (
            f" since {timezone.localtime(link.since):%Y-%m-%d %H:%M}" if link.state != LinkState.UP else ""
        )
        return f"{link.get_state_display()}{since}"

    @admin.display(description="waiting deliveries", ordering="waiting_total")
    def waiting(self, obj: System) -> int:
        return getattr(obj, "waiting_total", 0)

    @admin.display(description="secrets set", ordering="secret_total")
    def secret_count(self, obj: System) -> int:
        return getattr(obj, "secret_total", 0)

    @admin.display(description="last connection test")
    def health(self, obj: System) -> str:
        if obj.last_probe_ok is None:
            return "not tested yet"
        return format_html(
            '<span title="{}">{} {}</span>',
            obj.last_probe_message,
            "✅" if obj.last_probe_ok else "❌",
            obj.last_probe_message[:60],
        )

    def _kind(self, request: HttpRequest, obj: System | None) -> str:
        if obj is not None and obj.pk:
            return obj.kind
        wanted = request.POST.get("kind") or request.GET.get("kind") or ""
        known = [kind for kind, _ in kind_choices()]
        if wanted in known:
            return wanted
        return DEFAULT_KIND if DEFAULT_KIND in known else known[0]

    def get_form(
        self, request: HttpRequest, obj: System | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = system_form_for(self._kind(request, obj))
        kwargs["fields"] = SystemForm.Meta.fields
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: System | None = None) -> Any:
        kind = self._kind(request, obj)
        params = connector_class(kind).params
        fieldsets: list[Any] = [
            (None, {"fields": ["name", "kind", "description"]}),
            ("Ownership", {"fields": ["owner_team", "contact", "environment", "status", "read_only"]}),
            (
                f"Connection settings ({connector_class(kind).label})",
                {
                    "fields": [PREFIX + p.name for p in params if not p.secret],
                    "description": connector_class(kind).description,
                },
            ),
            (
                "Secrets",
                {
                    "fields": [PREFIX + p.name for p in params if p.secret],
                    "description": "Stored encrypted. Once saved, a secret is never shown again.",
                },
            ),
        ]
        link: dict[str, Any] = {
            "fields": ["breaker_failures", "breaker_pause_seconds"],
            "description": "The link is up, degraded or down; operators see it on the operations page.",
        }
        if obj is not None and obj.pk:
            link["fields"] = [*self.link_fields, *link["fields"]]
            fieldsets.append(("Link health", link))
            fieldsets.append(("Last connection test", {"fields": self.readonly_fields}))
        else:
            fieldsets.append(("Link health", link))
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: System | None = None) -> Any:
        base = list(self.readonly_fields)
        return [*base, *self.link_fields, "kind"] if obj is not None and obj.pk else base

    def save_model(self, request: HttpRequest, obj: System, form: Any, change: bool) -> None:
        system_save(
            system=obj,
            params=form.param_values(),
            secrets=form.secret_values(),
            actor=request.user,
        )

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:object_id>/test-connection/",
                self.admin_site.admin_view(self.test_connection_view),
                name="systems_system_test_connection",
            )
        ]
        return own + super().get_urls()

    def test_connection_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        system = get_object_or_404(System, pk=object_id)
        # A connection test decrypts the system's secrets: only people who may change the system may.
        if request.method != "POST" or not self.has_change_permission(request, system):
            return HttpResponseRedirect(reverse("admin:systems_system_change", args=[object_id]))
        test_connection(self, request, System.objects.filter(pk=system.pk))
        return HttpResponseRedirect(reverse("admin:systems_system_change", args=[object_id]))


@admin.register(Secret)
class SecretAdmin(admin.ModelAdmin):
    """The credential vault, as people may see it: which secrets exist, never their values."""

    list_display = ["system", "name", "set_at", "set_by", "last_used_at"]
    list_filter = ["system"]
    list_select_related = ["system", "set_by"]
    search_fields = ["system__name", "name"]
    fields = ["system", "name", "set_at", "set_by", "last_used_at"]
    readonly_fields = ["system", "name", "set_at", "set_by", "last_used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
