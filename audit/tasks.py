"""The access log's minutely job (Celery beat): a thin task over one service."""

from __future__ import annotations

from celery import shared_task

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
