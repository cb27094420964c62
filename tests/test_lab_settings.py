"""binder/overrides.json (JupyterLab's settings for teaching) names settings the pinned JupyterLab has."""

import json
import sys
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[1]
OVERRIDES = ROOT / "binder" / "overrides.json"
SCHEMAS = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"


def test_every_override_is_valid_for_the_installed_jupyterlab_schema():
    overrides = json.loads(OVERRIDES.read_text())
    assert overrides, "binder/overrides.json is empty"
    for plugin, settings in overrides.items():
        package, _, name = plugin.partition(":")
        schema_file = SCHEMAS / package / f"{name}.json"
        assert schema_file.is_file(), f"{plugin}: no such settings schema in the installed JupyterLab"
        schema = json.loads(schema_file.read_text())
        unknown = set(settings) - set(schema["properties"])
        assert not unknown, f"{plugin}: unknown settings {sorted(unknown)}"
        jsonschema.validate(settings, schema)  # raises naming the bad value


def test_news_prompt_is_off_and_both_installers_ship_the_file():
    notification = json.loads(OVERRIDES.read_text())["@jupyterlab/apputils-extension:notification"]
    assert notification["fetchNews"] == "false", "the 'official Jupyter news' prompt shows unless fetchNews is 'false'"
    assert "binder/overrides.json" in (ROOT / "binder" / "postBuild").read_text()
    assert "binder/overrides.json" in (ROOT / "Makefile").read_text()
