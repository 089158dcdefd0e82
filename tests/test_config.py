"""The engagement config: defaults, validation, did-you-mean, the commented template."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from conftest import write_engagement
from kamlib.core.config import SCHEMA, load_config, render_config, validate_config
from kamlib.core.errors import ConfigError, ParameterError
from kamlib.core.paths import resolve_engagement


def test_defaults_come_from_the_method(tmp_path):
    cfg = load_config(write_engagement(tmp_path / "e"))
    assert cfg.client == "Testco Industries"
    assert cfg.as_of == dt.date(2026, 3, 31)
    assert cfg.method.segmentation.weights == {
        "finance": 0.5,
        "strategy": 0.25,
        "attitude": 0.25,
    }
    assert cfg.method.service_model.min_respondents == 3
    assert cfg.method.data_review.outlier_change == 0.8
    assert cfg.data == (tmp_path / "e" / "pack").resolve()
    assert cfg.name == "e"


def test_unknown_key_is_an_error_with_did_you_mean(tmp_path):
    folder = write_engagement(
        tmp_path / "e", extra="method:\n  segmentaton:\n    roll_up_groups: true\n"
    )
    with pytest.raises(ConfigError) as e:
        load_config(folder)
    assert "unknown setting 'method.segmentaton'. Did you mean 'segmentation'?" in str(e.value)


def test_every_problem_is_listed_at_once():
    with pytest.raises(ConfigError) as e:
        validate_config({"as_of": "30.09.2026", "brand": {"primary_colour": "blue", "paper": "A3"}})
    msg = str(e.value)
    assert "'client' is required" in msg
    assert "'as_of' must be a date written YYYY-MM-DD, got '30.09.2026'" in msg
    assert "'brand.primary_colour' must be a colour like #0B3D91, got 'blue'" in msg
    assert "'brand.paper' must be one of 'A4', 'Letter', got 'A3'" in msg
    assert "4 problem(s)" in msg


def test_shares_and_whole_numbers_are_checked():
    with pytest.raises(
        ConfigError, match="'method.data_review.outlier_change' must be a number between 0 and 1"
    ):
        validate_config(
            {
                "client": "x",
                "as_of": "2026-01-31",
                "method": {"data_review": {"outlier_change": 80}},
            }
        )
    with pytest.raises(ConfigError, match="'method.trailing_months' must be at least 1"):
        validate_config({"client": "x", "as_of": "2026-01-31", "method": {"trailing_months": 0}})


def test_overrides_replace_and_are_validated(tmp_path):
    folder = write_engagement(tmp_path / "e")
    assert load_config(folder, overrides={"as_of": "2025-12-31"}).as_of == dt.date(2025, 12, 31)
    with pytest.raises(ParameterError) as bad:  # blamed on the parameter, not the file
        load_config(folder, overrides={"as_of": "last month"})
    assert str(bad.value).startswith("parameter as_of=last month: 'as_of' must be a date")
    assert "the config file is not the problem" in str(bad.value)


def test_bad_yaml_names_the_line(tmp_path):
    folder = tmp_path / "e"
    folder.mkdir()
    (folder / "engagement.yml").write_text("client: x\nas_of: 2026-01-31\n  data: [\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d+"):
        load_config(folder)


@pytest.mark.parametrize(
    "line, tag",
    [
        ("client: !!python/object:os.system x", "!!python/object:os.system"),
        ("client: !local x", "!local"),
        ("as_of: !!timestamp nope", "!!timestamp"),  # PyYAML's own reader fails inside
    ],
)
def test_a_yaml_tag_is_refused_as_a_tag(tmp_path, line, tag):
    folder = tmp_path / "e"
    folder.mkdir()
    (folder / "engagement.yml").write_text(f"data: pack\n{line}\n")
    with pytest.raises(ConfigError) as refused:
        load_config(folder)
    assert f"line 2 holds a YAML tag ({tag}), which a config may not use" in str(refused.value)
    assert "indentation" not in str(refused.value)


def test_missing_engagement_names_where_it_looked(tmp_path):
    with pytest.raises(ConfigError, match="No engagement config found for") as e:
        resolve_engagement(tmp_path / "none")
    assert "kam init" in str(e.value)
    assert resolve_engagement("demo").parent.name == "demo"


def test_missing_logo_is_reported(tmp_path):
    folder = write_engagement(tmp_path / "e", extra="brand:\n  logo: logo.png\n")
    with pytest.raises(ConfigError, match="'brand.logo' file .* does not exist"):
        load_config(folder)


def test_commented_template_is_a_valid_config():
    text = render_config({"client": "Acme", "as_of": "2026-06-30"})
    assert "# Client name, as it appears on every page" in text
    values = validate_config(yaml.safe_load(text))
    assert values["client"] == "Acme"
    assert values["method"]["segmentation"]["accounts_per_manager"] == [5, 10]
    assert set(values) == set(SCHEMA)


def test_readme_config_example_is_valid():
    import re

    from kamlib.core.paths import ROOT

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", readme, re.S).group(1)
    values = validate_config(yaml.safe_load(block))
    assert values["method"]["service_model"]["include_at"] == {"loyalty": 3.5, "price": 4.0}
    assert values["method"]["segmentation"]["roll_up_groups"] is False


@pytest.mark.parametrize(
    "name", ["Acme #1 Ltd", "@home AG", "Yes", "O'Neil & Söhne: Nord", '"Quoted" Ltd', "- dash"]
)
def test_the_written_config_reads_back_the_clients_name_as_given(tmp_path, name):
    from kamlib.core.config import load_config, render_config

    (tmp_path / "engagement.yml").write_text(
        render_config({"client": name, "as_of": "2026-09-30", "data": "datapack.xlsx"}),
        encoding="utf-8",
    )
    assert load_config(tmp_path).client == name


def test_odd_client_names_are_whole_characters_and_isolated(tmp_path):
    folder = write_engagement(tmp_path / "e")
    cfg = folder / "engagement.yml"
    text = cfg.read_text()
    # an emoji written as YAML escapes of its two UTF-16 halves, and an unclosed override
    cfg.write_text(
        text.replace("client:", 'client: "Stern \\ud83d\\ude80 \\u202eAG"\nx_old_client:', 1)
    )
    cfg.write_text(
        "\n".join(ln for ln in cfg.read_text().splitlines() if not ln.startswith("x_old_client"))
    )
    assert load_config(folder).client == "\u2068Stern 🚀 \u202eAG\u2069"


def test_the_typed_settings_have_exactly_the_schemas_keys():
    """Every section of kamlib.core.settings matches its schema section key for key (a
    setting added to one and not the other fails here); a schema group is either a typed
    section or a map by nature (a dict field); and the demo's config loads typed."""
    import dataclasses
    import typing

    from kamlib.core import settings
    from kamlib.core.config import Setting

    def check(cls: type, schema: dict, where: str) -> None:
        hints = typing.get_type_hints(cls)
        assert set(hints) == set(schema), f"{where}: {sorted(set(hints) ^ set(schema))}"
        for name, node in schema.items():
            kind = hints[name]
            if dataclasses.is_dataclass(kind):
                assert isinstance(node, dict), f"{where}.{name} is one setting, not a section"
                check(kind, node, f"{where}.{name}")
            elif not isinstance(node, Setting):
                assert typing.get_origin(kind) is dict, f"{where}.{name} is a group"

    check(settings.Method, SCHEMA["method"], "method")
    check(settings.Brand, SCHEMA["brand"], "brand")
    cfg = load_config("demo")
    assert isinstance(cfg.method.segmentation.thresholds, settings.Thresholds)
    assert cfg.method.kpi_review.periods == 8 and cfg.method.health.watch_below == 70
    assert cfg.method.service_model.include_at == {"loyalty": 3.5, "price": 4.0}
    assert cfg.brand.paper == "A4"


def test_a_programme_runs_from_its_start_up_to_the_as_of_date():
    import dataclasses
    import datetime as dt

    from kamlib.core.config import load_config

    cfg = load_config("demo")
    assert cfg.running_since == dt.date(2025, 10, 1)  # the demo started a year before
    later = dataclasses.replace(
        cfg, method=dataclasses.replace(cfg.method, programme_start=dt.date(2027, 1, 1))
    )
    assert later.running_since is None
