"""Number formatting for narrative and tables: one way to write money, shares and counts."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

#: Currencies written with a symbol; every other currency is written with its ISO code
#: and a space (``CHF 1,200``, ``SEK 350 k``).
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
#: How a currency is named in a sentence; others are named by their ISO code.
NAMES = {"EUR": "euros", "USD": "US dollars", "GBP": "pounds sterling", "CHF": "Swiss francs",
         "JPY": "yen", "SEK": "Swedish kronor", "NOK": "Norwegian kroner",
         "DKK": "Danish kroner", "PLN": "złoty", "CZK": "Czech koruna"}  # fmt: skip

#: The currency money is written in when none is named. Process state on purpose: opening
#: an engagement sets it (:func:`kamlib.open_engagement`, and the plan book), so a table,
#: chart or sentence that is not handed the currency never falls back to another one.
_currency = "EUR"


def use_currency(code: str) -> None:
    """Make ``code`` the currency that money is written in when none is named (set when
    an engagement is opened)."""
    global _currency
    _currency = str(code).upper()


def currency() -> str:
    """The engagement's currency (see :func:`use_currency`); EUR until one is set."""
    return _currency


def symbol(code: str | None = None) -> str:
    """How amounts in ``code`` are prefixed: ``€``, ``$``, or the ISO code and a space.

    Examples
    --------
    >>> symbol("USD"), symbol("CHF")
    ('$', 'CHF ')
    """
    code = (code or _currency).upper()
    return SYMBOLS.get(code, f"{code} ")


def currency_name(code: str | None = None) -> str:
    """The currency in words: ``euros``, ``US dollars``, or its ISO code."""
    code = (code or _currency).upper()
    return NAMES.get(code, code)


def excel_money_format(code: str | None = None, decimals: int = 0) -> str:
    """An Excel number format writing amounts in ``code``: ``"$"#,##0`` / ``"CHF "#,##0``.

    Examples
    --------
    >>> excel_money_format("USD")
    '"$"#,##0;-"$"#,##0'
    """
    body = "#,##0" + ("." + "0" * decimals if decimals else "")
    s = symbol(code)
    return f'"{s}"{body};-"{s}"{body}'


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def money(
    x: float | None, currency: str | None = None, short: bool = True, scale: str | None = None
) -> str:
    """Money as a reader wants it: ``€1.2 M``, ``€350 k``, ``€7.8 k``, ``€850``, or in
    full ``€1,234,567``. Short amounts from a thousand up are in k (one decimal below
    ten thousand), so that a sentence never mixes ``€32 k`` with ``€3,161``. ``scale``
    (from :func:`money_scale`) puts every amount of a column in one unit.

    Examples
    --------
    >>> money(1_234_567, "EUR")
    '€1.2 M'
    >>> money(-350_400, "EUR")
    '−€350 k'
    >>> money(7_810, "EUR"), money(850, "EUR")
    ('€7.8 k', '€850')
    >>> money(1234.6, "EUR", short=False)
    '€1,235'
    >>> money(5_000, "CHF")
    'CHF 5.0 k'
    >>> money(751_000, "EUR", scale="M"), money(46_000, "EUR", scale="M")
    ('€0.8 M', '€0.05 M')
    >>> money(2_180_000, "EUR", scale="k"), money(536, "EUR", scale="k")
    ('€2,180 k', '€0.5 k')
    """
    if x is None or _missing(x):
        return "n/a"
    sym = symbol(currency)
    sign = "−" if x < 0 else ""
    a = abs(x)
    if scale is not None and a > 0:
        if scale == "M":  # two decimals below a tenth of a million, so no "€0.0 M"
            return f"{sign}{sym}{a / 1e6:,.{2 if a < 99_500 else 1}f} M"
        if scale == "k":  # a decimal below ten thousand, as in a sentence: "€0.5 k", "€3.7 k"
            return f"{sign}{sym}{a / 1e3:,.{1 if a < 9_950 else 0}f} k"
        return f"{sign}{sym}{a:,.0f}"
    if short and a >= 999_500:
        return f"{sign}{sym}{a / 1e6:,.1f} M"
    if short and a >= 9_950:
        return f"{sign}{sym}{a / 1e3:,.0f} k"
    if short and a >= 999.5:
        return f"{sign}{sym}{a / 1e3:,.1f} k"
    return f"{sign}{sym}{a:,.0f}"


