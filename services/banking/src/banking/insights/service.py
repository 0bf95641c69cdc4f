"""Insights: computed from a company's history by pure detectors, stored (one row per finding's
key), the new ones someone should act on told to the live stream and notified once.

The worker computes them after a sync and daily: it reads the history in one short transaction,
runs the detectors in a thread (numpy and statsmodels would hold the event loop), and stores what
they found in another. A detector that raises is logged and skipped; its earlier findings stay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

import structlog
from pydantic_core import to_jsonable_python
from sqlalchemy.ext.asyncio import AsyncSession

from banking import publishing
from banking.categories import service as categories
from banking.entitlements import service as entitlements
from banking.entitlements.schemas import Entitlements, InsightLevel
from banking.insights import (
    changes,
    concentration,
    forecast,
    live,
    narrative,
    repository,
    runway,
    unusual,
)
from banking.insights.errors import InsightNotFound, NoForecast, UpgradeRequired
from banking.insights.findings import Finding, Point, Severity, Tier
from banking.insights.history import CompanyHistory
from banking.insights.models import Insight
from banking.insights.months import month_start, months_before
from banking.insights.schemas import (
    CategoryHistory,
    CategorySeries,
    ForecastOut,
    InsightList,
    InsightOut,
    InsightSettingsIn,
    InsightSettingsOut,
    PointOut,
)
from banking.insights.wording import month_key
from banking.money import BRAZIL_TIME
from banking.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.errors import ProviderError
from finhub_shared.queries import advisory_lock

log = structlog.get_logger(__name__)

INSIGHTS_REQUESTED = "insights.requested"
# The cash-flow forecast's kind (banking.insights.forecast): GET /forecast serves its series.
FORECAST_KIND = "cash_flow_forecast"
# The tiers each insight level sees.
TIERS: dict[InsightLevel, frozenset[Tier]] = {
    "none": frozenset(),
    "standard": frozenset({"standard"}),
    "advanced": frozenset({"standard", "advanced"}),
}
# What each tier needs, for the 403 that points to the plan unlocking it.
LEVEL_OF_TIER: dict[Tier, InsightLevel] = {"standard": "standard", "advanced": "advanced"}
# Most severe first in listings.
SEVERITY_RANK = {"action": 0, "warning": 1, "info": 2}
# New insights of this severity are notified and streamed.
ACTION = "action"
# Stored texts fit their columns.
TITLE_LENGTH = 200
KEY_LENGTH = 200
KIND_LENGTH = 50
# The longest message billing's notifications take.
NOTICE_LENGTH = 2000


@dataclass(frozen=True)
class Context:
    """What detectors get besides the history: the company's settings."""

    low_balance_threshold_cents: int = 0


@dataclass(frozen=True)
class Detector:
    """A pure function from a company's history to findings, and the tier it serves."""

    name: str
    tier: Tier
    find: Callable[[CompanyHistory, Context], list[Finding]]


DETECTORS: tuple[Detector, ...] = (
    Detector(
        "forecast",
        "standard",
        lambda history, context: forecast.find_forecast(
            history, context.low_balance_threshold_cents
        ),
    ),
    Detector("unusual", "standard", lambda history, _: unusual.find_unusual(history)),
    Detector("changes", "standard", lambda history, _: changes.find_category_changes(history)),
    Detector("runway", "advanced", lambda history, _: runway.find_runway(history)),
    Detector(
        "concentration",
        "advanced",
        lambda history, _: concentration.find_supplier_concentration(history),
    ),
)
# The month summary reads the other findings: it is written after them (advanced tier).
SUMMARY = "summary"


@dataclass(frozen=True)
class Detected:
    """What one computation found, by detector, and which detectors failed."""

    found: tuple[tuple[str, Finding], ...]
    failed: frozenset[str]
    ran: frozenset[str]


@dataclass(frozen=True)
class Stored:
    """The company's insights after a computation, and those first found by it."""

    insights: tuple[Insight, ...]
    new: tuple[Insight, ...]


def level_allows(rights: Entitlements, tier: Tier) -> bool:
    """Whether the company's plan includes insights of this tier."""
    return tier in TIERS[rights.insights]


def runs_for(level: InsightLevel, detectors: Sequence[Detector]) -> tuple[Detector, ...]:
    """The detectors a company's plan pays for."""
    return tuple(detector for detector in detectors if detector.tier in TIERS[level])


