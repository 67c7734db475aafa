from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "xinshimin.web"
    label = "web"
