"""The category model itself: what it needs to guess, its guesses kept through its bytes, and
bytes holding pickled objects refused rather than run."""

from __future__ import annotations

import io

import numpy as np
import pytest

from banking.config import BankingSettings
from banking.learning.classifier import (
    MIN_CATEGORIES,
    MIN_CONFIDENCE,
    MIN_CORRECTIONS,
    Example,
    Model,
    payee,
    train,
)

TAUGHT = [
    Example("PIX ENVIADO Fornecedor 0", None, "05000000", "DEBIT", 1234, "08000000"),
    Example("UBER *TRIP 0", "Uber", "19000000", "DEBIT", 3190, "19010000"),
    Example("Padaria Pão Quente 0", "Padaria Pão Quente", "11000000", "DEBIT", 1234, "11010000"),
]
NEW = [
    Example("PIX ENVIADO Fornecedor 7", None, "05000000", "DEBIT", 999, None),
    Example("UBER *TRIP", "Uber", "19000000", "DEBIT", 2500, None),
    Example("Posto Shell", "Shell", "19050001", "DEBIT", 2500, None),
]


def test_a_payee_is_its_words_without_accents_case_or_numbers() -> None:
    assert payee("PIX  Enviado 123 João-Pão") == "pix enviado joao pao"
    assert payee(None) == ""


def test_too_few_corrections_or_one_category_make_no_model() -> None:
    assert train(TAUGHT[:2]) is None
    assert train([TAUGHT[0]] * 5) is None


def test_more_corrections_or_categories_may_be_asked_for() -> None:
    assert train(TAUGHT) is not None
    assert train(TAUGHT, min_corrections=4) is None
    assert train(TAUGHT * 2, min_categories=4) is None


def test_banking_settings_default_to_the_models_own_thresholds() -> None:
    fields = BankingSettings.model_fields
    assert fields["learning_min_corrections"].default == MIN_CORRECTIONS
    assert fields["learning_min_categories"].default == MIN_CATEGORIES
    assert fields["learning_min_confidence"].default == MIN_CONFIDENCE


def test_it_is_sure_of_the_like_and_unsure_of_the_unlike() -> None:
    model = train(TAUGHT)
    assert model is not None

    like_pix, like_ride, unlike = model.guess(NEW)

    assert (like_pix.category_id, like_ride.category_id) == ("08000000", "19010000")
    assert min(like_pix.confidence, like_ride.confidence) > 0.8
    assert unlike.confidence < 0.6


def test_its_bytes_give_the_same_guesses_and_stay_small() -> None:
    model = train(TAUGHT * 100)
    assert model is not None

    data = model.to_bytes()

    assert Model.from_bytes(data).guess(NEW) == model.guess(NEW)
    assert len(data) < 10_000


def test_bytes_with_pickled_objects_are_refused() -> None:
    buffer = io.BytesIO()
    np.savez(buffer, classes=np.array([object()], dtype=object))

    with pytest.raises(ValueError, match="pickle"):
        Model.from_bytes(buffer.getvalue())
