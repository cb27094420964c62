"""The notebooks' first cell: check the environment, quiet TensorFlow, seed, pin threads, report devices.

Used by every notebook (00-07), in one line:

    from utils.setup import setup; report = setup()   # seed 0, one thread (reproducible numbers), a report
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import os
import platform
import random
import sys
from dataclasses import dataclass, field

import numpy as np
from packaging.version import Version

from utils.checks import check_bool, check_int, check_names
from utils.frameworks import TABLE
from utils.processes import available_memory, check_threads, muted_stderr, total_memory, write_thread_environment
from utils.tables import text_table

# Below these, the series does not run (Keras 3 README's minimum back-end versions; Python 3.11).
MINIMUM_VERSIONS = {
    "keras": "3.0.0",
    "tensorflow": "2.16.1",
    "torch": "2.1.0",
    "jax": "0.4.20",
    "numpy": "1.26.0",
    "scikit-learn": "1.3.0",
    "matplotlib": "3.7.0",
}
FIX = "run `make lab` (or `pip install -r requirements.txt`) from the repository's folder, then restart the kernel"
FRAMEWORKS = tuple(f.id for f in TABLE if f.id != "numpy")  # what setup can import
# What a notebook's kernel imports by default: JAX (~150 MB) is a Keras back end, run in a child process.
DEFAULT_FRAMEWORKS = ("keras", "tensorflow", "torch")


class SetupError(RuntimeError):
    """The environment cannot run the series; the message says what to do."""


@dataclass
class SetupReport:
    """What `setup` found: versions, the device each framework uses, threads, memory, problems."""

    python: str
    versions: dict[str, str]
    devices: dict[str, str]
    threads: int | None
    cpu_count: int
    memory_gb: float
    seed: int
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        threads = f"pinned to {self.threads}" if self.threads else "framework defaults (all cores)"
        lines = [
            f"Python {self.python} on {platform.system()} {platform.machine()}, "
            f"{self.cpu_count} CPU cores, {self.memory_gb:.1f} GB memory",
            f"seed {self.seed}, threads {threads}",
            text_table([{"framework": name, "version": version, "device": self.devices.get(name, "-")}
                        for name, version in self.versions.items()]),
        ]
        lines += [f"note: {w}" for w in self.warnings] or ["setup check: everything the series needs is here"]
        return "\n".join(lines)


def installed_version(package: str) -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_versions(minimums: dict[str, str] | None = None) -> list[str]:
    """Plain-words problems with the installed packages (missing or too old); empty when all is well."""
    minimums = MINIMUM_VERSIONS if minimums is None else minimums
    if not isinstance(minimums, dict):
        raise TypeError(f"minimums must be a dict like {{'keras': '3.0.0'}}, got {type(minimums).__name__}")
    problems = []
    if sys.version_info[:2] < (3, 11):  # noqa: UP036 (a learner may start the kernel from another Python)
        problems.append(f"Python {platform.python_version()} is too old: the series needs Python 3.11.")
    for package, minimum in minimums.items():
        found = installed_version(package)
        if found is None:
            problems.append(f"{package} is not installed (the series needs {package} >= {minimum}).")
        elif Version(found).release < Version(minimum).release:
            problems.append(f"{package} {found} is too old (the series needs {package} >= {minimum}).")
    return problems


def import_tensorflow(threads: int | None = None):
    """Import TensorFlow without its C++ start-up log lines; optionally pin its thread pools."""
    check_threads(threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with muted_stderr():
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
        if threads:
            _pin_tensorflow(tf, threads)
        tf.config.list_logical_devices()  # initialises the runtime while stderr is still muted
    return tf


def _pin_tensorflow(tf, threads: int) -> None:
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # runtime already started in this process: its pools are fixed now
        pass


def pin_threads(threads: int | None) -> None:
    """Cap PyTorch's (and, if not yet started, TensorFlow's) thread pools at `threads`."""
    check_threads(threads)
    if threads is None:
        return
    write_thread_environment(threads)
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        torch.set_num_threads(threads)
        with contextlib.suppress(RuntimeError):  # allowed only before PyTorch's first parallel work
            torch.set_num_interop_threads(threads)
    if "tensorflow" in sys.modules:
        _pin_tensorflow(sys.modules["tensorflow"], threads)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and every framework already imported (TensorFlow, PyTorch, Keras).

    A fresh Keras draws its default seeds from Python's `random`, so seeding `random` covers it;
    `keras.utils.set_random_seed` (which also resets Keras's global generator) is called only when
    TensorFlow is already loaded, because it imports TensorFlow (~700 MB) on every back end.
    """
    check_int("seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed)
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
    if "keras" in sys.modules and "tensorflow" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(seed)


def torch_device() -> str:
    """The device PyTorch code in the series should use: 'cuda' when a GPU is usable, else 'cpu'."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def devices() -> dict[str, str]:
    """The device each imported framework will place work on."""
    found = {}
    if "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        gpus = tf.config.list_logical_devices("GPU")
        found["tensorflow"] = gpus[0].name if gpus else "CPU (no GPU visible to TensorFlow)"
    if "torch" in sys.modules:
        found["torch"] = torch_device()
    if "jax" in sys.modules:
        found["jax"] = sys.modules["jax"].default_backend()
    else:
        found["jax"] = "not imported here: a Keras back end, run in its own process (utils.backends)"
    if "keras" in sys.modules:
        backend = sys.modules["keras"].backend.backend()
        found["keras"] = f"back end {backend}: {found.get(backend, 'its default device')}"
    return found


def setup(seed: int = 0, threads: int | None = 1, frameworks=DEFAULT_FRAMEWORKS, report: bool = True
          ) -> SetupReport:
    """Check the environment, quiet TensorFlow, import `frameworks`, pin threads, seed, and report.

    threads=1 makes printed numbers identical on every machine (1 vs 2 threads differ in the last
    digits); pass threads=None to let each framework use all cores, as the speed notebook does.
    """
    check_int("seed", seed, minimum=0)
    check_threads(threads)
    check_bool("report", report)
    frameworks = () if frameworks == () else check_names("frameworks", frameworks, FRAMEWORKS)
    problems = check_versions()
    if problems:
        raise SetupError("The environment is not ready:\n  - " + "\n  - ".join(problems) + f"\nTo fix it: {FIX}.")
    write_thread_environment(threads)
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if "tensorflow" in frameworks or ("keras" in frameworks and os.environ["KERAS_BACKEND"] == "tensorflow"):
        import_tensorflow(threads)
    for name in frameworks:
        with muted_stderr():
            importlib.import_module(name)
    pin_threads(threads)
    seed_everything(seed)
    result = SetupReport(
        python=platform.python_version(),
        versions={name: installed_version(name) for name in FRAMEWORKS},
        devices=devices(),
        threads=threads,
        cpu_count=os.cpu_count() or 1,
        memory_gb=total_memory() / 1e9,
        seed=seed,
        warnings=_warnings(frameworks),
    )
    if report:
        print(result)
    return result


def _warnings(frameworks) -> list[str]:
    notes = []
    if "torch" in frameworks and torch_device() == "cpu":
        notes.append("no GPU found: everything runs on the CPU (the series is sized for that).")
    if available_memory() < 1.5e9:
        notes.append("less than 1.5 GB of memory is free: close other notebooks' kernels first.")
    return notes
