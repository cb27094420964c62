import nbformat
import pytest

from utils import timings


def test_budgets_follow_the_notebook_number():
    assert timings.budget_for("00_introduction.ipynb") == 60
    assert timings.budget_for("02_speed.ipynb") == 120
    assert timings.budget_for("42_future.ipynb") == timings.DEFAULT_TIME_BUDGET_S


def test_a_notebook_is_executed_and_measured(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x = b"x" * 80_000_000')])
    path = tmp_path / "99_probe.ipynb"
    nbformat.write(nb, path)
    result = timings.time_notebook(path)
    assert result["error"] is None and result["seconds"] > 0
    assert 80 < result["kernel_mb"] < 1500, "the 80 MB allocation shows in the kernel's peak"
    assert 0 < result["total_mb"] < 1500


def test_a_timeout_is_checked_like_every_number(tmp_path):
    with pytest.raises(ValueError, match="timeout == 0"):
        timings.time_notebook(tmp_path / "x.ipynb", timeout=0)
    with pytest.raises(TypeError, match="timeout must be a number"):
        timings.time_notebook(tmp_path / "x.ipynb", timeout="60")


def test_a_failing_notebook_is_reported_not_raised(tmp_path, capsys):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")])
    nbformat.write(nb, tmp_path / "98_broken.ipynb")
    assert timings.main([str(tmp_path)]) == 1
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_bad_paths_are_rejected(tmp_path):
    with pytest.raises(SystemExit):
        timings.main([str(tmp_path / "nope.txt")])
    with pytest.raises(SystemExit):
        timings.main([str(tmp_path)])  # a folder with no notebooks


def test_an_error_without_a_message_is_reported(tmp_path, monkeypatch):
    def fail(self, cell, index):
        raise RuntimeError()  # e.g. a kernel that died without a word

    monkeypatch.setattr(timings.NotebookClient, "execute_cell", fail)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(nb, tmp_path / "97_silent.ipynb")
    assert timings.time_notebook(tmp_path / "97_silent.ipynb")["error"] == "RuntimeError: "
