"""API shapes of disputes and their evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, computed_field, model_validator

from finhub_shared.fields import NonBlankText

# Stripe's longest texts for evidence: explanations and logs, then names, addresses and dates.
LongText = Annotated[NonBlankText, Field(max_length=20_000)]
ShortText = Annotated[NonBlankText, Field(max_length=5_000)]
# All evidence texts of a dispute together, as Stripe limits them.
EVIDENCE_TEXT_LIMIT = 150_000

# The evidence fields that hold a file (the id of an upload to Stripe).
EvidenceFileField = Literal[
    "cancellation_policy",
    "customer_communication",
    "customer_signature",
    "duplicate_charge_documentation",
    "receipt",
    "refund_policy",
    "service_documentation",
    "uncategorized_file",
]


class EvidenceIn(BaseModel):
    """Text evidence for a dispute (Stripe's evidence fields; a field sent again replaces it),
    saved as a draft or, with `submit`, submitted to the bank with the uploaded files."""

    model_config = ConfigDict(extra="forbid")

    product_description: LongText | None = None
    customer_name: ShortText | None = None
    customer_email_address: ShortText | None = None
    customer_purchase_ip: ShortText | None = None
    billing_address: ShortText | None = None
    service_date: ShortText | None = None
    access_activity_log: LongText | None = None
    cancellation_policy_disclosure: LongText | None = None
    cancellation_rebuttal: LongText | None = None
    refund_policy_disclosure: LongText | None = None
    refund_refusal_explanation: LongText | None = None
    duplicate_charge_explanation: LongText | None = None
    uncategorized_text: LongText | None = None
    submit: bool = Field(
        False, description="Submit to the bank now (once only); otherwise save as a draft."
    )

    @model_validator(mode="after")
    def _within_stripe_total(self) -> EvidenceIn:
        if sum(len(value) for value in self.texts().values()) > EVIDENCE_TEXT_LIMIT:
            raise ValueError(f"all evidence texts together are limited to {EVIDENCE_TEXT_LIMIT}")
        return self

    def texts(self) -> dict[str, str]:
        """The text fields given."""
        given = self.model_dump(exclude={"submit"}, exclude_none=True)
        return {name: str(value) for name, value in given.items()}


class EvidenceFileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    field: str
    filename: str
    content_type: str
    size_bytes: int
    stripe_file_id: str
    uploaded_at: datetime


class DisputeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    payment_id: UUID | None
    amount_cents: int
    currency: str
    reason: str
    status: str
    evidence_due_by: datetime | None
    funds_status: str | None
    created_at: datetime = Field(validation_alias=AliasChoices("stripe_created_at", "created_at"))
    has_evidence: bool
    evidence_submission_count: int
    evidence_submitted_at: datetime | None
    evidence_fields: list[str]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def evidence_submitted(self) -> bool:
        """Whether evidence went to the bank (no more can be given)."""
        return self.evidence_submission_count > 0


class DisputeDetail(DisputeOut):
    """A dispute with the evidence files uploaded for it (sent to Stripe with the next save)."""

    evidence_files: list[EvidenceFileOut]
