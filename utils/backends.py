"""Run a function under a chosen Keras back end, in a child process, and get its JSON result back.

Used by notebooks 00 (one model on each back end), 01 (the custom `train_step` of each back end, trained by
`custom_step_curve`) and 03 (the graph each back end builds).

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
from utils.processes import check_threads, child_environment, keep_out, print_result, run_module


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


def custom_step_curve(step_sources: dict, steps: int = 20, batch_size: int = 32, lr: float = 0.1,
                      seed: int = 0) -> list:
    """The loss of every step of `fit` with a custom train_step, on the back end this process's Keras uses.

    step_sources maps a Keras back end to [class name, source]: the source defines that keras.Model
    subclass with its own train_step (it may use `keras`, and `tf`, `jax` or `torch` for its back end).
    The digits mlp starts from models.init_weights("mlp") and `fit` (plain SGD, `lr`) sees the batches
    of train_curves, so the result compares with its curves. Self-contained (its imports inside), so
    that backends.run_on_each_backend can run it in a child on each back end.
    """
    import importlib

    from utils.checks import check_int, check_number

    check_int("steps", steps, minimum=1)
    check_int("batch_size", batch_size, minimum=1)
    lr = check_number("lr", lr, minimum=0, inclusive=False)
    check_int("seed", seed, minimum=0)
    if not isinstance(step_sources, dict):
        raise TypeError("step_sources must be a dict {back end: [class name, source]}, "
                        f"got {type(step_sources).__name__}")
    import keras
    import numpy as np

    from utils import data, equivalence, models

    backend = keras.backend.backend()
    if backend not in step_sources:
        raise ValueError(f"step_sources has no train_step for the {backend!r} back end: it has {sorted(step_sources)}")
    name, source = step_sources[backend]
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend]
    namespace = {"keras": keras, {"tensorflow": "tf"}.get(backend, backend): importlib.import_module(module)}
    exec(source, namespace)  # defines the class exactly as the source writes it
    ds, weights = data.load("digits"), models.init_weights("mlp")
    batches = equivalence.training_batches(len(ds.x_train), batch_size, steps, seed)

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return len(batches)

        def __getitem__(self, i):
            return ds.x_train[batches[i]], ds.y_train[batches[i]]

    class Losses(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            losses.append(float(logs["loss"]))

    inputs = keras.Input((ds.x_train.shape[1],))
    hidden = keras.layers.Dense(weights["dense1/kernel"].shape[1], activation="relu")(inputs)
    model = namespace[name](inputs, keras.layers.Dense(weights["dense2/kernel"].shape[1])(hidden))
    model.set_weights([weights[n] for n in ("dense1/kernel", "dense1/bias", "dense2/kernel", "dense2/bias")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    losses = []
    model.fit(Batches(), epochs=1, shuffle=False, verbose=0, callbacks=[Losses()])
    return np.asarray(losses, dtype=np.float64).tolist()


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
        keep_out("jax")  # (~75 MB): that `import jax` then fails quietly
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
