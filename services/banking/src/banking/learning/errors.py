"""Errors of learned categories."""

from __future__ import annotations

from finhub_shared.errors import UnprocessableEntity


class NothingToPropose(UnprocessableEntity):
    """The transaction has no category to give to similar ones."""

    code = "no_category"
