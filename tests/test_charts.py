"""Every chart draws from a small computed frame and keeps the house style."""

from __future__ import annotations

import re

import pandas as pd

from kamlib.method import segmentation as sg
from kamlib.report import charts, svg


def test_charts_build_from_small_frames():
    charts.use_house_style("#123456")
    assert charts.palette(2) == ["#123456", charts.OKABE_ITO[1]]  # Okabe-Ito's blue comes last
    assert charts.palette()[-1] == charts.OKABE_ITO[0]
    screen = pd.DataFrame({"revenue": [50.0, 30, 10, 5, 5], "gross_profit": [10.0, 9, 4, 2, -1]})
    fig = charts.pareto_curve(sg.pareto(screen), sg.pareto(screen, "gross_profit"), 0.4)
    assert fig.axes[0].get_title(loc="left") == "40 % of customers make 80 % of revenue"
    sens = sg.threshold_sensitivity(screen, shares=(0.2, 0.4, 0.6, 1.0))
    assert len(charts.sensitivity_curves(sens, 2).axes) == 2
    table = pd.DataFrame(
        {
            "fit": [10.0, 60, 90],
            "attractiveness": [20.0, 50, 100],
            "revenue": [1.0, 5, 9],
            "segment": ["Tier 1 · price-driven"] * 3,
            "account_name": ["A", "B", "C"],
        }
    )
    fig = charts.portfolio_matrix(table, label=2)
    assert "Largest accounts\n1  C\n2  B" in [t.get_text() for t in fig.texts]
    segs = pd.DataFrame(
        {"segment": ["Tier 1", "Core"], "accounts": [2, 8], "share of revenue": [0.7, 0.3]}
    )
    assert len(charts.class_counts(segs).axes) == 2
    monthly = pd.DataFrame(
        {
            "month": pd.date_range("2026-01-01", periods=3, freq="MS"),
            "revenue": [1.0, 2, 3],
            "accounts": [1, 2, 2],
        }
    )
    assert charts.monthly_revenue(monthly).axes[0].get_title(loc="left").startswith("Revenue")


def test_the_brand_colour_lives_in_the_chart_style_not_in_a_module_variable():
    import matplotlib.pyplot as plt

    from kamlib.report import charts

    try:
        charts.use_house_style("#aa0000")
        assert charts.palette(3) == ["#AA0000", "#E69F00", "#009E73"]
        charts.use_house_style("#0072B2")  # a brand colour that is in the palette: once
        assert charts.palette()[:2] == ["#0072B2", "#E69F00"]
        plt.rcdefaults()  # matplotlib's own style: the default brand colour
        assert charts.palette(1) == [charts.DEFAULT_PRIMARY]
    finally:
        charts.use_house_style()


def test_percent_ticks_differ_and_use_the_report_style():
    from kamlib.report.charts import Percent

    f = Percent()
    f.set_locs([0.96, 0.97, 0.98, 0.99, 1.0])
    assert [f(v) for v in (0.97, 1.0)] == ["97 %", "100 %"]
    f.set_locs([0.980, 0.985, 0.990, 0.995])  # half-point steps need a decimal
    assert [f(v) for v in (0.985, 0.99)] == ["98.5 %", "99.0 %"]
    f.set_locs([0.925, 0.95, 0.975, 1.0])  # 2.5-point steps: 92.5 %, never "92 %, 95 %, 98 %"
    assert [f(v) for v in (0.925, 0.95)] == ["92.5 %", "95.0 %"]
    f.set_locs([-0.1, 0.0, 0.1])
    assert [f(v) for v in (-0.1, 0.0)] == ["−10 %", "0 %"]


def test_money_ticks_share_one_unit():
    from kamlib.report.charts import Money

    f = Money("EUR")
    f.set_locs([0, 500_000, 1_000_000, 1_500_000])
    assert [f(v) for v in (0, 500_000, 1_500_000)] == ["€0", "€0.5 M", "€1.5 M"]
    f.set_locs([0, 20_000, 40_000])
    assert [f(v) for v in (20_000, -40_000)] == ["€20 k", "−€40 k"]
    f.set_locs([0, 200, 400])
    assert f(400) == "€400"


