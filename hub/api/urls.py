"""Version 1 of the partner API. A breaking change is a new version beside this one, never an edit of it."""

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from hub.api import views


class IdConverter:
    """A row id: at most 18 digits, so that it always fits a 64-bit column (longer ones find nothing)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "row_id")

app_name = "api"

urlpatterns = [
    path(
        "schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="schema"
    ),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(
            url_name="api:schema", authentication_classes=[], permission_classes=[]
        ),
        name="docs",
    ),
    path("flows/", views.FlowList.as_view(), name="flows"),
    path("flows/<row_id:flow_id>/runs/", views.RunStart.as_view(), name="run-start"),
    path("flows/<row_id:flow_id>/batches/", views.Push.as_view(), name="push"),
    path("batches/<row_id:batch_id>/", views.BatchDetail.as_view(), name="batch"),
    path("entities/", views.EntityList.as_view(), name="entities"),
    path("entities/<str:entity>/records/", views.RecordList.as_view(), name="records"),
    path("entities/<str:entity>/records/<row_id:record_id>/", views.RecordDetail.as_view(), name="record"),
    path("dead-letters/", views.DeadLetterList.as_view(), name="dead-letters"),
    path(
        "dead-letters/<row_id:letter_id>/replay/", views.DeadLetterReplay.as_view(), name="dead-letter-replay"
    ),
    re_path(r"^", views.not_found),  # anything else under /api/v1/: a problem document, not an HTML page
]
