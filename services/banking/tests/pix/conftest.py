"""Every PIX test stands on the same day (PIX_DAY), whatever day it runs."""

import pytest

from ..conftest import FrozenClock


@pytest.fixture(autouse=True)
def on_pix_day(clock: FrozenClock) -> FrozenClock:
    """Banking's and Pluggy's clocks stopped at PIX_DAY, for the tests that do not ask for them."""
    return clock
