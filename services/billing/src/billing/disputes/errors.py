"""Why evidence for a dispute is refused."""

from __future__ import annotations

from finhub_shared.errors import Conflict, FinhubError, PayloadTooLarge, UnprocessableEntity


class EvidenceAlreadySubmitted(Conflict):
    """Stripe takes one submission of evidence; the bank decides on it."""

    code = "evidence_already_submitted"


class DisputeNotOpen(Conflict):
    """The dispute no longer waits for evidence (under review, won, lost...)."""

    code = "dispute_not_open"


class EvidenceDeadlinePassed(Conflict):
    """Stripe's `evidence_due_by` is over."""

    code = "evidence_deadline_passed"


class NoEvidence(UnprocessableEntity):
    """Nothing to save or submit: no field given now and none before."""

    code = "evidence_empty"


class EvidenceFileMissing(UnprocessableEntity):
    """An upload without its `file` or the evidence `field` it fills."""

    code = "evidence_file_missing"


class EvidenceFileTooLarge(PayloadTooLarge):
    """Over the 5 MB Stripe takes for a dispute evidence file."""

    code = "evidence_file_too_large"


class UnsupportedEvidenceFile(FinhubError):
    """Not a PDF, JPEG or PNG, the only files Stripe takes as dispute evidence."""

    status_code = 415
    code = "unsupported_file_type"