def rounded(x: float) -> float:
    """An amount rounded as :func:`money` shows it short, so that figures a sentence adds
    or subtracts add up as printed (``€2.8 M + €1.5 M`` makes ``€4.3 M``, not the
    ``€4.4 M`` of the unrounded sum).

    Examples
    --------
    >>> rounded(2_840_000), rounded(1_540_000), rounded(-48_700), rounded(7_849), rounded(612.4)
    (2800000.0, 1500000.0, -49000.0, 7800.0, 612.0)
    """
    if _missing(x):
        return x
    a = abs(x)
    unit = 1e5 if a >= 999_500 else 1e3 if a >= 9_950 else 100.0 if a >= 999.5 else 1.0
    return math.copysign(round(a / unit) * unit, x)


def shares(values: Iterable[float | None], digits: int = 1) -> list[str]:
    """Parts of a whole as percentages that add up to 100 % as printed: rounded down,
    then the largest remainders rounded up (a table never totals 100.1 %).

    Examples
    --------
    >>> shares([0.1733, 0.1037, 0.1306, 0.5924])
    ['17.3 %', '10.4 %', '13.1 %', '59.2 %']
    >>> shares([1 / 3, 1 / 3, 1 / 3], 0), shares([0.5, None])
    (['34 %', '33 %', '33 %'], ['50.0 %', 'n/a'])
    """
    vals = [None if v is None or _missing(v) else float(v) for v in values]
    known = [v for v in vals if v is not None]
    unit = 10.0**digits * 100
    if not known or abs(sum(known) - 1) > 0.5 / unit * len(known):  # not a whole: as is
        return [pct(v, digits) for v in vals]
    raw = [v * unit for v in known]
    base = [math.floor(x + 1e-9) for x in raw]
    short = round(unit) - sum(base)
    for i in sorted(range(len(raw)), key=lambda i: (base[i] - raw[i], i))[: max(short, 0)]:
        base[i] += 1
    it = iter(base)
    return ["n/a" if v is None else pct(next(it) / unit, digits) for v in vals]


def money_scale(values: Iterable[float | None]) -> str:
    """The one unit a column of short amounts is shown in, from its largest: ``""``
    (whole currency units, all below a thousand), ``"k"`` (all below a million) or ``"M"``.

    Examples
    --------
    >>> money_scale([536, 3_200]), money_scale([751_000, 2_180_000]), money_scale([93e6, 5e3])
    ('k', 'M', 'M')
    """
    known = [abs(float(v)) for v in values if v is not None and not _missing(v)]
    top = max(known, default=0.0)
    if top < 999.5:
        return ""
    return "k" if top < 999_500 else "M"


def pct(x: float | None, digits: int = 0, signed: bool = False) -> str:
    """A share as a percentage: ``0.734 -> '73 %'``; ``signed`` adds + for growth.

    Examples
    --------
    >>> pct(0.734)
    '73 %'
    >>> pct(0.051, 1, signed=True)
    '+5.1 %'
    >>> pct(0.0033)
    '0.3 %'
    """
    if x is None or _missing(x):
        return "n/a"
    if digits == 0 and 0 < abs(x) < 0.01:
        digits = 1  # 0.3 % is not 0 %
    text = f"{x * 100:{'+' if signed else ''}.{digits}f} %"
    return text.replace("-", "−")


def count(x: float | None) -> str:
    """A whole number with thousands separators: ``1500 -> '1,500'``."""
    return "n/a" if _missing(x) else f"{x:,.0f}".replace("-", "−")


def signed(x: float | None, digits: int = 0) -> str:
    """A change with its sign and a true minus: ``signed(-40) -> '−40'``,
    ``signed(2.5, 1) -> '+2.5'``."""
    if _missing(x):
        return "n/a"
    text = f"{x:+,.{digits}f}".replace("-", "−")
    return text[1:] if text[1:].strip("0.,") == "" else text  # no change: "0", not "+0"


def day(x: object) -> str:
    """A date as tables and charts print it: ``day('2025-10-01') -> '1 Oct 2025'``; empty
    when missing."""
    return "" if _no_date(x) else pd.Timestamp(x).strftime("%-d %b %Y")


