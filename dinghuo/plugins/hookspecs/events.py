"""Event hooks: hearing about what happened in a tenant, through the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dinghuo.plugins.markers import hookspec
from dinghuo.plugins.types import Event


@hookspec
def dinghuo_event(event: Event, settings: Mapping[str, Any]) -> None:
    """Receive one event of a tenant that has this plugin enabled.

    ``settings`` are this plugin's settings for ``event.tenant``, secrets
    decrypted. Events arrive at least once and, per aggregate
    (``event.aggregate_type`` + ``event.aggregate_id``), in the order they
    happened. Raise to report a failed delivery: the outbox retries it later
    with back-off, and later events of the same aggregate wait for it. A
    plugin that already received an event is not called again for it when
    another plugin's failure causes a retry. Return quickly: a call running
    longer than the host's timeout counts as failed.
    """
