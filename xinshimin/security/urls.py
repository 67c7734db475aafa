from django.urls import path

from . import views

app_name = "security"

urlpatterns = [
    path("otp/", views.otp_step, name="otp"),
]
