"""Each measuring notebook's key results as a small JSON file, with when, where and with what it ran.

Used by the measuring notebooks 01-05 (they call `record` in their verdict section) and by notebook 07,
which reads them back with `load_results`, falling back to the reference results committed under
data/reference_results/ (one quiet run on the project's machine) when a learner has not run a notebook yet.

    from utils import results
    results.record("04_debugging", {"scores": {...}})      # writes results/04_debugging.json
    results.load_results("04_debugging")                            # the learner's own run, else the reference

Runs that are not the learner's (nbval in `make test`, `make test-portable`, `make timings`) set the environment
variable KVTVP_RESULTS to another folder, so they never overwrite the learner's own results/.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path

from utils.checks import check_dict, check_int, check_str
from utils.frameworks import TABLE
from utils.processes import usable_cpus

SCHEMA = "kvtvp-results/1"
ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(os.environ.get("KVTVP_RESULTS") or ROOT / "results")
REFERENCE_DIR = ROOT / "data" / "reference_results"
FIELDS = ("schema", "notebook", "created", "machine", "versions", "threads", "results")


def machine() -> dict:
    """The processor, the CPUs this process may use, the OS and Python: enough to tell two machines apart."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cpu_count": os.cpu_count(), "usable_cpus": usable_cpus(),
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version()}


def versions() -> dict:
    """The installed version of each framework (None when one is missing)."""
    from utils.setup import installed_version

    return {f.id: installed_version(f.package) for f in TABLE}


def record(notebook: str, key_results: dict, threads: int | None = None, folder: Path | None = None) -> Path:
    """Write `key_results` (JSON-able) for `notebook` (e.g. "04_debugging"); return the file's path.

    The file is written to a temporary name and renamed, so a crash never leaves half a file.
    """
    check_str("notebook", notebook)
    check_dict("key_results", key_results)
    if threads is not None:
        check_int("threads", threads, minimum=1)
    payload = {"schema": SCHEMA, "notebook": notebook, "created": dt.datetime.now().isoformat(timespec="seconds"),
               "machine": machine(), "versions": versions(), "threads": threads, "results": key_results}
    text = json.dumps(payload, indent=1, sort_keys=True)  # fails here, before any file, if not JSON-able
    folder = Path(RESULTS_DIR if folder is None else folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{notebook}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(text + "\n")
    tmp.replace(path)
    return path


def validate_results(payload, where: str = "results") -> dict:
    """`payload` if it has every field of a results file; ValueError naming the first missing one."""
    check_str("where", where)
    if not isinstance(payload, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(payload).__name__}")
    missing = [f for f in FIELDS if f not in payload]
    if missing:
        raise ValueError(f"{where}: missing field(s) {missing}")
    if payload["schema"] != SCHEMA:
        raise ValueError(f"{where}: schema {payload['schema']!r}, expected {SCHEMA!r}")
    if not isinstance(payload["results"], dict):
        raise ValueError(f"{where}: 'results' must be an object")
    return payload


def load_results(notebook: str, folder: Path | None = None, reference_folder: Path | None = None,
                 own: bool = True) -> dict:
    """The learner's own results for `notebook` if readable (and `own`), else the committed reference.

    The returned dict has the file's fields plus "source" ("own" or "reference") and "reason" (why the
    reference was used, or None). Raises FileNotFoundError only when neither file can be read.
    """
    check_str("notebook", notebook)
    mine = Path(RESULTS_DIR if folder is None else folder) / f"{notebook}.json"
    reason = (f"no results/{notebook}.json yet: run notebook {notebook[:2]} to measure on this machine" if own else
              "references only (KVTVP_REFERENCES_ONLY=1, as in make test)")
    if own and mine.exists():
        try:
            return {**validate_results(json.loads(mine.read_text()), str(mine.name)), "source": "own", "reason": None}
        except (ValueError, OSError) as err:  # json.JSONDecodeError is a ValueError
            reason = f"results/{notebook}.json could not be used ({err})"
    reference = Path(REFERENCE_DIR if reference_folder is None else reference_folder) / f"{notebook}.json"
    if not reference.exists():
        raise FileNotFoundError(f"neither results/{notebook}.json nor the reference {reference} exists")
    return {**validate_results(json.loads(reference.read_text()), str(reference.name)), "source": "reference",
            "reason": reason}
