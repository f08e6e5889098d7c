from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_user_type_permissions(**kwargs: Any) -> None:
    from agencies.services import user_type_permissions_sync

    user_type_permissions_sync()


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = "Partnership and agencies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from agencies import reference  # noqa: F401 - connects its signals

        # Permissions exist only after migrate; the groups get theirs then, every time.
        post_migrate.connect(_sync_user_type_permissions, dispatch_uid="user_type_permissions")
