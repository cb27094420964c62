"""utils.execution: a notebook run that cannot hang, and the per-cell bound every notebook run of the project has."""

import asyncio
import subprocess
import sys
import time
from queue import Empty

import nbformat
import pytest

from utils import execution, timings


def _notebook(tmp_path, name, *sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"),
                                         *(nbformat.v4.new_code_cell(s) for s in sources)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / name)
    return tmp_path / name


def test_a_missed_wake_up_costs_one_slice_not_the_timeout(monkeypatch):
    """The hang of jupyter/nbclient#312: the reply is there, but the poll that should see it sleeps on."""
    monkeypatch.setattr(execution, "SLICE_S", 0.05)
    calls = []

    async def get_msg_once(timeout):
        calls.append(timeout)
        if len(calls) == 1:  # the missed wake-up: this poll sleeps its whole timeout and sees nothing
            await asyncio.sleep(timeout)
            raise Empty
        return {"msg_type": "execute_reply"}

    began = time.monotonic()
    assert asyncio.run(execution._sliced(get_msg_once)(timeout=600)) == {"msg_type": "execute_reply"}
    assert time.monotonic() - began < 1 and calls[0] == 0.05


def test_a_silent_channel_still_times_out(monkeypatch):
    monkeypatch.setattr(execution, "SLICE_S", 0.05)

    async def never(timeout):
        await asyncio.sleep(timeout)
        raise Empty

    began = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(execution._sliced(never)(timeout=0.3))
    assert 0.3 <= time.monotonic() - began < 1


def test_a_blocked_cell_fails_naming_the_notebook_and_the_cell_within_the_timeout(tmp_path):
    path = _notebook(tmp_path, "98_blocked.ipynb", "x = 1", "import time\ntime.sleep(120)")
    began = time.monotonic()
    with pytest.raises(execution.CellHang, match=r"98_blocked.ipynb, code cell 2 \('import time'\): no answer "
                                                 r"within 3 s"):
        execution.run_notebook(path, timeout=3)
    assert time.monotonic() - began < 60
    assert "CellHang: 98_blocked.ipynb, code cell 2" in timings.time_notebook(path, timeout=3)["error"]


def test_a_notebook_runs_and_comes_back_executed(tmp_path):
    nb = execution.run_notebook(_notebook(tmp_path, "97_fine.ipynb", "print(6 * 7)"), timeout=60)
    assert nb.cells[1].outputs[0]["text"] == "42\n" and nb.cells[1].execution_count == 1


def test_nbval_bounds_a_blocked_cell_and_names_it(tmp_path):
    """The Makefile's --nbval-cell-timeout: nbval fails the cell, named notebook::Cell N, instead of waiting."""
    path = _notebook(tmp_path, "99_blocked.ipynb", "import time\ntime.sleep(120)")
    began = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbval", str(path),
                          "--nbval-cell-timeout=3"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 1 and "99_blocked.ipynb::Cell 0" in run.stdout, run.stdout[-2000:]
    assert "Timeout" in run.stdout and time.monotonic() - began < 60


def test_the_command_line_repeats_and_counts_failures(tmp_path, capsys):
    fine = _notebook(tmp_path, "95_fine.ipynb", "x = 1")
    broken = _notebook(tmp_path, "94_broken.ipynb", "1 / 0")
    assert execution.main([str(fine), "--repeat", "2", "--timeout", "60"]) == 0
    assert execution.main([str(broken), "--timeout", "60"]) == 1
    out = capsys.readouterr().out
    assert "95_fine.ipynb run 2/2" in out and "0 failed of 2 runs" in out
    assert "94_broken.ipynb run 1/1" in out and "ZeroDivisionError" in out and "1 failed of 1 runs" in out
