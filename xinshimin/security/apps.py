from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "xinshimin.security"
    label = "security"
    verbose_name = "安全"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the production checks)
