from django.apps import AppConfig


class ScenesConfig(AppConfig):
    name = "xinshimin.scenes"
    label = "scenes"
