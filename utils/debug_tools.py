"""The first check (overfit one batch) and the compiled-step debugging tools, in each framework.

Used by notebook 04.

    from utils import debug_tools
    losses = debug_tools.overfit_one_batch("torch")   # one small batch, trained until it is memorised
    debug_tools.torch_graph_breaks()                  # torch._dynamo.explain on a step with `.item()`
    debug_tools.tf_python_side(eager=True)            # what a Python line inside a tf.function sees
    debug_tools.jax_compiled_step()                   # jax.debug.print, jax_debug_nans, Keras eager switch, pdb (JAX)

Every function builds the series' MLP from `utils.models` (one set of weights for all three) and trains
it with the series' one step, `utils.training`, through `utils.equivalence.run_steps`.
"""

from __future__ import annotations

import logging

import numpy as np

from utils import backends, bugs, data, equivalence, models
from utils.checks import check_bool, check_choice, check_int, check_number, check_seconds
from utils.frameworks import COMPARED_IDS

NEAR_ZERO = 0.01  # "memorised": the loss below 1% of chance level's ln(10) = 2.30
OVERFIT_BATCH, OVERFIT_STEPS, OVERFIT_LR = 16, 150, 0.5


def overfit_one_batch(framework: str, steps: int = OVERFIT_STEPS, batch_size: int = OVERFIT_BATCH,
                      learning_rate: float = OVERFIT_LR) -> list[float]:
    """Train the MLP (no dropout) on one batch of digits, again and again; return every loss.

    The first check practitioners run: a model and step that are wired right memorise a handful of
    examples, so the loss goes to about zero. One that cannot has a bug in the model, the loss or the
    update, before any data pipeline or tuning is involved.

    Args:
        framework: "keras", "tensorflow" or "torch".
        steps: SGD steps on the same batch (>= 1). Defaults to 150.
        batch_size: how many training digits (the first ones), 1 to 256. Defaults to 16.
        learning_rate: SGD's step size, > 0. Defaults to 0.5.
    Returns:
        The loss before each step, as Python floats.
    """
    check_choice("framework", framework, COMPARED_IDS)
    steps = check_int("steps", steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=256)
    learning_rate = check_number("learning_rate", learning_rate, minimum=0, inclusive=False)
    ds = data.load("digits")
    x, y = ds.x_train[:batch_size], ds.y_train[:batch_size]
    model = models.build_model(framework, "mlp", models.init_weights("mlp"))
    run = equivalence.run_steps(framework, model, x, y, [np.arange(batch_size)] * steps, lr=learning_rate)
    return [float(v) for v in run["loss"]]


def train_without_dropout(framework: str, steps: int = bugs.STEPS) -> list[float]:
    """The fixed run of `bugs.train` (same weights, batches, SGD rate) without its dropout; every loss.

    Dropout draws a random mask in each framework's own generator, so the three fixed runs of notebook
    04 see different masks; without it the three compute the same numbers.
    """
    check_choice("framework", framework, COMPARED_IDS)
    steps = check_int("steps", steps, minimum=1, maximum=bugs.STEPS)
    ds = data.load("digits")
    batches = [b for e in range(3) for b in data.batch_order(len(ds.y_train), bugs.BATCH, epoch=e, seed=0)][:steps]
    model = models.build_model(framework, "mlp", models.init_weights("mlp"))
    run = equivalence.run_steps(framework, model, ds.x_train, ds.y_train, batches, lr=bugs.LR)
    return [float(v) for v in run["loss"]]


def torch_graph_breaks() -> dict:
    """`torch._dynamo.explain` on a step that logs `loss.item()`, then computes accuracy: graphs and breaks.

    Returns:
        {"graphs": int, "breaks": int, "reasons": [(first line of the reason, "file:line")],
         "python_runs": how many times the logging line ran}.
    """
    import torch

    x, y = (torch.from_numpy(a) for a in bugs.batch())
    model = models.torch_model("mlp", models.init_weights("mlp"))
    history = []

    def step(x, y):
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits, y)
        history.append(loss.item())  # a Python float: TorchDynamo must leave the graph here
        accuracy = (logits.argmax(dim=1) == y).float().mean()
        return loss, accuracy

    logger = logging.getLogger("torch._dynamo")
    level = logger.level
    logger.setLevel(logging.ERROR)  # explain() reports the break itself; keep the warning out of the output
    try:
        torch._dynamo.reset()
        explained = torch._dynamo.explain(step)(x, y)
    finally:
        logger.setLevel(level)
    reasons = [(r.reason.splitlines()[0], f"{r.user_stack[-1].filename.rsplit('/', 1)[-1]}:{r.user_stack[-1].lineno}"
                if r.user_stack else "?") for r in explained.break_reasons]
    return {"graphs": explained.graph_count, "breaks": explained.graph_break_count, "reasons": reasons,
            "python_runs": len(history)}


