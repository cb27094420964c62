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


@pytest.mark.parametrize(("threads", "error"), [(0, ValueError), (-2, ValueError), (1.5, TypeError), ("2", TypeError),
                                                (True, TypeError)])
def test_bad_thread_counts_are_rejected_before_any_import(threads, error):
    with pytest.raises(error, match="threads"):
        s.setup(threads=threads, report=False)
    with pytest.raises(error, match="threads"):
        s.pin_threads(threads)


@pytest.mark.parametrize(("seed", "error"), [(-1, ValueError), (1.0, TypeError), ("0", TypeError), (None, TypeError)])
def test_bad_seeds_are_rejected_before_any_import(seed, error):
    with pytest.raises(error, match="seed"):
        s.seed_everything(seed)
    with pytest.raises(error, match="seed"):
        s.setup(seed=seed, report=False)


def test_a_bad_seed_fails_before_tensorflow_is_imported():
    code = ("import sys; from utils.setup import setup\n"
            "try:\n    setup(seed=-1)\nexcept ValueError:\n    print('TF' if 'tensorflow' in sys.modules else 'none')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "none"


def test_unknown_framework_is_rejected():
    with pytest.raises(ValueError, match="frameworks item == 'caffe'"):
        s.setup(frameworks=("keras", "caffe"), report=False)
    with pytest.raises(TypeError, match="frameworks must be a list or tuple"):
        s.setup(frameworks=None, report=False)
    with pytest.raises(TypeError, match="report must be True or False"):
        s.setup(report="no")


def test_missing_package_gives_a_plain_words_fix(monkeypatch):
    monkeypatch.setitem(s.MINIMUM_VERSIONS, "surely-not-installed-pkg", "1.0")
    with pytest.raises(s.SetupError, match=r"(?s)surely-not-installed-pkg is not installed.*make lab"):
        s.setup(report=False)


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


