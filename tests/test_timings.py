import json
import os

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

    monkeypatch.setattr(timings.SlicedClient, "execute_cell", fail)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(nb, tmp_path / "97_silent.ipynb")
    assert timings.time_notebook(tmp_path / "97_silent.ipynb")["error"] == "RuntimeError: "


def test_each_code_cell_is_timed_and_numbered_as_a_clean_run(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"), nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_code_cell("import time\ntime.sleep(0.3)")])
    nbformat.write(nb, tmp_path / "96_cells.ipynb")
    cells = timings.time_notebook(tmp_path / "96_cells.ipynb")["cells"]
    assert [(c["cell"], c["source"]) for c in cells] == [(1, "x = 1"), (2, "import time")]
    assert cells[1]["seconds"] >= 0.3 > cells[0]["seconds"]


def _result(name, seconds, cells):
    return {"notebook": name, "seconds": seconds, "kernel_mb": 900.4, "total_mb": 1000.6, "error": None,
            "others_cpu": 0.0123, "cells": [{"cell": i + 1, "seconds": s, "source": f"cell {i + 1}"}
                                            for i, s in enumerate(cells)]}


def test_saved_runs_are_merged_by_label_and_keep_the_slowest_cells(tmp_path):
    path = tmp_path / "timings.json"
    timings.save_timings([_result("00_a.ipynb", 17.04, [0.1, 5.0, 2.0, 9.0, 0.5])], path, "2cpu")
    timings.save_timings([_result("00_a.ipynb", 20.0, [1.0])], path, "1cpu")
    data = timings.save_timings([_result("01_b.ipynb", 3.0, [1.0])], path, "2cpu")
    assert data == json.loads(path.read_text())
    first = data["runs"]["2cpu"]["00_a.ipynb"]
    assert (first["seconds"], first["kernel_mb"], first["others_cpu"]) == (17.0, 900, 0.012)
    assert [c["cell"] for c in first["slowest_cells"]] == [4, 2, 3], "the slowest first, at most three"
    assert set(data["runs"]["2cpu"]) == {"00_a.ipynb", "01_b.ipynb"}
    assert data["runs"]["1cpu"]["00_a.ipynb"]["seconds"] == 20
    default = timings.save_timings([_result("00_a.ipynb", 1.0, [])], path)
    assert f"{len(os.sched_getaffinity(0))}cpu" in default["runs"], "the label says how many CPUs the run could use"


def test_a_bad_label_is_refused(tmp_path):
    with pytest.raises(ValueError, match="label must be a short name"):
        timings.save_timings([], tmp_path / "t.json", "2 cpus!")
    with pytest.raises(TypeError, match="label must be a string"):
        timings.save_timings([], tmp_path / "t.json", 2)


def test_main_saves_what_it_measured(tmp_path, capsys):
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), tmp_path / "95_ok.ipynb")
    assert timings.main([str(tmp_path), "--save", str(tmp_path / "t.json"), "--label", "test"]) == 0
    assert "95_ok.ipynb" in json.loads((tmp_path / "t.json").read_text())["runs"]["test"]
    assert "saved to" in capsys.readouterr().out


def test_other_programs_using_the_cpu_are_measured(tmp_path):
    import subprocess
    import sys

    import psutil

    spin = "import time\nend = time.time() + 1.5\nwhile time.time() < end: pass"
    path = tmp_path / "99_spin.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(spin)]), path)
    if timings.time_notebook(path)["others_cpu"] is None:
        pytest.skip("no /proc/stat here")
    # started through a shell that exits at once, so the burner is not this process's child: another program
    launcher = subprocess.run(["sh", "-c", f"{sys.executable} -c 'while True: pass' >/dev/null 2>&1 & echo $!"],
                              capture_output=True, text=True, check=True)
    burner = psutil.Process(int(launcher.stdout))
    try:
        busy = timings.time_notebook(path)["others_cpu"]
    finally:
        burner.kill()
        burner.wait(5)
    assert busy >= 0.8 / os.cpu_count(), f"a burner takes one core: others' share {busy:.2f}"
