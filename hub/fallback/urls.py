"""Operators' pages, under /operations/, behind the admin's sign-in."""

from django.contrib import admin
from django.urls import path

from hub.fallback import views

app_name = "fallback"

urlpatterns = [
    path("", admin.site.admin_view(views.operations), name="operations"),
    path("flows/<int:flow_id>/entry/", admin.site.admin_view(views.entry_form), name="entry_form"),
    path("entries/", admin.site.admin_view(views.entries), name="entries"),
    path("entries/<int:entry_id>/", admin.site.admin_view(views.entry), name="entry"),
]
