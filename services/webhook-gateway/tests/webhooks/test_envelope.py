"""The bus envelope the gateway writes by hand is the JSON DESIGN.md describes, for any ids."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from finhub_shared.events import SCHEMA_VERSION
from webhook_gateway.webhooks.service import envelope_json

WHEN = datetime(2026, 12, 7, 1, 2, 3, 456789, tzinfo=UTC)


@given(
    event_id=st.text(min_size=1),
    event_type=st.text(min_size=1),
    company_id=st.none() | st.uuids(),
)
def test_the_envelope_is_the_head_json_dumps_writes_with_the_body_spliced_in(
    event_id: str, event_type: str, company_id: uuid.UUID | None
) -> None:
    raw_body = b'{"id":"evt_1","data":{"object":{"amount":7900,"note":"\\u00e9 \\"quoted\\""}}}'
    envelope = envelope_json(
        source="stripe",
        event_id=event_id,
        event_type=event_type,
        occurred_at=WHEN,
        received_at=WHEN,
        company_id=company_id,
        raw_body=raw_body,
    )
    head = {
        "id": event_id,
        "source": "stripe",
        "type": event_type,
        "occurred_at": WHEN.isoformat(),
        "received_at": WHEN.isoformat(),
        "company_id": str(company_id) if company_id else None,
        "schema_version": SCHEMA_VERSION,
    }
    expected = json.dumps(head, separators=(",", ":"))[:-1].encode() + b',"data":' + raw_body
    assert envelope == expected + b"}"
    assert json.loads(envelope)["data"] == json.loads(raw_body)
