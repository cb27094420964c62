"""utils.results: runs that are not the learner's (tests, timings) never write into the learner's results/."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_kvtvp_results_moves_every_record_out_of_results(tmp_path):
    code = "from utils import results; print(results.record('99_check', {'x': 1}))"
    env = {**os.environ, "KVTVP_RESULTS": str(tmp_path)}
    written = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert Path(written.stdout.strip()) == tmp_path / "99_check.json" and (tmp_path / "99_check.json").exists()
    assert not (ROOT / "results" / "99_check.json").exists()


def test_every_make_target_that_runs_notebooks_records_elsewhere():
    """nbval, test-portable and the timings run every notebook, whose verdict cells call results.record."""
    makefile = (ROOT / "Makefile").read_text()
    line = re.search(r"^([\w -]+): export KVTVP_RESULTS := (\S+)$", makefile, re.M)
    assert line and "results" not in line.group(2).replace("check-results", "")
    assert set(line.group(1).split()) == {"notebooks", "test-portable", "timings", "timings-record"}
