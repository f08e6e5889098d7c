from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def timeuntil_minutes(value: timedelta | None) -> str:
    """A duration as people say it: '15 minutes', '1 minute'."""
    if not isinstance(value, timedelta):
        return "a few minutes"
    minutes = max(1, round(value.total_seconds() / 60))
    return f"{minutes} minute{'' if minutes == 1 else 's'}"
