from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "xinshimin.accounts"
    label = "accounts"
    verbose_name = "账户与机构 Accounts"
