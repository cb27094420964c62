"""The series' one training step, written once per framework with the same name pattern and signature.

Used by notebooks 01 (level of API) and 02 (speed) to print and run it, by `utils.bench` (which times it)
and by `utils.equivalence` (which checks that the three compute the same numbers).

    step = training.torch_step(model, optimizer="sgd", learning_rate=0.1)
    loss = step(x, y)            # one step on a batch (forward, cross-entropy, backward, update)
    step.sync(loss)              # waits for the device; the loss as a Python float

Every step minimises the mean cross-entropy of integer labels computed from logits, with plain SGD or
Adam (betas 0.9 and 0.999). `mode` says how the step runs:
- None: the framework's own default (Keras `compile()` as it comes, with `jit_compile="auto"`;
  TensorFlow and PyTorch eager);
- "eager": op by op in Python (Keras `run_eagerly=True`);
- "graph": traced once into a graph, no compiler (Keras `jit_compile=False`, which is a `tf.function`
  graph on the TensorFlow back end and plain eager calls on JAX and PyTorch; TensorFlow `tf.function`);
- "compiled": a compiler (Keras `jit_compile=True`: XLA on TensorFlow and JAX, `torch.compile` on
  PyTorch; TensorFlow `tf.function(jit_compile=True)`: XLA; PyTorch `torch.compile`).
PyTorch has no "graph" mode without its compiler.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from utils.checks import check_choice, check_int, check_number

OPTIMIZERS = ("sgd", "adam")
MODES = {"keras": (None, "eager", "graph", "compiled"), "tensorflow": (None, "eager", "graph", "compiled"),
         "torch": (None, "eager", "compiled")}
BETA_1, BETA_2 = 0.9, 0.999


@dataclass
class Step:
    """A training step ready to run: `step(x, y)` trains on one batch and returns the loss.

    `sync(loss)` waits for the device and returns the loss as a float; `optimizer` is the framework's
    optimizer object (PyTorch, Keras) or None (TensorFlow's update is written out).
    """

    run: object = field(repr=False)
    sync: object = field(repr=False)
    framework: str
    mode: str | None
    optimizer: object = field(default=None, repr=False)

    def __call__(self, x, y):
        return self.run(x, y)


def _checked(framework: str, optimizer, learning_rate, epsilon, mode) -> tuple[float, float]:
    check_choice("optimizer", optimizer, OPTIMIZERS)
    lr = check_number("learning_rate", learning_rate, minimum=0, inclusive=False)
    eps = check_number("epsilon", epsilon, minimum=0, inclusive=False)
    if mode is not None:
        check_choice("mode", mode, [m for m in MODES[framework] if m])
    return lr, eps


def keras_step(model, optimizer: str = "sgd", learning_rate: float = 0.01, epsilon: float = 1e-7,
               mode: str | None = None) -> Step:
    """Keras (any back end): `compile` with the optimizer and loss, then `train_on_batch`.

    Args:
        model: a Keras model that returns logits (e.g. `utils.models.keras_model`).
        optimizer: "sgd" (plain, no momentum) or "adam".
        learning_rate: the step size, > 0.
        epsilon: Adam's epsilon (Keras's default, 1e-7; PyTorch's own default is 1e-8).
        mode: None, "eager", "graph" or "compiled" (see the module docstring).
    Returns:
        A Step; `step(x, y)` returns the loss as a float (Keras reads it back every step).
    """
    lr, eps = _checked("keras", optimizer, learning_rate, epsilon, mode)
    import keras

    opt = keras.optimizers.SGD(learning_rate=lr) if optimizer == "sgd" else keras.optimizers.Adam(lr, epsilon=eps)
    compile_args = {None: {}, "eager": {"run_eagerly": True}, "graph": {"jit_compile": False},
                    "compiled": {"jit_compile": True}}[mode]
    model.compile(optimizer=opt, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), **compile_args)
    return Step(run=model.train_on_batch, sync=float, framework="keras", mode=mode, optimizer=opt)


def tensorflow_step(model, optimizer: str = "sgd", learning_rate: float = 0.01, epsilon: float = 1e-7,
                    mode: str | None = None) -> Step:
    """TensorFlow's own API: `GradientTape`, then the update written out on each `tf.Variable`.

    Args:
        model: a `tf.Module` (or any callable with `trainable_variables`) that returns logits.
        optimizer, learning_rate, epsilon, mode: as in `keras_step`; Adam is written out with Keras's
            formula (epsilon added to sqrt(v) before the bias correction).
    Returns:
        A Step; `step(x, y)` returns the loss as a scalar tensor.
    """
    lr, eps = _checked("tensorflow", optimizer, learning_rate, epsilon, mode)
    import tensorflow as tf

    variables = list(model.trainable_variables)
    moments = [(tf.Variable(tf.zeros_like(v)), tf.Variable(tf.zeros_like(v))) for v in variables]
    t = tf.Variable(0.0)

    def update(gradients):
        if optimizer == "sgd":
            for variable, gradient in zip(variables, gradients, strict=True):
                variable.assign_sub(lr * gradient)
            return
        t.assign_add(1.0)
        alpha = lr * tf.sqrt(1.0 - BETA_2**t) / (1.0 - BETA_1**t)
        for variable, gradient, (m, v) in zip(variables, gradients, moments, strict=True):
            m.assign_add((gradient - m) * (1.0 - BETA_1))
            v.assign_add((tf.square(gradient) - v) * (1.0 - BETA_2))
            variable.assign_sub(alpha * m / (tf.sqrt(v) + eps))

    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=model(x)))
        update(tape.gradient(loss, variables))
        return loss

    if mode == "graph":
        train_step = tf.function(train_step, reduce_retracing=True)
    elif mode == "compiled":
        train_step = tf.function(train_step, jit_compile=True, reduce_retracing=True)
    return Step(run=train_step, sync=lambda loss: float(loss.numpy()), framework="tensorflow", mode=mode)


def torch_step(model, optimizer: str = "sgd", learning_rate: float = 0.01, epsilon: float = 1e-7,
               mode: str | None = None) -> Step:
    """PyTorch: zero the gradients, forward, `backward()`, `optimizer.step()`.

    Args:
        model: an `nn.Module` that returns logits; x and y must be on its device.
        optimizer, learning_rate, epsilon, mode: as in `keras_step`; "adam" is `torch.optim.Adam`, which adds
            epsilon after the bias correction (see `keras_epsilon_in_torch`).
    Returns:
        A Step; `step(x, y)` returns the loss as a scalar tensor.
    """
    lr, eps = _checked("torch", optimizer, learning_rate, epsilon, mode)
    import torch
    import torch.nn.functional as F

    network = torch.compile(model) if mode == "compiled" else model
    params = model.parameters()
    opt = torch.optim.SGD(params, lr=lr) if optimizer == "sgd" else torch.optim.Adam(params, lr=lr, eps=eps)

    def train_step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(network(x), y)
        loss.backward()
        opt.step()
        return loss

    model.train()
    return Step(run=train_step, sync=lambda loss: float(loss.item()), framework="torch", mode=mode, optimizer=opt)


STEPS = {"keras": keras_step, "tensorflow": tensorflow_step, "torch": torch_step}


def make_step(framework: str, model, optimizer: str = "sgd", learning_rate: float = 0.01, epsilon: float = 1e-7,
              mode: str | None = None) -> Step:
    """The step of `framework` ("keras", "tensorflow" or "torch"), chosen by name."""
    check_choice("framework", framework, tuple(STEPS))
    return STEPS[framework](model, optimizer, learning_rate, epsilon, mode)


def keras_epsilon_in_torch(epsilon: float, step: int, beta_2: float = BETA_2) -> float:
    """The PyTorch Adam `eps` that makes step `step` (1, 2, ...) equal to Keras's Adam with `epsilon`.

    Keras adds epsilon to sqrt(v) before the bias correction, PyTorch after it; dividing by
    sqrt(1 - beta_2**step) moves it from one side to the other.
    """
    epsilon = check_number("epsilon", epsilon, minimum=0, inclusive=False)
    step = check_int("step", step, minimum=1)
    beta_2 = check_number("beta_2", beta_2, minimum=0, maximum=1, inclusive=False)
    return epsilon / math.sqrt(1.0 - beta_2**step)