def test_kpi_trends_put_the_target_band_and_the_programme_start_in_the_legend():
    ends = pd.to_datetime(["2025-06-30", "2025-09-30", "2025-12-31", "2026-03-31"])
    table = pd.DataFrame(
        {
            "period_end": list(ends) * 2,
            "group": ["key accounts"] * 4 + ["other accounts"] * 4,
            "nrr": [0.98, 0.99, 1.02, 1.05, 0.95, 0.94, 0.95, 0.96],
        }
    )
    card = pd.DataFrame({"column": ["nrr"], "target": [1.03]})
    fig = charts.kpi_trends(table, card, "2025-10-01")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["key accounts", "other accounts", "key-account target and above",
                      "programme start (1 Oct 2025)"]  # fmt: skip
    # a start outside the periods shown draws no line and names none
    fig = charts.kpi_trends(table, card, "2027-01-01")
    assert not any("programme" in t.get_text() for t in fig.legends[0].get_texts())


def test_health_charts_say_their_finding_and_name_every_colour():
    health = pd.DataFrame({"health": [30.0, 55.0, 80.0, 90.0],
                           "revenue": [100_000.0, 50_000.0, 200_000.0, 300_000.0]})  # fmt: skip
    fig = charts.health_vs_revenue(health, "EUR", watch=70, risk=40)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "€100 k of revenue with key accounts at risk, €50 k on watch"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "at risk (below 40)", "on watch (40 to under 70)", "healthy (70 and over)"]  # fmt: skip
    fig = charts.health_distribution(health, watch=70, risk=40)
    assert fig.axes[0].get_title(loc="left") == "2 of 4 key accounts are healthy, 1 at risk"


def test_the_waterfall_labels_every_step_in_one_unit():
    from kamlib.report.charts import waterfall_chart

    w = pd.DataFrame({"step": ["net revenue", "cost of goods", "gross profit", "cost-to-serve",
                               "net contribution"],
                      "amount": [3.4e6, -1.2e6, 2.2e6, -2.07e6, 0.127e6],
                      "level": [3.4e6, 2.2e6, 2.2e6, 0.127e6, 0.127e6],
                      "kind": ["total", "step", "total", "step", "total"]})  # fmt: skip
    fig = waterfall_chart(w, "EUR")
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels == ["€3.4 M", "−€1.2 M", "€2.2 M", "−€2.1 M", "€0.1 M"]  # not "€127 k"


def test_a_heatmap_whose_columns_rest_on_one_count_says_it_once_per_column():
    from kamlib.report import charts

    m = pd.DataFrame({"A": [4.0, 2.0], "B": [3.0, 1.5]}, index=["x", "y"])
    n = pd.DataFrame({"A": [9, 9], "B": [2, 2]}, index=m.index)
    fig = charts.importance_heatmap(m, n, 3, "t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A\n(n=9)", "B\n(n=2)"]
    cells = [t.get_text() for t in ax.texts]
    # A's cells carry their value alone; B's, too few, say so in the cell
    assert "4.0" in cells and not any(c.startswith("n=9") for c in cells)
    assert cells.count("n=2 (too few)") == 2


def test_a_crowded_stakeholder_map_keeps_every_name_clear_and_every_point_in_its_band():
    from kamlib.report import plan_charts

    c = pd.DataFrame({
        "name": ["Francesca Peeters", "Tomáš Becker", "Tomáš López", "Tomáš Martin",
                 "Julia Johansson", "Markus Fischer", "Ana Berg"],
        "role": ["CFO", "CIO", "Head of IT", "Procurement", "COO", "Facility Manager", "Engineer"],
        "attitude": ["neutral"] * 4 + ["supporter", "supporter", "neutral"],
        "influence": [4, 3, 4, 4, 3, 4, 4],
        "senior": [True, True, False, False, True, False, False],
        "days": [10, 200, 30, 100, 40, 50, 20],
    })  # fmt: skip
    chart = plan_charts.stakeholder_map(c)
    boxes = [t["box"] for t in chart.texts]
    assert len(boxes) == len(c)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    # four neutral contacts at influence 4 stay inside the neutral column (0.5 to 1.5)
    xs = [p["x"] for p in chart.points]
    assert sum(0.5 < x < 1.5 for x in xs) == 5
    # each name and role in the picture, as text; the legend says what size and ring mean
    svg = chart.svg()
    assert all(f">{n}</text>" in svg for n in c["name"]) and ">Procurement</text>" in svg
    assert "senior" in chart.legend and "larger: stronger relationship (1–5)" in chart.legend


