"""A company's category model: a logistic regression over hashed words of each transaction.

What a transaction says (its description's and merchant's words, both whole as a payee, Pluggy's
category, its direction and the size of its amount) is hashed into a fixed space, so no
vocabulary is kept; only the weights of the features seen in training are stored, as plain
arrays (numpy's format without pickle), so a model read back from the database runs no code.
Training and prediction are CPU work: callers run them in a thread.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression

# The defaults of banking's learning settings (BANKING_LEARNING_*, a test holds them equal).
# Corrections a model needs before it guesses, and the categories among them: a model that has
# seen one category only would give it to everything.
MIN_CORRECTIONS = 3
MIN_CATEGORIES = 2
# A guess below this confidence is not given (bench/bench_categorisation.py measures it).
MIN_CONFIDENCE = 0.6
# Hashed feature space; collisions are rare at this size, and only the features seen are stored.
FEATURES = 2**20
# Inverse regularisation: how much the model trusts the few corrections it has.
STRENGTH = 20.0

_WORD = re.compile(r"[a-z]{2,}")
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Example:
    """What the model reads of a transaction (and, to learn from, the category a person chose)."""

    description: str
    merchant: str | None
    pluggy_category_id: str | None
    type: str
    amount_cents: int
    category_id: str | None = None


@dataclass(frozen=True)
class Guess:
    category_id: str
    confidence: float


def payee(text: str | None) -> str:
    """The text as a payee key, without accents, case, digits or punctuation: 'PIX 12 Ana' is
    'pix ana'."""
    if not text:
        return ""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(_WORD.findall(plain))


def features(example: Example) -> list[str]:
    """The named features of one transaction, before hashing."""
    words = payee(example.description).split()
    merchant = payee(example.merchant)
    named = [f"w:{word}" for word in words]
    named += [f"b:{first}_{second}" for first, second in itertools.pairwise(words)]
    named.append(f"d:{' '.join(words)}")
    if merchant:
        named += [f"m:{word}" for word in merchant.split()]
        named.append(f"M:{merchant}")
    if example.pluggy_category_id:
        named += [f"c:{example.pluggy_category_id}", f"p:{example.pluggy_category_id[:2]}"]
    named.append(f"t:{example.type}")
    named.append(f"a:{example.type}:{int(math.log10(max(example.amount_cents, 1)))}")
    return named


_HASHER = HashingVectorizer(
    n_features=FEATURES, analyzer=features, alternate_sign=False, norm="l2", dtype=np.float64
)


@dataclass(frozen=True)
class Model:
    """The weights of the features seen in training (`columns` of the hashed space), per class."""

    classes: tuple[str, ...]
    columns: npt.NDArray[np.int32]
    weights: npt.NDArray[np.float32]
    intercepts: npt.NDArray[np.float32]

    def guess(self, examples: Sequence[Example]) -> list[Guess]:
        """The most likely category of each transaction and the model's confidence in it."""
        if not examples:
            return []
        hashed = _HASHER.transform(examples)[:, self.columns]
        scores = np.asarray(hashed @ self.weights.T.astype(np.float64)) + self.intercepts
        if len(self.classes) == 2:
            # A binary logistic regression keeps one row of weights: the second class's.
            second = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            probabilities: Floats = np.column_stack([1.0 - second, second])
        else:
            shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
            probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        best = probabilities.argmax(axis=1)
        return [
            Guess(self.classes[int(index)], float(probabilities[row, index]))
            for row, index in enumerate(best)
        ]

    def to_bytes(self) -> bytes:
        """The model as numpy's archive of plain arrays (no pickled objects)."""
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            classes=np.array(self.classes, dtype=np.str_),
            columns=self.columns,
            weights=self.weights,
            intercepts=self.intercepts,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Model:
        """A model `to_bytes` wrote; pickled objects are refused, so reading runs no code."""
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return cls(
                classes=tuple(str(name) for name in arrays["classes"]),
                columns=arrays["columns"].astype(np.int32),
                weights=arrays["weights"].astype(np.float32),
                intercepts=arrays["intercepts"].astype(np.float32),
            )


def train(
    examples: Sequence[Example],
    min_corrections: int = MIN_CORRECTIONS,
    min_categories: int = MIN_CATEGORIES,
) -> Model | None:
    """A model of the categories people chose in `examples`; None when too few to guess from
    (fewer than `min_corrections`, or than `min_categories` categories among them)."""
    labelled = [example for example in examples if example.category_id]
    labels = [example.category_id or "" for example in labelled]
    if len(labels) < min_corrections or len(Counter(labels)) < min_categories:
        return None
    hashed = _HASHER.transform(labelled).tocsc()
    # Fitted on the features seen only (a feature never seen would weigh nothing anyway).
    columns = np.flatnonzero(hashed.getnnz(axis=0)).astype(np.int32)
    regression = LogisticRegression(C=STRENGTH, max_iter=1000)
    with warnings.catch_warnings():
        # Few corrections over many categories are normal here, not a regression problem.
        warnings.simplefilter("ignore", UserWarning)
        regression.fit(hashed[:, columns].tocsr(), labels)
    return Model(
        classes=tuple(str(name) for name in regression.classes_),
        columns=columns,
        weights=np.asarray(regression.coef_, dtype=np.float32),
        intercepts=np.asarray(regression.intercept_, dtype=np.float32),
    )