def tf_python_side(eager: bool = False, calls: int = 3) -> list:
    """What a Python line inside a `tf.function` sees over `calls` calls, with or without the eager switch.

    Without it the line runs once, while tracing, on a symbolic tensor (its type name is kept); with
    `tf.config.run_functions_eagerly(True)` it runs at every call on real values (their sum is kept).
    The switch is set back off before returning.
    """
    check_bool("eager", eager)
    calls = check_int("calls", calls, minimum=1)
    import tensorflow as tf

    seen = []

    @tf.function
    def scaled(x):
        seen.append(float(x.numpy().sum()) if hasattr(x, "numpy") else type(x).__name__)  # a Python-side look
        return 2.0 * x

    tf.config.run_functions_eagerly(eager)
    try:
        for i in range(calls):
            scaled(tf.constant([1.0, float(i)]))
    finally:
        tf.config.run_functions_eagerly(False)
    return seen


def _jax_probe():
    import collections
    import contextlib
    import gc
    import io

    import jax
    import jax.numpy as jnp
    import keras

    from utils import bugs, debugging

    seen = debugging.capture(bugs.keras_compiled)  # the compiled bug, float() of a traced loss, on JAX
    frames = debugging.frames(seen)
    up = len(frames) - 1 - max(i for i, f in enumerate(frames) if f["function"] == "logged_loss")
    post_mortem = debugging.pdb_session(seen, [f"up {up}"] * bool(up) + ["p type(loss).__name__, loss.shape"])

    def call_sees(mode):  # what a Python line in a layer's call() sees over 3 training steps
        types = []

        class Peek(keras.layers.Layer):
            def call(self, x):
                types.append(type(x).__name__)
                return x

        model = keras.Sequential([keras.Input((64,)), Peek(), keras.layers.Dense(10)])
        model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      run_eagerly=mode == "run_eagerly=True", jit_compile=mode != "run_eagerly=True")
        with jax.disable_jit() if mode == "jax.disable_jit()" else contextlib.nullcontext():
            for _ in range(3):
                model.train_on_batch(*bugs.batch())
        return dict(collections.Counter(types))

    keras_sees = {}
    for mode in ("jit_compile=True", "run_eagerly=True", "jax.disable_jit()"):
        keras_sees[mode] = call_sees(mode)
        keras.backend.clear_session()  # this model's compiled steps go before the next one's (a lower peak)
        jax.clear_caches()
        gc.collect()

    @jax.jit
    def logged_log(x):
        print("print sees:", x)  # Python: runs once, while tracing
        jax.debug.print("jax.debug.print sees: {x}", x=x)  # compiled into the function: runs every call
        return jnp.log(x)

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for v in (1.0, 2.0):
            logged_log(jnp.array([v, -v])).block_until_ready()
        jax.effects_barrier()
    nan_error = None
    jax.config.update("jax_debug_nans", True)
    try:
        jax.jit(jnp.log)(jnp.array([1.0, -1.0])).block_until_ready()
    except FloatingPointError as error:
        nan_error = f"{type(error).__name__}: {str(error).splitlines()[0]}"
    finally:
        jax.config.update("jax_debug_nans", False)
    return {"printed": out.getvalue().splitlines(), "nan_error": nan_error, "keras_sees": keras_sees,
            "post_mortem": post_mortem, "failing_line": seen.where}


def jax_compiled_step(timeout: float = 120) -> dict:
    """Debugging on JAX: `print` vs `jax.debug.print`, `jax_debug_nans`, Keras's eager switch, a pdb post-mortem.

    Runs under Keras's JAX back end: here when the kernel's Keras already uses it, else in one child
    process (`utils.backends`). Returns {"printed": the lines printed over two calls of a jitted function,
    "nan_error": the error `jax_debug_nans` raised for `log(-1)`, or None, "keras_sees": for each of
    `jit_compile=True`, `run_eagerly=True` and `jax.disable_jit()`, how many times a Python line in a
    layer's `call` saw each type over 3 `train_on_batch` steps, "post_mortem": pdb's post-mortem of the
    compiled bug (`bugs.keras_compiled`) at its failing line, "failing_line": that line}.
    """
    check_seconds("timeout", timeout)
    return backends.run_in_backend("jax", _jax_probe, timeout=timeout, here=True)
