"""Errors of a company's deletion."""

from __future__ import annotations

from finhub_shared.errors import UnprocessableEntity


class DeletionNotConfirmed(UnprocessableEntity):
    code = "deletion_not_confirmed"
