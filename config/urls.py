from django.contrib import admin
from django.urls import include, path

from xinshimin.api.routes import api

urlpatterns = [
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("security/", include("xinshimin.security.urls")),
    path("", include("xinshimin.web.urls")),
]