async def compute(
    session: AsyncSession,
    company_id: UUID,
    today: date,
    now: datetime,
    level: InsightLevel,
    detectors: Sequence[Detector] = DETECTORS,
    writer: Runtime | None = None,
) -> Stored:
    """Compute and store the company's insights in this session (tests, commands), with the
    month summary when given the runtime that writes it; the worker uses `refresh`, which keeps
    no transaction open while the detectors run."""
    history = await repository.load_history(session, company_id, today)
    context = Context(await repository.threshold(session, company_id))
    before = await _summary_before(session, company_id)
    detected = await detect(history, context, runs_for(level, detectors))
    if writer is not None and "advanced" in TIERS[level]:
        detected = await summarised(history, detected, writer, before)
    return await store(session, company_id, detected, now)


async def detect(
    history: CompanyHistory, context: Context, detectors: Sequence[Detector]
) -> Detected:
    """Run every detector in a thread, each one's failure its own."""
    return await asyncio.to_thread(_run_detectors, history, context, tuple(detectors))


def _run_detectors(
    history: CompanyHistory, context: Context, detectors: tuple[Detector, ...]
) -> Detected:
    found: list[tuple[str, Finding]] = []
    failed: set[str] = set()
    for detector in detectors:
        try:
            findings = detector.find(history, context)
        except Exception:
            log.exception(
                "insights_detector_failed",
                detector=detector.name,
                company_id=str(history.company_id),
            )
            failed.add(detector.name)
            continue
        found.extend((detector.name, finding) for finding in findings)
    return Detected(tuple(found), frozenset(failed), frozenset(d.name for d in detectors))


async def summarised(
    history: CompanyHistory,
    detected: Detected,
    runtime: Runtime,
    before: narrative.Written | None,
) -> Detected:
    """The findings with the month summary (by the configured language model through the
    runtime's client, kept from `before` for the same numbers, or the template); a summary that
    fails is skipped as a failing detector is."""
    findings = [finding for _, finding in detected.found]
    try:
        if runtime.llm is None:
            summary = narrative.template_summary(history, findings)
        else:
            summary = await narrative.written_summary(
                runtime.llm, runtime.settings, history, findings, before
            )
    except Exception:
        company = str(history.company_id)
        log.exception("insights_detector_failed", detector=SUMMARY, company_id=company)
        return replace(detected, failed=detected.failed | {SUMMARY}, ran=detected.ran | {SUMMARY})
    return replace(
        detected, found=(*detected.found, (SUMMARY, summary)), ran=detected.ran | {SUMMARY}
    )


async def _summary_before(session: AsyncSession, company_id: UUID) -> narrative.Written | None:
    stored = await repository.of_kind(session, company_id, narrative.KIND)
    return None if stored is None else narrative.Written(stored.message, stored.evidence)


async def lock_company(session: AsyncSession, company_id: UUID) -> None:
    """Hold the company's insights until the transaction ends: computations store one at a time,
    and an erasure never has one store after it."""
    await advisory_lock(session, "insights", str(company_id))


async def store(
    session: AsyncSession, company_id: UUID, detected: Detected, now: datetime
) -> Stored:
    """Replace the company's insights by what was found: a key found again keeps its row, id and
    first_seen_at; a new one someone should act on goes to the live stream and is notified; a
    failed detector's earlier findings stay."""
    await lock_company(session, company_id)
    stored = await repository.insights_of(session, company_id)
    existing = {insight.key: insight for insight in stored}
    kept: dict[str, Insight] = {}
    new: list[Insight] = []
    for detector, finding in detected.found:
        key = (finding.key or f"{finding.kind}:{finding.title}")[:KEY_LENGTH]
        if key in kept:
            continue
        insight = existing.get(key)
        if insight is None:
            insight = Insight(company_id=company_id, key=key, first_seen_at=now)
            session.add(insight)
            new.append(insight)
        _fill(insight, detector, finding, now)
        kept[key] = insight
    gone = [
        key
        for key, insight in existing.items()
        if key not in kept and insight.detector not in detected.failed
    ]
    await repository.delete_keys(session, company_id, gone)
    await session.flush()
    for insight in new:
        if insight.severity == ACTION:
            await _tell(session, insight)
    kept.update({k: i for k, i in existing.items() if k not in kept and k not in gone})
    return Stored(tuple(kept.values()), tuple(new))


def _fill(insight: Insight, detector: str, finding: Finding, now: datetime) -> None:
    insight.detector = detector
    insight.kind = finding.kind[:KIND_LENGTH]
    insight.tier = finding.tier
    insight.severity = finding.severity
    insight.title = finding.title[:TITLE_LENGTH]
    insight.message = finding.message
    insight.evidence = to_jsonable_python(finding.evidence)
    insight.transaction_ids = list(finding.transaction_ids)
    insight.account_id = finding.account_id
    insight.series = {name: [_point(p) for p in points] for name, points in finding.series.items()}
    insight.computed_at = now


