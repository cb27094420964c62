"""The steps the benchmark times, built from `utils.training` (the series' one training step per framework).

Used by notebook 02 (speed) through `utils.bench`; runs inside a worker process (one back end each).
Each timed thing has `block(steps)`: run `steps` steps, wait for the device, return (last loss, seconds
or None). Keras is timed as users run it, through `fit`: one epoch of `steps` steps on one batch served
again and again (a repeated tf.data dataset on TensorFlow, a PyDataset elsewhere), clocked from the
epoch's start to its end (`fit`'s own set-up before the epoch is left out); `per_call()` is one
`train_on_batch`, the per-call cost shown beside it.

The same job: every configuration steps on a batch that is already a tensor of its back end, made once
(native code: `tf.constant`, `torch.from_numpy(...).to(device)`; Keras on TensorFlow: a tf.data dataset of
the tensors; Keras on JAX and torch: a PyDataset that returns the back end's tensors, which Keras passes
through unconverted). What Keras still does per step to draw the batch (its data adapter: the PyDataset,
and on torch a DataLoader) is timed apart as `feed(steps)` -> seconds, shown beside the step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from utils import models, training
from utils.bench.configs import CONFIGS, LEARNING_RATE, check_grid, synthetic_batch
from utils.checks import check_choice, check_int


@dataclass
class Timed:
    """Something the worker times: `block(steps)` runs `steps` steps; returns (last loss, seconds or None).

    seconds is None when the caller's clock around the call is the right measure.

    `per_call` (Keras only) runs one `train_on_batch` and returns its loss; `device` says where it runs;
    `feed(steps)` (Keras on JAX or torch) draws `steps` batches through fit's data adapter, returns seconds.
    """

    block: object
    device: str
    per_call: object = None
    feed: object = None


def native_block(step: training.Step, x, y):
    """`block(steps)` for a TensorFlow or PyTorch step: `steps` calls, then one wait for the device."""
    def block(steps: int) -> float:
        for _ in range(steps):
            loss = step(x, y)
        return step.sync(loss), None
    return block


def keras_fit_block(model, x, y):
    """`block(steps)` for a compiled Keras model: `fit` for one epoch of `steps` steps on the batch (x, y).

    x, y: NumPy arrays, or (JAX, torch) the back end's tensors, which Keras's data adapters pass through.
    """
    import keras

    class OneBatch(keras.utils.PyDataset):
        def __init__(self, steps):
            super().__init__()
            self.steps = steps

        def __len__(self):
            return self.steps

        def __getitem__(self, index):
            return x, y

    class EpochClock(keras.callbacks.Callback):  # epoch hooks only: Keras keeps its asynchronous dispatch
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):  # the epoch's logs are read back (synchronised) by now
            self.seconds = time.perf_counter() - self.start

    if keras.backend.backend() == "tensorflow":  # what a TensorFlow user feeds `fit`: a tf.data pipeline
        import tensorflow as tf

        one = tf.data.Dataset.from_tensors((x, y))

        def data(steps):  # exactly `steps` batches: with steps_per_execution, Keras stops where the data ends
            return {"x": one.repeat(steps)}
    else:
        def data(steps):
            return {"x": OneBatch(steps)}

    def block(steps: int):
        clock = EpochClock()
        history = model.fit(**data(steps), epochs=1, verbose=0, shuffle=False, callbacks=[clock])
        return float(history.history["loss"][-1]), clock.seconds
    return block, data


def keras_feed(data):
    """`feed(steps)` -> seconds: draw `steps` batches through the data adapter `fit` builds from `data(steps)`.

    Keras's own iterators (`get_jax_iterator`, `get_torch_dataloader`), as its JAX and torch trainers use them;
    None on TensorFlow, where `fit` draws the batch inside its compiled step.
    """
    import keras

    backend = keras.backend.backend()
    if backend not in ("jax", "torch"):
        return None
    from keras.src.trainers.data_adapters import get_data_adapter

    def feed(steps: int) -> float:
        adapter = get_data_adapter(data(steps)["x"], shuffle=False)
        batches = adapter.get_jax_iterator() if backend == "jax" else adapter.get_torch_dataloader()
        start = time.perf_counter()
        for _ in batches:
            pass
        return time.perf_counter() - start
    return feed


def timed_step(config: str, workload: str, batch: int, sizes: dict | None = None, seed: int = 0,
              learning_rate: float = LEARNING_RATE) -> Timed:
    """The timed training step of `config` on `workload`, built in this process from `models.init_weights`."""
    (config,), (workload,), _, per_sizes = check_grid(config, workload, batch, {workload: sizes} if sizes else None)
    c = CONFIGS[config]
    sizes = per_sizes[workload]
    if c.framework == "keras":
        import keras

        check_choice("this process's Keras back end (run it through bench.run)", keras.backend.backend(),
                     (c.process,))
    weights = models.init_weights(workload, sizes, seed)
    x, y = synthetic_batch(workload, batch, sizes, seed)
    model = models.build_model(c.framework, workload, weights, sizes)
    if c.framework == "keras":
        step = training.keras_step(model, learning_rate=learning_rate, mode=c.mode)
        if c.steps_per_execution > 1:  # Keras's fix for per-step overhead: compiled again, N steps per call
            model.compile(optimizer=step.optimizer, loss=model.loss, jit_compile=c.mode == "compiled",
                          steps_per_execution=c.steps_per_execution)
        if c.process != "tensorflow":  # the back end's tensors, made once, as the native code gets them
            x, y = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(y)
        block, data = keras_fit_block(model, x, y)
        return Timed(block=block, device=_keras_device(model), per_call=lambda: step.sync(step(x, y)),
                     feed=keras_feed(data))
    if c.framework == "tensorflow":
        import tensorflow as tf

        x, y = tf.constant(x), tf.constant(y)
        step = training.tensorflow_step(model, learning_rate=learning_rate, mode=c.mode)
        return Timed(block=native_block(step, x, y), device=x.device or "cpu")
    import torch

    from utils.setup import torch_device

    device = torch_device()
    model = model.to(device)
    if c.mode == "compiled":  # every model here shares one `forward`; past dynamo's limit (8) it would fall back
        torch._dynamo.config.recompile_limit = max(64, torch._dynamo.config.recompile_limit)
    tx = torch.from_numpy(models.to_torch_input(workload, x)).to(device)  # images: channels first
    step = training.torch_step(model, learning_rate=learning_rate, mode=c.mode)
    return Timed(block=native_block(step, tx, torch.from_numpy(y).to(device)), device=str(tx.device))


def _keras_device(model) -> str:
    variable = model.trainable_variables[0].value
    device = getattr(variable, "device", None)
    if device is None and hasattr(variable, "devices"):  # a JAX array
        device = next(iter(variable.devices()))
    return str(device)


def matmul(library: str, n: int, seed: int = 0) -> Timed:
    """A float32 (n x n) @ (n x n) product in one library (2 n^3 FLOPs a step), timed like a step."""
    check_int("n", n, minimum=1)
    check_int("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    if library == "numpy":
        run, sync, device = (lambda: a @ b), (lambda c: float(c[0, 0])), "cpu"
    elif library == "tensorflow":
        import tensorflow as tf

        ta, tb = tf.constant(a), tf.constant(b)
        run, sync, device = (lambda: tf.matmul(ta, tb)), (lambda c: float(c[0, 0])), ta.device or "cpu"
    elif library == "jax":
        import jax

        ja, jb = jax.device_put(a), jax.device_put(b)
        product = jax.jit(lambda p, q: p @ q)
        run, sync = (lambda: product(ja, jb)), (lambda c: float(c.block_until_ready()[0, 0]))
        device = str(next(iter(ja.devices())))
    else:
        import torch

        from utils.setup import torch_device

        ta, tb = torch.from_numpy(a).to(torch_device()), torch.from_numpy(b).to(torch_device())
        run, sync, device = (lambda: ta @ tb), (lambda c: float(c[0, 0].item())), str(ta.device)

    def block(steps: int):
        for _ in range(steps):
            product_ = run()
        return sync(product_), None
    return Timed(block=block, device=device)
