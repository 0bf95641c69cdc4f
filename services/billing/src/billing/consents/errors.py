"""Errors of consents to the terms of use and the privacy policy."""

from __future__ import annotations

from finhub_shared.errors import UnprocessableEntity


class ConsentRequired(UnprocessableEntity):
    code = "consent_required"


class ConsentOutdated(UnprocessableEntity):
    code = "consent_outdated"
