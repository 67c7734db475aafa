from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "xinshimin.workdays"
    label = "workdays"
