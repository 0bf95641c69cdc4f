"""Money moved as the insights count it: who was paid, monthly payments, the company's
transfers between its own accounts, and net flows by calendar month."""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from uuid import UUID

from banking.insights.history import Movement
from banking.insights.months import month_start
from banking.summary.repository import OWN_TRANSFERS_CATEGORY_PREFIX

# A transfer leaves one account and reaches another of the company's within these days.
OWN_TRANSFER_DAYS = 3
OWN_TRANSFER_WINDOW = timedelta(days=OWN_TRANSFER_DAYS)
# Monthly payments fall 20 to 40 days apart: months are 28 to 31 days, and a payment moves past
# weekends and month ends.
MONTHLY_GAP_DAYS = (20, 40)
# Amounts this close are the same payment's whatever the spread allowed (fees, rounding).
SAME_AMOUNT_CENTS = 5_00

# How a bank words a payment before naming the payee ("PIX ENVIADO FULANO"): dropped, so that
# every way of paying one payee groups together.
_PAYMENT_WORDS = frozenset(
    {
        "pix", "ted", "doc", "tef", "enviado", "enviada", "enviados", "para", "transferencia",
        "transf", "pagto", "pagamento", "pag", "pgto", "boleto", "compra", "cartao", "deb",
        "debito", "credito", "cred", "conta", "aluguel", "de", "a", "ao", "da", "do", "em",
    }
)  # fmt: skip
_NOT_A_WORD = re.compile(r"[\W_]+")


def own_transfers(movements: Iterable[Movement]) -> frozenset[UUID]:
    """Money the company moved to itself, neither earned nor spent: movements Pluggy files as
    transfers between the same person's accounts (as the dashboard), and those that pair an
    amount leaving one account with the same amount reaching another within OWN_TRANSFER_DAYS."""
    incoming: dict[int, list[Movement]] = defaultdict(list)
    outgoing: list[Movement] = []
    paired: set[UUID] = set()
    for movement in movements:
        if (movement.category_id or "").startswith(OWN_TRANSFERS_CATEGORY_PREFIX):
            paired.add(movement.transaction_id)
        elif movement.amount_cents > 0:
            incoming[movement.amount_cents].append(movement)
        elif movement.amount_cents < 0:
            outgoing.append(movement)
    # Only amounts that both left and arrived can pair: those alone are put in order (a sort of
    # every movement would take most of the time), the earliest pairing first.
    leaving = sorted((m for m in outgoing if -m.amount_cents in incoming), key=chronological)
    for amount in {-m.amount_cents for m in leaving}:
        incoming[amount].sort(key=chronological)
    for out in leaving:
        arrived = _first_arrival(incoming[-out.amount_cents], out, paired)
        if arrived is not None:
            paired.update((out.transaction_id, arrived.transaction_id))
    return frozenset(paired)


def _first_arrival(
    arrivals: Sequence[Movement], out: Movement, paired: set[UUID]
) -> Movement | None:
    """The first of the arrivals (in order) not paired yet that reached another account than
    `out` left within OWN_TRANSFER_DAYS of it."""
    first = bisect.bisect_left(arrivals, out.day - OWN_TRANSFER_WINDOW, key=day_of)
    for arrival in itertools.islice(arrivals, first, None):
        if arrival.day > out.day + OWN_TRANSFER_WINDOW:
            break
        if arrival.transaction_id not in paired and arrival.account_id != out.account_id:
            return arrival
    return None


def monthly_net(movements: Iterable[Movement]) -> dict[date, int]:
    """Money in minus money out, by the first day of each calendar month."""
    nets: dict[date, int] = defaultdict(int)
    for movement in movements:
        nets[month_start(movement.day)] += movement.amount_cents
    return dict(nets)


def payee_as_written(movement: Movement) -> str:
    """The merchant, else the description, spaces collapsed: how a finding names one payment's
    payee."""
    return " ".join((movement.merchant or movement.description).split())


def exact_payee(movement: Movement) -> str:
    """Who was paid, to tell payments apart (duplicates, monthly payments): lower case, spaces
    collapsed, so "Boleto 0042" and "Boleto 0043" stay two payees."""
    return payee_as_written(movement).lower()


def payee_key(movement: Movement) -> str:
    """Who was paid, to add up a supplier's payments however worded: the merchant, else the
    description without accents, case, digits (dates, ids) and a bank's words before the name."""
    words = _payee_words(movement.merchant or movement.description)
    return " ".join(_fold(word) for word in words) or movement.description.strip().lower()


def payee_name(payments: Iterable[Movement]) -> str:
    """How to name one payee: the latest merchant name its payments carry, else the latest
    description without what `payee_key` leaves out."""
    by_date = sorted(payments, key=chronological)
    merchants = [m.merchant.strip() for m in by_date if m.merchant and m.merchant.strip()]
    if merchants:
        return merchants[-1]
    latest = by_date[-1].description
    return " ".join(word.capitalize() for word in _payee_words(latest)) or latest.strip()


def category_key(movement: Movement) -> str | None:
    """The category a movement is counted in: its id, else its name (None when it has neither)."""
    return movement.category_id or movement.category_name


def day_of(movement: Movement) -> date:
    """The day a movement was made, as a key to sort or search by."""
    return movement.day


def chronological(movement: Movement) -> tuple[date, str]:
    """A key putting movements in the order they were made, one day's in id order, so that
    results do not depend on the order they were read in."""
    return movement.day, str(movement.transaction_id)


def monthly_run(movements: Sequence[Movement], spread: float) -> list[Movement]:
    """The movements back from the last one (sorted by day) while each is about a month before
    the next and the same amount as the last one within `spread` (oldest first)."""
    run = [movements[-1]]
    for earlier in reversed(movements[:-1]):
        if not a_month_apart(earlier, run[-1]):
            break
        if not same_amount(run[0].amount_cents, earlier.amount_cents, spread):
            break
        run.append(earlier)
    return run[::-1]


def a_month_apart(earlier: Movement, later: Movement) -> bool:
    """Whether `later` was made about a month after `earlier` (MONTHLY_GAP_DAYS)."""
    return MONTHLY_GAP_DAYS[0] <= (later.day - earlier.day).days <= MONTHLY_GAP_DAYS[1]


def same_amount(usual_cents: int, other_cents: int, spread: float) -> bool:
    """Whether `other_cents` is `usual_cents` within the share `spread` of it, or within
    SAME_AMOUNT_CENTS."""
    change = abs(other_cents - usual_cents)
    return change <= spread * abs(usual_cents) or change <= SAME_AMOUNT_CENTS


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower()


def _payee_words(text: str) -> list[str]:
    words = [w for w in _NOT_A_WORD.split(text) if w and not any(c.isdigit() for c in w)]
    return [w for w in words if _fold(w) not in _PAYMENT_WORDS] or words
