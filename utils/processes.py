"""Process plumbing: thread caps, a child process's environment, memory as a container sees it, quiet stderr.

Used by `utils.setup` (the notebooks' first cell), `utils.backends` (Keras under another back end in a
child process), `utils.bench` (the speed workers, notebook 02) and the notebooks that start processes
(05). Nothing here imports a deep-learning framework.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import subprocess
import sys

from utils.checks import check_int


@contextlib.contextmanager
def muted_stderr():
    """Send file descriptor 2 to /dev/null: silences C++ logs that no environment variable reaches."""
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


# A container's memory limit and use (Binder, Docker): cgroup v2, then v1. psutil sees only the host's memory.
CGROUP_MEMORY_FILES = (
    ("memory.max", "memory.current"),
    ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes"),
)


def container_memory(root: str = "/sys/fs/cgroup") -> tuple[int, int] | None:
    """(limit, used) bytes of this process's container, or None when there is no limit."""
    if not isinstance(root, str | os.PathLike):
        raise TypeError(f"root must be a folder path, got {type(root).__name__}")
    import psutil

    for limit_file, used_file in CGROUP_MEMORY_FILES:
        try:
            with open(os.path.join(root, limit_file)) as f_limit, open(os.path.join(root, used_file)) as f_used:
                limit, used = f_limit.read().strip(), int(f_used.read().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < psutil.virtual_memory().total:  # "max" or a huge number: no limit
            return int(limit), used
    return None


def total_memory() -> int:
    """Bytes of memory this process may use: the machine's, or its container's limit when lower."""
    import psutil

    container = container_memory()
    return min(psutil.virtual_memory().total, container[0]) if container else psutil.virtual_memory().total


def usable_cpus() -> int:
    """The CPU cores this process may run on (its affinity: 1 under `taskset -c 0`, a container's limit)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def available_memory() -> int:
    """Bytes that can still be allocated: the machine's free memory, or what the container has left."""
    import psutil

    container = container_memory()
    free = psutil.virtual_memory().available
    return min(free, max(container[0] - container[1], 0)) if container else free


ONE_THREAD_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
_WRITTEN: dict[str, str] = {}  # the thread variables this process wrote, which its children must not inherit


def thread_environment(threads: int | None, base: dict | None = None) -> dict[str, str]:
    """Environment variables that cap the math libraries' threads at `threads` (None: no cap).

    OpenMP (PyTorch, TensorFlow's oneDNN) reads OMP_NUM_THREADS; JAX's XLA can only be told "one
    thread", which is added to any XLA_FLAGS already in `base`.
    """
    check_threads(threads)
    if threads is None:
        return {}
    env = {"OMP_NUM_THREADS": str(threads)}
    if threads == 1:
        user_flags = (base or {}).get("XLA_FLAGS", "").replace(ONE_THREAD_XLA_FLAGS, "").strip()
        env["XLA_FLAGS"] = f"{user_flags} {ONE_THREAD_XLA_FLAGS}".strip()
    return env


def child_environment(threads: int | None) -> dict[str, str]:
    """The environment for a child process: this one's, with the thread caps for `threads` only.

    Caps that `setup`/`pin_threads` wrote into this process are dropped first, so a child asked for
    all cores (threads=None) is not silently pinned by an earlier `setup(threads=1)`.
    """
    env = dict(os.environ)
    for key, value in _WRITTEN.items():
        if env.get(key) == value:
            users_part = value.replace(ONE_THREAD_XLA_FLAGS, "").strip() if key == "XLA_FLAGS" else ""
            if users_part:
                env[key] = users_part
            else:
                del env[key]
    return {**env, **thread_environment(threads, env)}


def write_thread_environment(threads: int | None) -> None:
    """Write the thread caps into this process's environment (remembered, so children can drop them)."""
    values = thread_environment(threads, os.environ)
    os.environ.update(values)
    _WRITTEN.update(values)


def clean_stderr(stderr: str) -> str:
    """The child's stderr without TensorFlow's start-up log lines."""
    noise = ("I0000 ", "W0000 ", "E0000 ", "WARNING: All log messages before absl", "To enable the following")
    return "\n".join(line for line in stderr.splitlines() if not line.startswith(noise)).strip()




def check_threads(threads) -> int | None:
    """`threads` if it is None (all cores) or an int >= 1; TypeError/ValueError otherwise."""
    return None if threads is None else check_int("threads", threads, minimum=1)


RESULT_MARK = "@@utils result@@"  # a child prints it before its JSON result, so its own prints cannot be mistaken


def run_module(module: str, payload: dict | str, env: dict, timeout: float, what: str, error: type):
    """Run `python -m module` with `payload` (JSON) on stdin; return the JSON its `print_result` printed.

    Raises `error` naming `what` when the child times out, fails, or prints no result; the message
    carries the child's stderr without TensorFlow's start-up lines.
    """
    text = payload if isinstance(payload, str) else json.dumps(payload)
    release_memory()  # the parent and its child together must fit Binder's memory
    try:
        done = subprocess.run([sys.executable, "-m", module], input=text, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as err:
        raise error(f"{what} did not finish within {timeout} s") from err
    if done.returncode != 0 or RESULT_MARK not in done.stdout:
        raise error(f"{what} failed. The child process said:\n{clean_stderr(done.stderr)}")
    return json.loads(done.stdout.split(RESULT_MARK, 1)[1])


def release_memory() -> None:
    """Give memory back before a child starts (or between measurements): collect garbage, and return freed heap
    pages to the operating system (glibc's malloc_trim, Linux; elsewhere only the collection)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL(None).malloc_trim(0)


def keep_out(*modules: str) -> None:
    """In a child process: make `import module` of each of `modules` fail (a None entry in `sys.modules`),
    for libraries that import them only when installed and tolerate their absence, or that must not run here."""
    for module in modules:
        sys.modules.setdefault(module, None)


def print_result(result) -> None:
    """In a child started by `run_module`: print `result` as JSON after the mark."""
    print(RESULT_MARK + json.dumps(result))
