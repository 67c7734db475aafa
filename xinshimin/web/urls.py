from django.urls import include, path

from . import views
from .pages import centre, charity, claims, integrity, scenes, scoring, welfare

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("workbench/", views.workbench, name="workbench"),
    path("residents/", views.resident_register, name="resident_list"),
    path("residents/<int:pk>/", views.resident_detail, name="resident_detail"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("audit/", views.audit_log, name="audit_log"),
    # Each area keeps its pages in xinshimin/web/pages/<area>.py (names stay in the "web" namespace).
    path("", include(scoring.urlpatterns)),
    path("", include(claims.urlpatterns)),
    path("", include(scenes.urlpatterns)),
    path("", include(welfare.urlpatterns)),
    path("", include(charity.urlpatterns)),
    path("", include(integrity.urlpatterns)),
    path("", include(centre.urlpatterns)),
]