def test_an_nps_bar_on_too_few_respondents_is_hatched_and_no_bar_runs_past_its_quarter():
    from kamlib.report import plan_charts

    nps = pd.DataFrame({"quarter": pd.to_datetime(["2026-06-30", "2026-09-30"]),
                        "respondents": [5, 1], "nps": [20.0, -100.0],
                        "csat": [4.0, 2.0]})  # fmt: skip
    chart = plan_charts.nps_history(nps, min_respondents=3)
    bars = chart.bars
    assert [b["hatch"] for b in bars] == [None, "///"]
    assert bars[1]["alpha"] == 0.35 and bars[0]["alpha"] is None
    # positive green, negative orange
    assert bars[0]["colour"] == "#009E73" and bars[1]["colour"] == "#D55E00"
    assert "fewer than 3 respondents: too few to count" in chart.legend
    # each label stacked on its own lines, narrow enough not to run into its neighbour's
    assert [t["text"] for t in chart.texts] == ["+20\nn=5\nCSAT 4.0", "−100\nn=1\nCSAT 2.0"]
    left, right = (t["box"] for t in chart.texts)
    assert not left.overlaps(right)
    # the September quarter's bar ends by 30 September, the data's date
    september = pd.Timestamp("2026-09-30").to_datetime64().astype("datetime64[D]")
    assert bars[1]["x1"] <= september.astype(float)
    # enough respondents everywhere: no hatching and no such legend entry
    full = plan_charts.nps_history(nps.assign(respondents=5), min_respondents=3)
    assert all(b["hatch"] is None for b in full.bars) and len(full.legend) == 2
    assert 'class="hatch"' in chart.svg() and 'class="hatch"' not in full.svg()


def test_a_hatch_is_drawn_as_lines_inside_its_bar_not_as_a_pattern():
    """A browser prints an SVG fill pattern as a picture (a blur when zoomed): the
    hatch is lines, each ending on the bar's edges, 6 points apart."""
    import re

    from kamlib.report.svg import Box, Chart

    chart = Chart(4, 2)
    chart.rect(Box(10.5, 20, 40, 95.25), "#D55E00", opacity=0.35, hatch="#FFFFFF")
    svg = chart.svg()
    assert "<pattern" not in svg and "url(#" not in svg
    hatch = re.search(r'<path class="hatch" d="([^"]*)"([^>]*)/>', svg)
    assert 'stroke="#FFFFFF"' in hatch.group(2) and 'stroke-opacity="0.35"' in hatch.group(2)
    lines = re.findall(r"M ([\d.]+) ([\d.]+) L ([\d.]+) ([\d.]+)", hatch.group(1))
    ends = [tuple(map(float, line)) for line in lines]
    assert len(ends) == 17  # u + v = 36, 42, ... 132 cross the 29.5 x 75.25 box
    for x0, y0, x1, y1 in ends:
        assert 10.5 <= min(x0, x1) and max(x0, x1) <= 40
        assert 20 <= min(y0, y1) and max(y0, y1) <= 95.25
        assert abs((x0 + y0) - (x1 + y1)) < 0.02 and round(x0 + y0, 1) % 6 == 0  # '///'


def test_the_nps_axis_fits_its_bars_and_labels_and_a_zero_quarter_is_marked():
    """Every label sits inside the plot, the ticks stop at NPS's own bounds (no
    unlabelled band of room for labels beyond +-100 when the data stays small), and a
    quarter at 0 shows a mark under its label rather than nothing."""
    from kamlib.report import plan_charts

    nps = pd.DataFrame({"quarter": pd.to_datetime(["2026-03-31", "2026-06-30", "2026-09-30"]),
                        "respondents": [5, 4, 6], "nps": [40.0, 0.0, -10.0],
                        "csat": [4.0, 3.5, 3.0]})  # fmt: skip
    chart = plan_charts.nps_history(nps)
    (ax,) = chart.axes
    lo, hi = ax.ylim
    assert -100 < lo < -10 and 40 < hi < 100  # fitted to the data, not +-200
    assert ax.yticks and all(lo <= t <= hi and -100 <= t <= 100 for t in ax.yticks)
    for t in chart.texts:  # the labels within the plot area
        b = t["box"]
        assert ax.box.y0 - 0.5 <= b.y0 and b.y1 <= ax.box.y1 + 0.5, t["text"]
    mark = 'stroke-width="2.5"'  # the zero quarter's mark on the zero line
    assert chart.svg().count(mark) == 1
    assert mark not in plan_charts.nps_history(nps.assign(nps=[40.0, 5.0, -10.0])).svg()
    extreme = plan_charts.nps_history(nps.assign(nps=[100.0, -100.0, 0.0]))
    lo, hi = extreme.axes[0].ylim
    assert lo < -100 and hi > 100
    assert extreme.axes[0].yticks == [-100.0, -50.0, 0.0, 50.0, 100.0]  # not only three


