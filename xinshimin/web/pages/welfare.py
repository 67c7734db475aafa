"""Pages of the welfare area. Included by xinshimin/web/urls.py under the "web" namespace."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
