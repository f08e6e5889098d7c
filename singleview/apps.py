from django.apps import AppConfig


class SingleviewConfig(AppConfig):
    name = "singleview"
    verbose_name = "Single View"
    default_auto_field = "django.db.models.BigAutoField"
