"""Number formatting for narrative and tables: one way to write money, shares and counts."""

from __future__ import annotations

import math
from collections.abc import Iterable

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF ", "SEK": "SEK ", "PLN": "PLN "}


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def money(x: float | None, currency: str = "EUR", short: bool = True) -> str:
    """Money as a reader wants it: ``€1.2 M``, ``€350 k``, or in full ``€1,234,567``.

    Examples
    --------
    >>> money(1_234_567)
    '€1.2 M'
    >>> money(-350_400)
    '−€350 k'
    >>> money(1234.6, short=False)
    '€1,235'
    """
    if _missing(x):
        return "n/a"
    sym = SYMBOLS.get(currency, f"{currency} ")
    sign = "−" if x < 0 else ""
    a = abs(x)
    if short and a >= 999_500:
        return f"{sign}{sym}{a / 1e6:,.1f} M"
    if short and a >= 10_000:
        return f"{sign}{sym}{a / 1e3:,.0f} k"
    return f"{sign}{sym}{a:,.0f}"


def pct(x: float | None, digits: int = 0, signed: bool = False) -> str:
    """A share as a percentage: ``0.734 -> '73 %'``; ``signed`` adds + for growth.

    Examples
    --------
    >>> pct(0.734)
    '73 %'
    >>> pct(0.051, 1, signed=True)
    '+5.1 %'
    """
    if _missing(x):
        return "n/a"
    text = f"{x * 100:{'+' if signed else ''}.{digits}f} %"
    return text.replace("-", "−")


def count(x: float | None) -> str:
    """A whole number with thousands separators: ``1500 -> '1,500'``."""
    return "n/a" if _missing(x) else f"{x:,.0f}"


def plural(n: int, word: str, words: str | None = None) -> str:
    """``plural(1, 'account') -> '1 account'``; ``plural(3, 'account') -> '3 accounts'``."""
    return f"{count(n)} {word if n == 1 else (words or word + 's')}"


def did_you_mean(word: str, options: Iterable[object], n: int = 1) -> str:
    """`` Did you mean 'x'?`` naming up to ``n`` close matches of ``word``; empty without.

    Examples
    --------
    >>> did_you_mean("segmentaton", ["segmentation", "service_model"])
    " Did you mean 'segmentation'?"
    >>> did_you_mean("C-1001", ["C-10011", "C-10911", "X"], n=3)
    " Did you mean 'C-10011', 'C-10911'?"
    >>> did_you_mean("zzz", ["abc"])
    ''
    """
    import difflib

    near = difflib.get_close_matches(word, [str(o) for o in options], n=n)
    return f" Did you mean {', '.join(repr(m) for m in near)}?" if near else ""
