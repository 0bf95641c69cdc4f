"""Brazilian tax numbers with valid check digits, made up from a number (never real people's)."""

from __future__ import annotations


def _check_digit(digits: list[int], weights: list[int]) -> int:
    remainder = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if remainder < 2 else 11 - remainder


def cpf(seed: int) -> str:
    """A formatted CPF (`123.456.789-09`) whose first nine digits come from `seed`."""
    digits = [int(char) for char in f"{seed % 1_000_000_000:09d}"]
    digits.append(_check_digit(digits, list(range(10, 1, -1))))
    digits.append(_check_digit(digits, list(range(11, 1, -1))))
    text = "".join(map(str, digits))
    return f"{text[:3]}.{text[3:6]}.{text[6:9]}-{text[9:]}"


def cnpj(seed: int) -> str:
    """A formatted CNPJ (`12.345.678/0001-95`) of a head office whose root comes from `seed`."""
    digits = [int(char) for char in f"{seed % 100_000_000:08d}0001"]
    digits.append(_check_digit(digits, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]))
    digits.append(_check_digit(digits, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]))
    text = "".join(map(str, digits))
    return f"{text[:2]}.{text[2:5]}.{text[5:8]}/{text[8:12]}-{text[12:]}"
