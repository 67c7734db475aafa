from django.apps import AppConfig


class CentreConfig(AppConfig):
    name = "xinshimin.centre"
    label = "centre"
    verbose_name = "服务中心工作台"
