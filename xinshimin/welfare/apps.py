from django.apps import AppConfig


class WelfareConfig(AppConfig):
    name = "xinshimin.welfare"
    label = "welfare"
