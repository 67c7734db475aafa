from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "xinshimin.core"
    label = "core"
