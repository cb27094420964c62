"""Each measuring notebook's stored verdicts are the ones its committed reference results record (issue 19).

The references in data/reference_results/ are copied from the same quiet run that stored the notebooks'
outputs, so every recorded scenario's verdict, and the comparisons behind it, must be printed in the notebook.
Notebook 07 then prints those same verdicts (tests/test_scorecard.py).
"""

import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCES = sorted(p for p in (ROOT / "data" / "reference_results").glob("[0-9][0-9]_*.json")
                    if "verdicts" in json.loads(p.read_text())["results"])


def _outputs(notebook: Path) -> str:
    texts = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        for out in cell.get("outputs", []):
            texts.append(out.get("text", "") or out.get("data", {}).get("text/plain", "")
                         + out.get("data", {}).get("text/markdown", ""))
    return "\n".join(texts)


def test_every_measuring_notebook_records_its_verdicts():
    recorded = {p.stem[:2] for p in REFERENCES}
    assert {"01", "02", "03", "04", "05", "06", "08"} <= recorded


@pytest.mark.parametrize("reference", REFERENCES, ids=lambda p: p.stem)
def test_the_stored_notebook_prints_the_verdicts_its_reference_records(reference):
    verdicts = json.loads(reference.read_text())["results"]["verdicts"]
    printed = _outputs(ROOT / "notebooks" / f"{reference.stem}.ipynb")
    for scenario, verdict in verdicts.items():
        assert verdict["verdict"] in printed, f"{scenario}: {verdict['verdict']!r} is not in the stored outputs"
        for why in verdict["comparisons"]:
            assert why in printed, f"{scenario}: {why!r} is not in the stored outputs"
