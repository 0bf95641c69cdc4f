"""Errors of insights."""

from __future__ import annotations

from finhub_shared.errors import Forbidden, NotFound


class UpgradeRequired(Forbidden):
    """The company's plan does not include these insights; `suggested_plan` names the one that
    does (None when billing has not said), `required_insights` the level they need."""

    code = "upgrade_required"


class InsightNotFound(NotFound):
    code = "insight_not_found"


class NoForecast(NotFound):
    """No forecast was computed for the company yet (no synced account, or not computed yet)."""

    code = "forecast_not_computed"
