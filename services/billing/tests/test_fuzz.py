"""Whatever JSON body arrives at a write route, billing answers below 500, and an error is our
`{"code", "message"}`.

Bodies are objects with any of the route's own fields, each a plausible value or any JSON, so many
pass validation and reach the services, Stripe (faked) and the database; text includes NUL, lone
surrogates and control characters.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finhub_dev.testing import outcome, send_json

from .conftest import Deliver
from .helpers import STRONG_PASSWORD, accepted, bearer, register
from .scenario import subscribed_company
from .stripe_sandbox import SandboxStripe

FUZZ = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

awkward_text = st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "x" * 300, "monthly\n"])
text = awkward_text | st.text(max_size=30) | st.text(st.characters(categories=["Cs", "Cc"]))
big_integers = st.sampled_from([2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30])
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-5, max_value=5)
    | big_integers
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
any_json = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)


def objects_with(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Objects holding any of `fields`, each a plausible value or any JSON; or any JSON at all."""
    plausible_or_not = {name: values | any_json for name, values in fields.items()}
    return st.fixed_dictionaries({}, optional=plausible_or_not) | any_json


emails = st.emails() | st.sampled_from(["ana@example.com", "ANA@example.com "]) | text
passwords = st.just(STRONG_PASSWORD) | text
plan_ids = st.integers(min_value=0, max_value=4) | big_integers
periods = st.sampled_from(["monthly", "yearly"]) | text

WRITE_ROUTES = {
    "/api/auth/register": objects_with(
        email=emails,
        password=passwords,
        name=text,
        company_name=text,
        accepted=st.just(accepted()) | st.fixed_dictionaries({"terms_of_use": text}) | text,
    ),
    "/api/auth/login": objects_with(email=emails, password=passwords),
    "/api/auth/refresh": objects_with(refresh_token=text),
}
SUBSCRIPTION_ROUTES = {
    "/api/payments/checkout/": objects_with(plan_id=plan_ids, billing_period=periods),
    "/api/payments/subscription/change-plan/": objects_with(
        plan_id=plan_ids, billing_period=periods
    ),
    "/api/payments/subscription/cancel/": objects_with(
        when=st.sampled_from(["now", "period_end"]) | text
    ),
}


def assert_answered(response: httpx.Response) -> None:
    """Below 500, and an error is `{"code", "message"}` with a code."""
    status, code = outcome(response)
    assert status < 500, response.text
    assert status < 400 or (code and isinstance(response.json().get("message"), str))


@pytest_asyncio.fixture
async def companies(
    lenient_client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> dict[bool, dict[str, str]]:
    """The headers of a subscribed company (True) and of one on its trial (False); the first
    owner's email is ana@example.com, which the fuzzed log-ins may hit."""
    new = await register(lenient_client, email="ana@example.com")
    subscribed = await subscribed_company(lenient_client, fake_stripe, deliver)
    return {True: subscribed.headers, False: bearer(new["access_token"])}


@pytest.mark.asyncio
@pytest.mark.usefixtures("companies")  # ana@example.com, for the log-ins that hit it
@pytest.mark.parametrize("route", WRITE_ROUTES)
@FUZZ
@given(data=st.data())
async def test_any_body_to_the_auth_routes_is_answered_below_500(
    lenient_client: httpx.AsyncClient, route: str, data: st.DataObject
) -> None:
    body = data.draw(WRITE_ROUTES[route], label="body")

    assert_answered(await send_json(lenient_client, "POST", route, body, {}))


@pytest.mark.asyncio
@pytest.mark.parametrize("route", SUBSCRIPTION_ROUTES)
@FUZZ
@given(data=st.data(), subscribed=st.booleans())
async def test_any_body_to_the_subscription_routes_is_answered_below_500(
    lenient_client: httpx.AsyncClient,
    companies: dict[bool, dict[str, str]],
    route: str,
    data: st.DataObject,
    subscribed: bool,
) -> None:
    body = data.draw(SUBSCRIPTION_ROUTES[route], label="body")

    response = await send_json(lenient_client, "POST", route, body, companies[subscribed])

    assert_answered(response)
