import os
import subprocess
import sys

import pytest

from utils import setup as s


def test_check_versions_names_what_is_missing_or_too_old_and_passes_when_fine():
    problems = s.check_versions({"numpy": "1.0", "surely-not-installed-pkg": "1.0", "pytest": "999.0"})
    assert len(problems) == 2
    assert "surely-not-installed-pkg is not installed" in problems[0]
    assert "pytest" in problems[1] and "too old" in problems[1] and ">= 999.0" in problems[1]
    assert s.check_versions() == [], "the pinned environment must pass its own setup check"


def test_check_versions_rejects_a_non_dict():
    with pytest.raises(TypeError, match="must be a dict"):
        s.check_versions(["numpy"])


@pytest.mark.parametrize("threads", [0, -2, 1.5, "2", True])
def test_bad_thread_counts_are_rejected(threads):
    with pytest.raises(ValueError, match="threads must be None"):
        s.thread_environment(threads)
    with pytest.raises(ValueError, match="threads must be None"):
        s.setup(threads=threads, report=False)


def test_thread_environment_caps_children():
    assert s.thread_environment(None) == {}
    one = s.thread_environment(1)
    assert one["OMP_NUM_THREADS"] == "1" and "intra_op_parallelism_threads=1" in one["XLA_FLAGS"]
    assert s.thread_environment(2) == {"OMP_NUM_THREADS": "2"}, "XLA can only be told 'one thread'"
    merged = s.thread_environment(1, {"XLA_FLAGS": "--xla_dump_to=/tmp/x"})["XLA_FLAGS"]
    assert merged.startswith("--xla_dump_to=/tmp/x ") and merged.endswith(s.ONE_THREAD_XLA_FLAGS)


def test_a_child_asked_for_all_cores_is_not_pinned_by_an_earlier_setup(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_dump_to=/tmp/x")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(s, "_WRITTEN", {})
    s.pin_threads(1)  # what setup() does in a notebook
    assert s.os.environ["OMP_NUM_THREADS"] == "1"
    free = s.child_environment(None)
    assert "OMP_NUM_THREADS" not in free
    assert free["XLA_FLAGS"] == "--xla_dump_to=/tmp/x", "the user's own flags survive"
    assert s.child_environment(1)["OMP_NUM_THREADS"] == "1"
    monkeypatch.setenv("XLA_FLAGS", "--xla_dump_to=/tmp/x")  # undo pin_threads' write for later tests


@pytest.mark.parametrize("seed", [-1, 1.0, "0", None])
def test_bad_seeds_are_rejected(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        s.seed_everything(seed)


def test_unknown_framework_is_rejected():
    with pytest.raises(ValueError, match="frameworks must be a tuple"):
        s.setup(frameworks=("keras", "caffe"), report=False)
    with pytest.raises(ValueError, match="frameworks must be a tuple"):
        s.setup(frameworks="torch", report=False)
    with pytest.raises(ValueError, match="frameworks must be a tuple"):
        s.setup(frameworks=None, report=False)


def test_missing_package_gives_a_plain_words_fix(monkeypatch):
    monkeypatch.setitem(s.MINIMUM_VERSIONS, "surely-not-installed-pkg", "1.0")
    with pytest.raises(s.SetupError, match=r"(?s)surely-not-installed-pkg is not installed.*make lab"):
        s.setup(report=False)


def test_muted_stderr_silences_c_level_writes_and_restores_fd2():
    code = ("import os; from utils.setup import muted_stderr\n"
            "with muted_stderr(): os.write(2, b'hidden\\n')\n"
            "os.write(2, b'shown\\n')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr == "shown\n"


def test_setup_in_a_fresh_process_is_quiet_seeded_and_pinned():
    code = ("from utils.setup import setup; r = setup(seed=3, threads=1)\n"
            "import torch, numpy as np, tensorflow as tf\n"
            "print('THREADS', torch.get_num_threads(), tf.config.threading.get_intra_op_parallelism_threads())\n"
            "print('DRAW', np.random.rand(), torch.rand(1).item())")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
            for _ in range(2)]
    out = runs[0].stdout
    for name in ("keras", "tensorflow", "torch", "jax"):
        assert f"\n{name} " in out, f"the report lists {name}"
    assert "THREADS 1 1" in out
    assert runs[0].stdout.split("DRAW")[1] == runs[1].stdout.split("DRAW")[1], "seeded draws repeat"
    assert "oneDNN" not in runs[0].stderr and "cuda" not in runs[0].stderr.lower(), runs[0].stderr


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
    assert s.container_memory(root) == (2 * 2**30, 2**30)


@pytest.mark.parametrize("limit", ["max", "9223372036854771712"])
def test_no_limit_means_no_container_memory(tmp_path, limit):
    assert s.container_memory(_cgroup(tmp_path, True, limit=limit, used=10)) is None
    assert s.container_memory(str(tmp_path / "missing")) is None


def test_binder_sized_container_caps_total_and_available_memory(tmp_path, monkeypatch):
    root = _cgroup(tmp_path, True, limit=str(2 * 10**9), used=int(1.2e9))
    real = s.container_memory
    monkeypatch.setattr(s, "container_memory", lambda: real(root))
    assert s.total_memory() == 2 * 10**9
    assert s.available_memory() == int(0.8e9)
    assert any("less than 1.5 GB" in note for note in s._warnings(()))
