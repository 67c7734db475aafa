from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "xinshimin.notifications"
    label = "notifications"
