"""The README stays true: every setting is in its configuration table, and the two set-up
commands it gives are the ones dev.py implements."""

from __future__ import annotations

from pathlib import Path

from campus.config import Settings
from campus.modules import load_modules

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_documented_in_the_configuration_table() -> None:
    variables = [name for name in Settings.model_fields if name != "sections"]
    for module in load_modules():
        if module.settings is not None:
            variables += module.settings.variable_names()
    missing = [
        f"CAMPUS_{name.upper()}" for name in variables if f"`CAMPUS_{name.upper()}`" not in README
    ]
    assert missing == [], f"settings missing from README's configuration table: {missing}"


def test_readme_gives_the_two_setup_commands() -> None:
    assert "python3 dev.py run" in README
    assert "python3 dev.py test" in README
