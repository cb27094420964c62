"""requirements.txt, environment.yml and binder/environment.yml must pin the same versions."""

from pathlib import Path

from utils.wheelhouse import PIN
from utils.wheelhouse import read_pins as pins

ROOT = Path(__file__).resolve().parents[1]


def test_requirements_pin_every_line_exactly():
    lines = [ln.strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    entries = [ln for ln in lines if ln and not ln.startswith("#")]
    assert entries, "requirements.txt is empty"
    loose = [ln for ln in entries if not PIN.match(ln)]
    assert not loose, f"every requirement must be pinned with ==, these are not: {loose}"
    assert pins(ROOT / "requirements.txt")["torch"] == "2.13.0", "torch must stay 2.13.0 (the CPU wheel)"


def test_conda_environment_matches_requirements():
    assert pins(ROOT / "environment.yml") == pins(ROOT / "requirements.txt")


def test_binder_matches_requirements_with_cpu_only_torch():
    binder, wanted = pins(ROOT / "binder" / "environment.yml"), pins(ROOT / "requirements.txt")
    assert binder.pop("torch") == wanted.pop("torch") + "+cpu"
    assert binder == wanted
    text = (ROOT / "binder" / "environment.yml").read_text()
    assert "download.pytorch.org/whl/cpu" in text, "Binder must take PyTorch's CPU-only build"


def test_all_three_ask_for_python_3_11():
    assert "python=3.11" in (ROOT / "environment.yml").read_text()
    assert "python=3.11" in (ROOT / "binder" / "environment.yml").read_text()
    assert 'requires-python = ">=3.11"' in (ROOT / "pyproject.toml").read_text()
