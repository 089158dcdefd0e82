"""The method computes, the report words: every note the method can emit has one
wording, every wording is used, and no sentence is left in ``kamlib/method``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest

import kamlib
from kamlib.core.evidence import Comparison
from kamlib.core.notes import Note, note
from kamlib.method.kpi_review import SCORECARD
from kamlib.report import words

METHOD = Path(kamlib.__file__).parent / "method"
CODE = re.compile(r"^(seg|sm|pf|kr|plan|gap|risk|how|warn)\.[a-z_.]+$")


def _strings(path: Path):
    """(line, text) of every string a module's code holds: docstrings, error messages
    and type expressions left out; an f-string counts by its literal parts."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant):
                skip.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Raise):
            skip.update(id(n) for n in ast.walk(node))  # an error message is text by nature
        if isinstance(node, ast.JoinedStr):
            skip.update(id(n) for n in ast.walk(node) if n is not node)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
            yield node.lineno, " ".join(str(p) for p in parts)


def _is_expression(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return True


def test_the_method_holds_no_sentence():
    found = []
    for path in sorted(METHOD.glob("*.py")):
        for line, text in _strings(path):
            wordy = [w for w in text.split() if re.search(r"[A-Za-z]{2,}", w)]
            if len(wordy) >= 4 and not _is_expression(text):
                found.append(f"{path.name}:{line}: {text[:70]!r}")
    assert not found, "word these in kamlib/report/words.py, return a Note:\n" + "\n".join(found)


def _method_codes() -> set[str]:
    return {text for path in METHOD.glob("*.py") for _, text in _strings(path) if CODE.match(text)}


def test_every_note_the_method_emits_is_worded_and_every_wording_is_used():
    emitted = _method_codes()
    assert len(emitted) > 60  # the scan sees the codes (it would pass on nothing)
    assert emitted - words.codes() == set()
    assert words.codes() - emitted == set()


def test_a_code_is_worded_once():
    with pytest.raises(ValueError, match="worded twice"):
        words.words("seg.no_cost")(lambda: "again")


def test_say_words_notes_and_passes_text_through():
    assert words.say(None) == "" and words.say(float("nan")) == ""
    assert words.say("as is") == "as is"
    assert words.say(note("seg.groups", entities=1200, units=310)) == (
        "Accounts are scored as groups: 1,200 entities roll up into 310 groups and single accounts."
    )
    assert words.joined([note("gap.no_supporter"), note("gap.detractors", count=2)]) == (
        "no supporter; 2 influential detractors"
    )
    assert words.joined(None) == ""


def test_an_override_that_changes_nothing_says_the_class_stays():
    move = {"before": "Core", "after": "Core", "reason": "kept for now", "by": "AB"}
    assert words.say(Note("seg.override", move)) == "stays Core. Kept for now (decided by AB)"
    moved = {**move, "after": "Tier 2"}
    assert words.say(Note("seg.override", moved)) == "Core → Tier 2. Kept for now (decided by AB)"
    assert words.say(Note("seg.reason.override", moved)) == "Override by AB: kept for now"


def test_a_reason_states_the_percentiles_it_rests_on():
    key = note("seg.reason.key", tier="Tier 1", score=71.6, revenue_pct=0.987,
               potential_pct=float("nan"))  # fmt: skip
    assert words.say(key) == "Tier 1: top 1 % by revenue; compatibility 72 of 100"
    low = note("seg.reason.low_score", score=38.2, min_score=40.0, revenue_pct=0.9,
               potential_pct=0.55)  # fmt: skip
    assert words.say(low) == (
        "Candidate, but compatibility 38 is below 40; top 10 % by revenue, top 45 % by potential"
    )


def test_the_comparison_says_which_window_is_short():
    end, first = pd.Timestamp("2026-09-30"), pd.Timestamp("2026-01-01")
    assert words.comparison_reason(Comparison(end, 12, 12, 12, first)) == ""
    assert words.comparison_reason(Comparison(end, 12, 9, 0, first)) == (
        "the revenue data starts in January 2026, so the 12 months before the last 12 hold "
        "none; the revenue data covers only 9 of the last 12 months"
    )
    assert words.comparison_reason(Comparison(end, 12, 0, 0, None)) == "there is no revenue data"


def test_kpi_notes_name_the_kpis_as_the_review_does():
    n = note("kr.not_measured", kpis=["csat", "nps"])
    assert words.say(n) == ("Not measured, so not on the scorecard: CSAT, NPS.")
    assert set(words.KPI_LABELS) == {c for c, _, _ in SCORECARD}
