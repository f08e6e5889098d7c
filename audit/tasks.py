"""The access log's minutely job (Celery beat): a thin task over one service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from audit.alerts import alert_break_glass, alerts_raise
from audit.services import audit_log_maintain


# No retries: the next minute's run picks up whatever this one could not do. Runs never
# overlap in effect (the sealer holds an advisory lock), and expire rather than pile up.
@shared_task(ignore_result=True, expires=55)
def audit_seal_task() -> dict[str, int]:
    """Make coming partitions, seal new access events into the chain, checkpoint when due."""
    done = audit_log_maintain()
    return {
        "partitions_made": done.partitions_made,
        "seals": len(done.seals),
        "events_sealed": sum(seal.event_count for seal in done.seals),
        "checkpoint": done.checkpoint.seal_number if done.checkpoint else 0,
    }


# Every ALERTS_EVERY_SECONDS (Celery beat): raise alerts over the last ALERTS_LOOKBACK_MINUTES.
# Overlapping runs are harmless (each alert has a unique key); a missed run is caught up by the
# look-back, so no retries.
@shared_task(ignore_result=True, expires=240)
def alerts_raise_task() -> int:
    since = timezone.now() - timedelta(minutes=settings.ALERTS_LOOKBACK_MINUTES)
    return len(alerts_raise(since=since))


@shared_task(ignore_result=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def alert_break_glass_task(event_id: int) -> int | None:
    """The break-glass alert, for a break-glass path that would rather not wait for it."""
    alert = alert_break_glass(event_id=event_id)
    return alert.pk if alert is not None else None
