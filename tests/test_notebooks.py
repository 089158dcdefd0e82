"""Notebooks are narrative: parameters papermill can read, no logic, stored without outputs."""

from __future__ import annotations

import ast

import nbformat
import papermill as pm
import pytest

from kamlib.core.errors import ParameterError
from kamlib.core.paths import NOTEBOOKS
from kamlib.run.runner import available_steps, check_parameters, select_steps, step_parameters

NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_parameters_cell_is_readable_by_papermill(path):
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "exactly one cell tagged 'parameters'"
    assigned = [n.targets[0].id for n in ast.parse(cells[0].source).body]
    declared = list(pm.inspect_notebook(str(path)))
    assert declared == assigned  # papermill drops lines it cannot parse (e.g. '=' in a comment)
    assert "engagement" in declared
    for line in cells[0].source.splitlines():
        assert "  # " in line, f"parameter without a comment: {line}"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_stored_without_outputs_and_without_logic(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not cell.outputs and cell.execution_count is None
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(node, ast.FunctionDef | ast.ClassDef | ast.For | ast.While), (
                f"{path.name}: logic belongs in kamlib, not in a notebook cell"
            )


def test_unknown_parameter_is_an_error_with_did_you_mean():
    nb = NOTEBOOKS / "00_data_review.ipynb"
    check_parameters(nb, {"engagement": "x", "output_dir": ""})
    with pytest.raises(
        ParameterError, match="has no parameter 'enagement'. Did you mean 'engagement'?"
    ):
        check_parameters(nb, {"enagement": "x"})


def test_step_parameters_go_where_declared_typed_like_the_defaults():
    steps = select_steps(["data_review", "account_plans", "kpi_review"])
    got = step_parameters(steps, {"periods": "4", "period": "month", "as_of": "2026-06-30"})
    assert got["kpi_review"] == {"periods": 4, "period": "month", "as_of": "2026-06-30"}
    assert got["data_review"] == {"as_of": "2026-06-30"}
    assert got["account_plans"] == {"as_of": "2026-06-30"}
    with pytest.raises(ParameterError, match="'periods' must be a whole number, not '4.5'"):
        step_parameters(steps, {"periods": "4.5"})
    with pytest.raises(ParameterError, match="take their accounts from --accounts"):
        step_parameters(steps, {"account": "C-1"})
    with pytest.raises(ParameterError, match="05_kpi_review.ipynb has no parameter 'account'"):
        step_parameters(select_steps(["kpi_review"]), {"account": "C-1"})


def test_steps_selection():
    assert [s.name for s in available_steps()][0] == "data_review"
    with pytest.raises(
        ParameterError, match="Unknown step 'data_reveiw'. Did you mean 'data_review'?"
    ):
        select_steps(["data_reveiw"])


def test_command_line_values_take_the_type_of_the_default():
    from kamlib.run.runner import _typed

    assert _typed("periods", "4", 0) == 4 and _typed("share", "1.5", 0.0) == 1.5
    assert _typed("pdf", "no", True) is False and _typed("period", "month", "") == "month"
    assert _typed("horizons", "[12, 24]", [12]) == [12, 24]
    for value, default, says in (
        ("abc", [12], "must be a list"),
        ("maybe", True, "must be true or false"),
        ("4.5", 0, "must be a whole number, not '4.5'"),
    ):
        with pytest.raises(ParameterError, match=says):
            _typed("x", value, default)