def _point(point: Point) -> dict[str, Any]:
    return {
        "day": point.day.isoformat(),
        "value_cents": point.value_cents,
        "low_cents": point.low_cents,
        "high_cents": point.high_cents,
    }


async def _tell(session: AsyncSession, insight: Insight) -> None:
    """A new insight to act on: on the live stream, and as a notification (billing's)."""
    await live.insight_created(session, insight)
    await publishing.notify_company(
        session,
        insight.company_id,
        insight.kind,
        insight.message[:NOTICE_LENGTH],
        title=insight.title,
        link=f"/api/banking/insights/{insight.id}",
        insight_id=str(insight.id),
    )


async def request(session: AsyncSession, company_id: UUID, now: datetime) -> None:
    """Ask the worker to compute the company's insights once this transaction commits."""
    await repository.mark_requested(session, company_id, now)
    data = publishing.InsightsRequested(company_id=company_id, requested_at=now).model_dump(
        mode="json"
    )
    await publishing.publish(session, INSIGHTS_REQUESTED, data, company_id)


async def refresh(
    runtime: Runtime,
    company_id: UUID,
    requested_at: datetime,
    clock: Callable[[], datetime],
    detectors: Sequence[Detector] = DETECTORS,
) -> Stored | None:
    """The worker's computation for one request: None when the plan includes no insights or a
    computation that started after the request already answered it."""
    database: Database = runtime.database
    started = clock()
    await _keep_category_tree(runtime)
    async with database.transaction() as session:
        run = await repository.run_of(session, company_id)
        if run is not None and run.computed_at is not None and run.computed_at >= requested_at:
            return None
        rights = await entitlements.known_entitlements(session, company_id, started)
        if rights is None or rights.insights == "none":
            return None
        today = started.astimezone(BRAZIL_TIME).date()
        history = await repository.load_history(session, company_id, today)
        context = Context(await repository.threshold(session, company_id))
        before = await _summary_before(session, company_id)
    detected = await detect(history, context, runs_for(rights.insights, detectors))
    if "advanced" in TIERS[rights.insights]:
        detected = await summarised(history, detected, runtime, before)
    async with database.transaction() as session:
        await lock_company(session, company_id)
        run = await repository.run_of(session, company_id)
        if run is not None and run.computed_at is not None and run.computed_at > started:
            # A computation that started later stored already: this one's history is older.
            return None
        rights = await entitlements.known_entitlements(session, company_id, clock())
        if rights is None or rights.insights == "none":
            # The plan changed, or the company was erased, while the detectors ran.
            return None
        stored = await store(session, company_id, detected, clock())
        await repository.mark_computed(session, company_id, started)
    log.info(
        "insights_computed",
        company_id=str(company_id),
        insights=len(stored.insights),
        new=len(stored.new),
        failed=sorted(detected.failed),
    )
    return stored


async def _keep_category_tree(runtime: Runtime) -> None:
    """Pluggy's category tree kept before the texts name categories in pt-BR; while Pluggy
    cannot give it, they name them as transactions store them (English) rather than wait."""
    try:
        await categories.keep_tree(runtime.database, runtime.pluggy)
    except ProviderError:
        log.warning("insights_category_tree_unavailable", exc_info=True)


async def queue_due(session: AsyncSession, now: datetime, limit: int) -> int:
    """Ask for the insights of companies with insights not computed since Brazil's midnight."""
    midnight = datetime.combine(now.astimezone(BRAZIL_TIME).date(), time(), BRAZIL_TIME)
    due = await repository.companies_due(session, midnight, limit)
    for company_id in due:
        await request(session, company_id, now)
    return len(due)


async def entitled(
    session: AsyncSession, company_id: UUID, runtime: Runtime, tier: Tier, now: datetime
) -> Entitlements:
    """The company's entitlements if its plan includes insights of this tier; otherwise 403
    upgrade_required with the plan that unlocks them (as billing last said)."""
    rights = await entitlements.read_entitlements(session, company_id, runtime.trial_terms, now)
    if level_allows(rights, tier):
        return rights
    level = LEVEL_OF_TIER[tier]
    plan = rights.insight_plans.get(level)
    upgrade = f"Upgrade to the {plan} plan" if plan else "Upgrade your plan"
    what = "Advanced insights are" if tier == "advanced" else "Insights are"
    raise UpgradeRequired(
        f"{what} not included in your plan. {upgrade} to see them.",
        upgrade_required=True,
        required_insights=level,
        suggested_plan=plan,
    )