def test_a_loss_is_drawn_as_a_loss_in_the_waterfall():
    import matplotlib.colors as mc

    w = pd.DataFrame({"step": ["gross profit", "cost-to-serve", "net contribution"],
                      "amount": [100.0, -130.0, -30.0], "level": [100.0, -30.0, -30.0],
                      "kind": ["total", "step", "total"]})  # fmt: skip
    bars = charts.waterfall_chart(w).axes[0].patches
    assert mc.to_hex(bars[0].get_facecolor()) == charts.palette()[0].lower()
    assert mc.to_hex(bars[2].get_facecolor()) == "#d55e00"
    assert bars[2].get_height() == -30.0  # below the axis, not a positive bar


def test_an_accounts_trend_ends_with_its_last_month_of_data():
    from kamlib.report import plan_charts

    monthly = pd.DataFrame({"month": pd.date_range("2025-08-01", periods=14, freq="MS"),
                            "revenue": 10.0, "gross_profit": 4.0})  # fmt: skip
    chart = plan_charts.account_trend(monthly)
    ax = chart.axes[0]

    def day(d: str) -> float:
        return float(pd.Timestamp(d).to_datetime64().astype("datetime64[D]").astype(float))

    end = day("2026-10-01")  # the end of September, the last month
    assert ax.xlim[1] <= end
    assert len(chart.bars) == 14
    last = chart.bars[-1]
    assert last["x1"] <= end and last["x0"] >= day("2026-09-01")
    assert ax.ylim[0] == 0  # revenue from zero
    assert max(ax.xticks) <= end  # no "Oct" after the data
    assert chart.legend == ["Revenue", "Gross margin"]
    # the margin's axis on the right: 40 % is drawn, in the reports' style
    assert ">40 %</text>" in chart.svg() and ">€10</text>" in chart.svg()
    # amounts in a long currency code move the plot right: no label runs off the chart
    chf = plan_charts.account_trend(monthly.assign(revenue=2_500.0), "CHF")
    assert ">CHF 2.5 k</text>" in chf.svg() and chf.axes[0].box.x0 > ax.box.x0
    ends = re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="end"[^>]*>([^<]+)<', chf.svg())
    assert len(ends) == 6 and all(float(x) - svg.text_width(t, 11) >= 0 for x, t in ends)
    # no gross profit: revenue alone, no margin axis
    alone = plan_charts.account_trend(monthly.assign(gross_profit=float("nan")))
    assert alone.legend == ["Revenue"] and len(alone.axes) == 1


def test_every_money_tick_is_labelled_with_its_own_value():
    """An axis stepping by 2.5 k reads €2.5 k, €5.0 k, €7.5 k (not €2 k, €5 k, €8 k)."""
    import re

    from kamlib.report import plan_charts
    from kamlib.report.svg import money_label, nice_ticks

    for top in (11_800, 1_180_000, 950, 23_000, 480_000):
        ticks = nice_ticks(0, top, 151.2)
        for t in ticks:
            label = money_label(t, ticks, "EUR")
            number = float(re.sub(r"[^\d.]", "", label.replace(",", "")) or 0)
            unit = 1e6 if label.endswith("M") else 1e3 if label.endswith("k") else 1
            assert abs(number * unit - t) < 1e-6 * max(1, t), (top, t, label)
    months = pd.date_range("2025-01-01", periods=12, freq="MS")
    monthly = pd.DataFrame({"month": months, "revenue": [9_000.0, 11_800.0] * 6})
    svg = plan_charts.account_trend(monthly, "EUR").svg()
    assert ">€2.5 k<" in svg and ">€7.5 k<" in svg and ">€8 k<" not in svg
