"""Run a function under a chosen Keras back end, in a child process, and get its JSON result back.

Used by notebooks 00 (one model on each back end), 01 (the custom `train_step` of each back end) and 03
(the graph each back end builds).

Keras picks its back end once, when it is imported, and objects made under one back end stay bound
to it; so the safe rule is one back end per process. The function must be self-contained (its own
imports inside, arguments and result JSON-able), because only its source travels to the child. A
child on another back end than JAX cannot import JAX (kept out to save memory):

    def predict(weights):
        import keras, numpy as np
        ...
        return outputs.tolist()

    results = run_on_each_backend(predict, weights)   # {'tensorflow': [...], 'jax': [...], 'torch': [...]}

With `here=True` the back end this process's Keras already uses runs in this process instead (no child,
no re-seeding), so a notebook gets every back end's result whatever `KERAS_BACKEND` its learner set.
"""

from __future__ import annotations

import inspect
import json
import linecache
import os
import sys
import textwrap
import traceback

from utils.checks import check_bool, check_choice, check_int, check_names, check_seconds
from utils.frameworks import KERAS_BACKENDS
from utils.processes import check_threads, child_environment, print_result, run_module


class BackendError(RuntimeError):
    """The function failed in the child process; the message carries the child's own traceback."""


def run_in_backend(backend: str, func, *args, seed: int = 0, threads: int | None = 1, timeout: float = 300,
                   here: bool = False, **kwargs):
    """Call `func(*args, **kwargs)` in a fresh Python whose Keras uses `backend`; return its result.

    The child seeds Python, NumPy and Keras with `seed` and caps math threads at `threads` before
    the call. Raises BackendError (with the child's traceback) when the call fails or times out.
    here=True: when this process's Keras already uses `backend`, call `func` here instead, as it is
    (no child, no seeding, no thread cap; the result still goes through JSON, as a child's would).
    """
    check_choice("backend", backend, KERAS_BACKENDS)
    check_seconds("timeout", timeout)
    check_bool("here", here)
    payload = _payload(func, args, kwargs, seed, threads)
    if here and current_backend() == backend:
        return json.loads(json.dumps(func(*args, **kwargs)))
    env = {**child_environment(threads), "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return run_module("utils.backends", payload, env, timeout, f"{func.__name__} under Keras back end {backend!r}",
                      BackendError)


def current_backend() -> str:
    """The back end of this process's Keras (imports Keras, which then keeps that back end)."""
    import keras

    return keras.backend.backend()


def run_on_each_backend(func, *args, backends=KERAS_BACKENDS, **kwargs) -> dict:
    """`run_in_backend` for each back end in turn (one child at a time, to keep memory low).

    Pass here=True to run this process's own back end in this process (see `run_in_backend`).
    """
    backends = check_names("backends", backends, KERAS_BACKENDS)
    return {backend: run_in_backend(backend, func, *args, **kwargs) for backend in backends}


def _payload(func, args, kwargs, seed, threads) -> str:
    if not inspect.isfunction(func) or func.__name__ == "<lambda>":
        raise TypeError(f"func must be a function defined with `def`, got {func!r}")
    if func.__code__.co_freevars:
        raise TypeError(f"{func.__name__} uses variables of an enclosing function "
                        f"({', '.join(func.__code__.co_freevars)}): pass them as arguments instead")
    check_int("seed", seed, minimum=0)
    check_threads(threads)
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError) as err:
        raise TypeError(f"cannot read the source of {func.__name__}: define it in a file or notebook cell") from err
    try:
        return json.dumps({"source": source, "name": func.__name__, "args": args, "kwargs": kwargs,
                           "seed": seed, "threads": threads})
    except TypeError as err:
        raise TypeError(f"arguments must be JSON-able (numbers, strings, lists, dicts): {err}. "
                        "Convert arrays with .tolist()") from err


def _child() -> None:
    """Entry point of the child process: read the payload on stdin, run it, print the result."""
    job = json.loads(sys.stdin.read())
    from utils.setup import pin_threads, seed_everything

    if os.environ.get("KERAS_BACKEND") != "jax":  # Keras imports JAX on every back end when it is installed
        sys.modules.setdefault("jax", None)  # (~75 MB): a None entry makes that `import jax` fail quietly
    with _stdout_to_stderr():
        import keras  # noqa: F401  (imported before seeding so Keras's own generator is seeded too)

        pin_threads(job["threads"])
        seed_everything(job["seed"])
        namespace, filename = {"__name__": "__backend_child__"}, f"<{job['name']}>"
        linecache.cache[filename] = (len(job["source"]), None, job["source"].splitlines(True), filename)
        exec(compile(job["source"], filename, "exec"), namespace)
        try:
            result = namespace[job["name"]](*job["args"], **job["kwargs"])
        except Exception as err:  # printed by `traceback`, which shows the function's own source lines
            traceback.print_exception(err.with_traceback(err.__traceback__.tb_next))
            sys.exit(1)
    print_result(result)


class _stdout_to_stderr:
    """Keep the function's own prints out of the result channel."""

    def __enter__(self):
        self.saved, sys.stdout = sys.stdout, sys.stderr

    def __exit__(self, *exc):
        sys.stdout = self.saved


if __name__ == "__main__":
    _child()