def day_long(x: object) -> str:
    """A date as a sentence writes it: ``day_long('2025-10-01') -> '1 October 2025'``."""
    return "" if _no_date(x) else pd.Timestamp(x).strftime("%-d %B %Y")


def _no_date(x: object) -> bool:
    return x is None or bool(pd.isna(x))


def plural(n: int, word: str, words: str | None = None) -> str:
    """``plural(1, 'account') -> '1 account'``; ``plural(3, 'account') -> '3 accounts'``."""
    return f"{count(n)} {word if n == 1 else (words or word + 's')}"


def names_where(mask: pd.DataFrame, sep: str = ", ") -> list[str]:
    """Per row, the names of the columns where ``mask`` is true, in column order, joined
    ("" for none): a column at a time, not a row at a time.

    Examples
    --------
    >>> names_where(pd.DataFrame({"nps": [True, False], "risks": [True, False]}))
    ['nps, risks', '']
    """
    out = np.full(len(mask), "", dtype=object)
    for name in mask.columns:
        hit = mask[name].to_numpy(dtype=bool, na_value=False)
        lead = np.where(out[hit] == "", "", sep).astype(object)
        out[hit] = out[hit] + lead + str(name)
    return out.tolist()


def md_text(value: object) -> str:
    r"""A value from the client's data, safe inside Markdown: no character of it is read
    as emphasis, a link, HTML or maths.

    Examples
    --------
    >>> md_text("A*B_C <b> $5")
    'A\\*B\\_C &lt;b&gt; \\$5'
    """
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]{}#|$~])", r"\\\1", text)


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


#: Invisible characters that change the direction of the text after them: embeddings,
#: overrides, isolates, marks. One left open in a name (an unclosed right-to-left
#: override) would reverse whatever is printed next to it, e.g. the account id.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def has_bidi_controls(text: object) -> bool:
    return isinstance(text, str) and bool(_BIDI.search(text))


def isolate(text: str) -> str:
    """A text holding direction controls, isolated (U+2068 … U+2069) so that whatever
    they open ends with it; other texts unchanged.

    Examples
    --------
    >>> isolate("\u202eAG") == "\u2068\u202eAG\u2069"
    True
    >>> isolate("Nord AG")
    'Nord AG'
    """
    return f"\u2068{text}\u2069" if has_bidi_controls(text) else text


def unbreakable_tail(name: str) -> str:
    """A company name whose legal form never breaks across lines: the short words at its
    end joined to the word before by no-break spaces, no break after a slash ("A/S").

    Examples
    --------
    >>> unbreakable_tail("Wendel Maschinenbau A/S") == "Wendel Maschinenbau\u00a0A/\u2060S"
    True
    >>> unbreakable_tail("Tiber Hospitality Sp. z o.o.").count("\u00a0")
    3
    """
    words = name.split(" ")
    tail = 1
    while tail < len(words) - 1 and len(words[-tail - 1]) <= 5:
        tail += 1
    if len(words) > 1 and len(words[-1]) <= 5:
        words = [*words[: -tail - 1], "\u00a0".join(words[-tail - 1 :])]
    return " ".join(words).replace("/", "/\u2060")


def shorten(text: object, limit: int = 120) -> str:
    """A text fit for a title, running head or table cell: cut to ``limit`` characters
    with an ellipsis, and a word too long for a line (over 40 characters) given places
    to wrap (zero-width spaces). The workbooks keep the whole text.

    Examples
    --------
    >>> shorten("x" * 200, 10)
    'xxxxxxxxx…'
    >>> shorten("Nord AG")
    'Nord AG'
    >>> shorten("N" + "x" * 59).count("\u200b")
    2
    """
    text = str(text)
    if len(text) > limit:
        cut = text[: limit - 1].rstrip()
        if has_bidi_controls(text):  # the isolate's end must survive the cut
            cut = isolate(cut.lstrip("\u2068"))
        text = cut + "…"
    if len(text) > 40:
        text = re.sub(r"\S{41,}", lambda m: "\u200b".join(_chunks(m[0], 20)), text)
    return text


def _chunks(word: str, n: int) -> list[str]:
    return [word[i : i + n] for i in range(0, len(word), n)]
