"""The rules a report states are the rules the engagement's settings apply."""

from __future__ import annotations

import pytest

from conftest import write_engagement
from kamlib.core.config import load_config
from kamlib.report.rules import TOPICS, rules_text


def _config(tmp_path, method: str = ""):
    folder = write_engagement(tmp_path / "e")
    cfg = folder / "engagement.yml"
    if method:
        cfg.write_text(cfg.read_text() + f"method:\n{method}")
    return load_config(folder)


def test_the_defaults_read_as_the_method_states_them(tmp_path):
    cfg = _config(tmp_path)
    packages = rules_text(cfg, "packages")
    assert "every element they rate 3.5 or higher; elements they rate from 2.5" in packages
    assert "included from 4.0, charged from 3.0, not offered below" in packages
    assert "always get product development and innovation, information and advice and " \
        "marketing support" in packages  # fmt: skip
    assert "more than half of the gross profit" in rules_text(cfg, "package_cost")
    assert "**amber**: at least half of the targeted gain" in rules_text(cfg, "kpi_status")
    assert "from six components" in rules_text(cfg, "health")
    assert "more than 2 % of revenue is never healthy (at most 69)" in rules_text(cfg, "health")
    assert "20 % lower or higher" in rules_text(cfg, "cost_sensitivity")
    assert "gap of half a point" in rules_text(cfg, "gaps")


def test_a_changed_setting_changes_the_sentence(tmp_path):
    cfg = _config(
        tmp_path,
        "  service_model:\n"
        "    include_at: {loyalty: 3.0, price: 4.5}\n"
        "    charge_at: {loyalty: 2.0, price: 3.5}\n"
        "    loyalty_always: [training]\n"
        "    affordable_share: 0.6\n"
        "  kpi_review:\n    amber: 0.75\n"
        "  health:\n    weights: {revenue_trend: 0.5, margin_trend: 0.5, nps: 0, engagement: 0,"
        " risks: 0, profitability: 0}\n",
    )
    packages = rules_text(cfg, "packages")
    assert "always get training, and every element they rate 3.0 or higher" in packages
    assert "from 2.0 are offered at a charge" in packages
    assert "included from 4.5, charged from 3.5" in packages
    assert "more than 60 % of the gross profit" in rules_text(cfg, "package_cost")
    assert "at least three quarters of the targeted gain" in rules_text(cfg, "kpi_status")
    assert "from two components" in rules_text(cfg, "health")


def test_every_topic_is_text_and_an_unknown_one_is_refused(tmp_path):
    cfg = _config(tmp_path)
    assert all(rules_text(cfg, t).strip() for t in TOPICS)
    with pytest.raises(KeyError, match="no rules text 'colours'"):
        rules_text(cfg, "colours")