async def listing(session: AsyncSession, company_id: UUID, rights: Entitlements) -> InsightList:
    """The company's insights its plan includes: the most severe first, then the newest."""
    run = await repository.run_of(session, company_id)
    shown = [
        insight
        for insight in await repository.insights_of(session, company_id)
        if insight.tier in TIERS[rights.insights]
    ]
    shown.sort(key=lambda i: (i.first_seen_at, i.computed_at, i.key), reverse=True)
    shown.sort(key=lambda i: SEVERITY_RANK.get(i.severity, len(SEVERITY_RANK)))
    return InsightList(
        insights=rights.insights,
        computed_at=run.computed_at if run is not None else None,
        items=[described(insight) for insight in shown],
    )


async def one(
    session: AsyncSession,
    company_id: UUID,
    runtime: Runtime,
    insight_id: UUID,
    rights: Entitlements,
    now: datetime,
) -> InsightOut:
    """One of the company's insights (`rights` its entitlements); 404 for another company's, 403
    past the plan's tier."""
    insight = await repository.get(session, company_id, insight_id)
    if insight is None:
        raise InsightNotFound("No such insight.")
    if not level_allows(rights, _tier(insight.tier)):
        await entitled(session, company_id, runtime, _tier(insight.tier), now)
    return described(insight)


async def forecast_series(session: AsyncSession, company_id: UUID) -> ForecastOut:
    """The latest cash-flow forecast's series; 404 until one was computed."""
    insight = await repository.of_kind(session, company_id, FORECAST_KIND)
    if insight is None:
        raise NoForecast("No forecast yet: it is computed after your accounts are synced.")
    return ForecastOut(
        insight_id=insight.id,
        computed_at=insight.computed_at,
        series=described(insight).series,
        evidence=insight.evidence,
    )


async def category_history(
    session: AsyncSession, company_id: UUID, today: date, months: int
) -> CategoryHistory:
    """Money out per category in each of the last `months` calendar months (this one included),
    the categories with the most spending first."""
    this_month = month_start(today)
    firsts = [months_before(this_month, back) for back in range(months - 1, -1, -1)]
    end = months_before(this_month, -1)
    rows = await repository.spending_by_month_and_category(session, company_id, firsts[0], end)
    column = {month: index for index, month in enumerate(firsts)}
    spending: dict[str | None, list[int]] = {}
    names: dict[str | None, str | None] = {}
    for month, category_id, name, cents in rows:
        spending.setdefault(category_id, [0] * months)[column[month]] = cents
        names[category_id] = name
    ordered = sorted(spending, key=lambda c: (-sum(spending[c]), c or ""))
    return CategoryHistory(
        months=[month_key(month) for month in firsts],
        categories=[
            CategorySeries(category_id=c, category_name=names[c], spending_cents=spending[c])
            for c in ordered
        ],
    )


async def settings_of(session: AsyncSession, company_id: UUID) -> InsightSettingsOut:
    return InsightSettingsOut(
        low_balance_threshold_cents=await repository.threshold(session, company_id)
    )


async def change_settings(
    session: AsyncSession, company_id: UUID, wanted: InsightSettingsIn, now: datetime
) -> InsightSettingsOut:
    """Keep the company's threshold and compute its insights again with it."""
    await repository.save_threshold(session, company_id, wanted.low_balance_threshold_cents)
    await request(session, company_id, now)
    return InsightSettingsOut(low_balance_threshold_cents=wanted.low_balance_threshold_cents)


def described(insight: Insight) -> InsightOut:
    """The insight as the API shows it."""
    return InsightOut(
        id=insight.id,
        key=insight.key,
        kind=insight.kind,
        tier=_tier(insight.tier),
        severity=_severity(insight.severity),
        title=insight.title,
        message=insight.message,
        evidence=insight.evidence,
        transaction_ids=insight.transaction_ids,
        account_id=insight.account_id,
        series={
            name: [PointOut.model_validate(point) for point in points]
            for name, points in insight.series.items()
        },
        computed_at=insight.computed_at,
        first_seen_at=insight.first_seen_at,
        new=insight.first_seen_at >= insight.computed_at,
    )


def _tier(stored: str) -> Tier:
    return "advanced" if stored == "advanced" else "standard"


def _severity(stored: str) -> Severity:
    return "action" if stored == "action" else "warning" if stored == "warning" else "info"
