"""utils.processes: thread caps, a child's environment, memory as a container sees it, quiet stderr."""

import os
import subprocess
import sys

import pytest

from utils import processes as p
from utils import setup as s


def test_thread_environment_caps_children():
    assert p.thread_environment(None) == {}
    one = p.thread_environment(1)
    assert one["OMP_NUM_THREADS"] == "1" and "intra_op_parallelism_threads=1" in one["XLA_FLAGS"]
    assert p.thread_environment(2) == {"OMP_NUM_THREADS": "2"}, "XLA can only be told 'one thread'"
    merged = p.thread_environment(1, {"XLA_FLAGS": "--xla_dump_to=/tmp/x"})["XLA_FLAGS"]
    assert merged.startswith("--xla_dump_to=/tmp/x ") and merged.endswith(p.ONE_THREAD_XLA_FLAGS)


def test_a_child_asked_for_all_cores_is_not_pinned_by_an_earlier_setup(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_dump_to=/tmp/x")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(p, "_WRITTEN", {})
    s.pin_threads(1)  # what setup() does in a notebook
    assert os.environ["OMP_NUM_THREADS"] == "1"
    free = p.child_environment(None)
    assert "OMP_NUM_THREADS" not in free
    assert free["XLA_FLAGS"] == "--xla_dump_to=/tmp/x", "the user's own flags survive"
    assert p.child_environment(1)["OMP_NUM_THREADS"] == "1"
    monkeypatch.setenv("XLA_FLAGS", "--xla_dump_to=/tmp/x")  # undo pin_threads' write for later tests


def test_muted_stderr_silences_c_level_writes_and_restores_fd2():
    code = ("import os; from utils.processes import muted_stderr\n"
            "with muted_stderr(): os.write(2, b'hidden\\n')\n"
            "os.write(2, b'shown\\n')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr == "shown\n"


def _cgroup(root, v2: bool, limit: str, used: int):
    folder = root if v2 else root / "memory"
    folder.mkdir(parents=True, exist_ok=True)
    names = ("memory.max", "memory.current") if v2 else ("memory.limit_in_bytes", "memory.usage_in_bytes")
    (folder / names[0]).write_text(limit + "\n")
    (folder / names[1]).write_text(f"{used}\n")
    return str(root)


@pytest.mark.parametrize("v2", [True, False])
def test_a_container_limit_is_read_from_cgroup_v1_or_v2(tmp_path, v2):
    root = _cgroup(tmp_path, v2, limit=str(2 * 2**30), used=2**30)
    assert p.container_memory(root) == (2 * 2**30, 2**30)


@pytest.mark.parametrize("limit", ["max", "9223372036854771712"])
def test_no_limit_means_no_container_memory(tmp_path, limit):
    assert p.container_memory(_cgroup(tmp_path, True, limit=limit, used=10)) is None
    assert p.container_memory(str(tmp_path / "missing")) is None


def test_binder_sized_container_caps_total_and_available_memory(tmp_path, monkeypatch):
    root = _cgroup(tmp_path, True, limit=str(2 * 10**9), used=int(1.2e9))
    real = p.container_memory
    monkeypatch.setattr(p, "container_memory", lambda: real(root))
    assert p.total_memory() == 2 * 10**9
    assert p.available_memory() == int(0.8e9)
    assert any("less than 1.5 GB" in note for note in s._warnings(()))


def test_clean_stderr_drops_tensorflow_start_up_lines():
    text = "I0000 00:00 cpu_feature_guard\nTraceback (most recent call last):\nW0000 x"
    assert p.clean_stderr(text) == "Traceback (most recent call last):"


@pytest.mark.parametrize(("threads", "error"), [(0, ValueError), (-2, ValueError), (1.5, TypeError), ("2", TypeError),
                                                (True, TypeError)])
def test_bad_thread_counts_are_rejected(threads, error):
    with pytest.raises(error, match="threads"):
        p.thread_environment(threads)
    with pytest.raises(error, match="threads"):
        p.child_environment(threads)
