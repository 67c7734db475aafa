from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "xinshimin.api"
    label = "api"
