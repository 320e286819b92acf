from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from hub.flows.views import webhook

admin.site.site_header = "Integration Hub"
admin.site.site_title = "Integration Hub"
admin.site.index_title = "Configuration and operations"

urlpatterns = [
    path("hooks/flows/<int:flow_id>/", webhook, name="flow_webhook"),
    path("api/v1/", include("hub.api.urls")),
    path("operations/", include("hub.fallback.urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
]
