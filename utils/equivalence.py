"""Cross-framework equivalence: one set of NumPy weights in Keras, TensorFlow and PyTorch gives the same numbers.

    from utils import data, equivalence, models
    ds, w = data.load("digits"), models.init_weights("mlp")
    print(equivalence.compare_forward("mlp", w, ds.x_test))                   # logits
    print(equivalence.compare_sgd_step("mlp", w, ds.x_train[:32], ds.y_train[:32], lr=0.1))
    curves = equivalence.train_curves("mlp", w, ds.x_train, ds.y_train, steps=20, optimizer="sgd", lr=0.1)
    curves.losses                      # {"Keras": array of 20 losses, "TensorFlow": ..., "PyTorch": ...}
    assert curves.passed, curves       # largest difference within the stated tolerance

Each framework trains its own way: Keras with `compile` + `train_on_batch` and its own optimizer;
TensorFlow with `tf.GradientTape`, a `tf.function` step and the update written out on `tf.Variable`s;
PyTorch with `loss.backward()` and `torch.optim`. All three see the same batches
(`utils.data.batch_order`). Gradients and weights are compared in the canonical (Keras/TensorFlow)
layout: PyTorch's are mapped back with `models.from_torch_layout`.

`default_differences` measures settings whose defaults differ between the frameworks (Adam epsilon,
BatchNorm momentum and epsilon, weight initializers, "same" padding, shuffling in `fit`) with the
defaults and aligned.
Keras must run on its TensorFlow back end here (gradients come from `tf.GradientTape`). Building the
models turns TensorFloat-32 off (`full_float32`), so that GPUs compute in full float32 as CPUs do.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import numpy as np

from utils import data, models

FRAMEWORKS = ("Keras", "TensorFlow", "PyTorch")
OPTIMIZERS = ("sgd", "adam")
# Forward passes and one step are a few float32 roundings apart (float32 resolution is 1.2e-7).
TOLERANCE = 1e-5


@dataclass
class Report:
    """Each framework's values of the same quantities, and the largest difference between any two frameworks.

    values[framework][quantity] is an array; quantities are named "group name", e.g. "loss",
    "gradient dense1/kernel", "weights dense1/kernel".
    """

    title: str
    values: dict[str, dict[str, np.ndarray]]
    tolerance: float = TOLERANCE

    def largest(self, group: str | None = None) -> tuple[float, str, str]:
        """(largest absolute difference, quantity, "A vs B") over every pair of frameworks."""
        names = list(self.values)
        best = (0.0, "", "")
        for quantity in self.values[names[0]]:
            if group is not None and quantity.split(" ")[0] != group:
                continue
            for i, a in enumerate(names):
                for b in names[i + 1 :]:
                    d = _difference(self.values[a][quantity], self.values[b][quantity], f"{quantity}, {a} vs {b}")
                    if d > best[0] or not best[1]:
                        best = (d, quantity, f"{a} vs {b}")
        if not best[1]:
            raise ValueError(f"no quantity in group {group!r}: the groups are {self.groups}")
        return best

    @property
    def groups(self) -> list[str]:
        first = self.values[next(iter(self.values))]
        return list(dict.fromkeys(q.split(" ")[0] for q in first))

    @property
    def max_diff(self) -> float:
        return self.largest()[0]

    @property
    def passed(self) -> bool:
        return self.max_diff <= self.tolerance

    @property
    def losses(self) -> dict[str, np.ndarray]:
        """Each framework's loss (one value, or one per training step)."""
        return {name: np.asarray(v["loss"]) for name, v in self.values.items() if "loss" in v}

    def __str__(self) -> str:
        lines = [f"{self.title} ({', '.join(self.values)})"]
        for group in self.groups:
            diff, quantity, pair = self.largest(group)
            lines.append(f"  {group:<10} largest difference {diff:.2g}  ({quantity}, {pair})")
        verdict = "the frameworks agree" if self.passed else "the frameworks DISAGREE"
        lines.append(f"  overall    {self.max_diff:.2g} {'<=' if self.passed else '>'} tolerance "
                     f"{self.tolerance:g}: {verdict}")
        return "\n".join(lines)


def _difference(a, b, what: str) -> float:
    """The largest absolute difference of two arrays of the same shape; inf when either is not finite."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"{what}: shapes {a.shape} and {b.shape} differ (a layout was not converted?)")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return math.inf
    return float(np.max(np.abs(a - b), initial=0.0))


# ---------------------------------------------------------------- argument checks and inputs


def model_input(arch: str, x, sizes: dict | None = None) -> np.ndarray:
    """`x` as float32 in the canonical (channels-last) input shape of `arch`.

    Accepts either that shape, (n,) + models.input_shape(arch), or flat rows (n, features) such as
    digits rows, which are reshaped (the cnn gets 8x8x1 images, the attention model 8 tokens of 8).
    """
    shape = models.input_shape(arch, sizes)  # validates arch and sizes
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a NumPy array, got {type(x).__name__}")
    if x.ndim >= 1 and x.shape[1:] == shape:
        out = x
    elif x.ndim == 2 and x.shape[1] == math.prod(shape):
        out = x.reshape((len(x),) + shape)
    else:
        raise ValueError(f"x for {arch!r} must have shape (n, {', '.join(map(str, shape))}) or flat rows "
                         f"(n, {math.prod(shape)}), got {x.shape}")
    if len(out) == 0:
        raise ValueError("x is empty: pass at least one example")
    if not np.issubdtype(out.dtype, np.number) or not np.all(np.isfinite(out)):
        raise ValueError("x must hold finite numbers")
    return np.ascontiguousarray(out, dtype=np.float32)


def _labels(y, n: int, classes: int) -> np.ndarray:
    if not isinstance(y, np.ndarray):
        raise TypeError(f"y must be a NumPy array of class indices, got {type(y).__name__}")
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be {n} integer class indices, shape ({n},), got {y.dtype} of shape {y.shape}")
    if y.min() < 0 or y.max() >= classes:
        raise ValueError(f"y must hold class indices in 0..{classes - 1}, got {y.min()}..{y.max()}")
    return y.astype(np.int64)


def _positive(name: str, value, kind=float):
    if isinstance(value, bool) or not isinstance(value, int | float if kind is float else int):
        raise TypeError(f"{name} must be a positive {'number' if kind is float else 'int'}, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return value


def _epsilons(epsilon) -> dict[str, float]:
    """Adam epsilon per framework: one number for all, or a dict naming each framework."""
    if isinstance(epsilon, dict):
        if set(epsilon) != set(FRAMEWORKS):
            raise ValueError(f"epsilon as a dict must name exactly {FRAMEWORKS}, got {sorted(epsilon)}")
        return {k: float(_positive(f"epsilon[{k!r}]", v)) for k, v in epsilon.items()}
    return dict.fromkeys(FRAMEWORKS, float(_positive("epsilon", epsilon)))


def full_float32() -> None:
    """Turn TensorFloat-32 off in TensorFlow and PyTorch, so that float32 maths is float32 on GPUs too.

    On NVIDIA GPUs since Ampere, TensorFlow (by default) and PyTorch's cuDNN convolutions (by default)
    multiply with 10-bit mantissas, which moves results by ~1e-3. No effect on CPUs.
    """
    import tensorflow as tf
    import torch

    tf.config.experimental.enable_tensor_float_32_execution(False)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def _build(arch, weights, sizes):
    """The three models from the same weights (the builders check names and shapes); TF32 off."""
    full_float32()
    return (models.keras_model(arch, weights, sizes), models.tf_model(arch, weights, sizes),
            models.torch_model(arch, weights, sizes))


def _keras_variables(model) -> list[tuple[str, object]]:
    """(canonical name, variable) of each trainable weight of a Keras model, in model order."""
    return [(f"{layer.name}/{w.name}", w) for layer in model.layers for w in layer.trainable_weights]


def _torch_grads(model) -> dict[str, np.ndarray]:
    return models.from_torch_layout({models.canonical_name(n): p.grad.numpy() for n, p in model.named_parameters()})


# ---------------------------------------------------------------- the comparisons


def compare_forward(arch: str, weights: dict, x, sizes: dict | None = None, tolerance: float = TOLERANCE) -> Report:
    """The logits of the same model and weights in each framework, on the same inputs."""
    import torch

    sizes = models.resolve_sizes(arch, sizes)
    x = model_input(arch, x, sizes)
    _positive("tolerance", tolerance)
    keras_m, tf_m, torch_m = _build(arch, weights, sizes)
    with torch.no_grad():
        torch_logits = torch_m(torch.from_numpy(models.to_torch_input(arch, x))).numpy()
    values = {
        "Keras": {"logits": np.asarray(keras_m(x, training=False))},
        "TensorFlow": {"logits": tf_m(x).numpy()},
        "PyTorch": {"logits": torch_logits},
    }
    return Report(f"forward pass of {arch!r} on {len(x)} examples", values, tolerance)


def compare_sgd_step(arch: str, weights: dict, x, y, lr: float = 0.1, sizes: dict | None = None,
                     tolerance: float = TOLERANCE) -> Report:
    """One plain-SGD step on one batch: the loss, the gradients and the weights after the step."""
    import keras
    import tensorflow as tf
    import torch

    sizes = models.resolve_sizes(arch, sizes)
    x = model_input(arch, x, sizes)
    y = _labels(y, len(x), sizes["classes"])
    _positive("lr", lr)
    _positive("tolerance", tolerance)
    keras_m, tf_m, torch_m = _build(arch, weights, sizes)
    values = {}

    # Keras: gradients from a tape (the TensorFlow back end), the step from Keras's own training path.
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    named = _keras_variables(keras_m)
    with tf.GradientTape() as tape:
        tape_loss = loss_fn(y, keras_m(x, training=True))
    grads = tape.gradient(tape_loss, [v for _, v in named])
    keras_m.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss=loss_fn)
    loss = keras_m.train_on_batch(x, y)
    values["Keras"] = _step_values(loss, {n: np.asarray(g) for (n, _), g in zip(named, grads, strict=True)},
                                   models.get_weights(keras_m))

    # TensorFlow: tape, then w <- w - lr * g on each tf.Variable.
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=tf_m(x)))
    grads = tape.gradient(loss, tf_m.w)
    for name, variable in tf_m.w.items():
        variable.assign_sub(lr * grads[name])
    values["TensorFlow"] = _step_values(loss, {n: g.numpy() for n, g in grads.items()}, models.get_weights(tf_m))

    # PyTorch: backward, then torch.optim.SGD; its (out, in) / OIHW gradients mapped back to canonical layout.
    optimizer = torch.optim.SGD(torch_m.parameters(), lr=lr)
    optimizer.zero_grad()
    logits = torch_m(torch.from_numpy(models.to_torch_input(arch, x)))
    loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y))
    loss.backward()
    torch_grads = _torch_grads(torch_m)
    optimizer.step()
    values["PyTorch"] = _step_values(loss.item(), torch_grads, models.get_weights(torch_m))
    return Report(f"one SGD step (lr {lr:g}) of {arch!r} on a batch of {len(x)}", values, tolerance)


def _step_values(loss, grads: dict, after: dict) -> dict[str, np.ndarray]:
    out = {"loss": np.asarray(float(loss))}
    out.update({f"gradient {n}": grads[n] for n in sorted(grads)})
    out.update({f"weights {n}": after[n] for n in sorted(after)})
    return out


def training_batches(n: int, batch_size: int, steps: int, seed: int = 0) -> list[np.ndarray]:
    """The index arrays of `steps` batches: passes 0, 1, ... of `utils.data.batch_order`, back to back."""
    _positive("steps", steps, int)
    batches, epoch = [], 0
    while len(batches) < steps:
        batches += data.batch_order(n, batch_size, epoch=epoch, seed=seed)
        epoch += 1
    return batches[:steps]


def train_curves(arch: str, weights: dict, x, y, steps: int = 20, batch_size: int = 32, optimizer: str = "sgd",
                 lr: float = 0.1, epsilon: float | dict = 1e-7, match_epsilon: bool = True, sizes: dict | None = None,
                 seed: int = 0, tolerance: float = 1e-4) -> Report:
    """Train the same model in each framework for `steps` steps on the same batches; the loss of every step.

    optimizer: "sgd" (plain, no momentum) or "adam" (betas 0.9, 0.999). epsilon (Adam only): one number
    for all three, or {"Keras": ..., "TensorFlow": ..., "PyTorch": ...} to try each framework's default.
    Keras adds epsilon to sqrt(v) before Adam's bias correction, PyTorch after it; the TensorFlow Adam is
    written out with Keras's formula. match_epsilon=True gives PyTorch, at step t, eps / sqrt(1 - 0.999**t),
    which is exactly Keras's update; False passes each number to torch.optim.Adam as it is.
    The report holds "loss" (one value per step, before that step's update) and the final weights.
    The default tolerance, 1e-4, is for float32 round-off accumulated over tens of steps.
    """
    sizes = models.resolve_sizes(arch, sizes)
    x = model_input(arch, x, sizes)
    y = _labels(y, len(x), sizes["classes"])
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    _positive("lr", lr)
    _positive("tolerance", tolerance)
    _positive("batch_size", batch_size, int)
    eps = _epsilons(epsilon)
    if not isinstance(match_epsilon, bool):
        raise TypeError(f"match_epsilon must be True or False, got {match_epsilon!r}")
    batches = training_batches(len(x), batch_size, steps, seed)
    keras_m, tf_m, torch_m = _build(arch, weights, sizes)
    values = {
        "Keras": _keras_train(keras_m, x, y, batches, optimizer, lr, eps["Keras"]),
        "TensorFlow": _tf_train(tf_m, x, y, batches, optimizer, lr, eps["TensorFlow"]),
        "PyTorch": _torch_train(torch_m, models.to_torch_input(arch, x), y, batches, optimizer, lr, eps["PyTorch"],
                                match_epsilon),
    }
    setting = f"lr {lr:g}"
    if optimizer == "adam":
        setting += f", epsilon {_describe(eps)}" + (" in Keras's formula" if match_epsilon else " as given")
    return Report(f"{steps} {optimizer.upper()} steps ({setting}) of {arch!r}, batches of {batch_size}",
                  values, tolerance)


def _describe(eps: dict) -> str:
    return f"{eps['Keras']:g}" if len(set(eps.values())) == 1 else ", ".join(f"{k} {v:g}" for k, v in eps.items())


def _curve_values(losses, after: dict) -> dict[str, np.ndarray]:
    return {"loss": np.asarray(losses, dtype=np.float64), **{f"weights {n}": after[n] for n in sorted(after)}}


def _keras_train(model, x, y, batches, optimizer, lr, eps):
    import keras

    opt = keras.optimizers.SGD(learning_rate=lr) if optimizer == "sgd" else keras.optimizers.Adam(lr, epsilon=eps)
    model.compile(optimizer=opt, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    losses = [model.train_on_batch(x[b], y[b]) for b in batches]
    return _curve_values(losses, models.get_weights(model))


def _tf_train(model, x, y, batches, optimizer, lr, eps):
    import tensorflow as tf

    names = list(model.w)
    slots = {n: (tf.Variable(tf.zeros_like(model.w[n])), tf.Variable(tf.zeros_like(model.w[n]))) for n in names}
    t = tf.Variable(0.0)

    @tf.function(reduce_retracing=True)
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=yb, logits=model(xb)))
        grads = tape.gradient(loss, model.w)
        if optimizer == "sgd":
            for n in names:
                model.w[n].assign_sub(lr * grads[n])
            return loss
        t.assign_add(1.0)
        alpha = lr * tf.sqrt(1.0 - 0.999**t) / (1.0 - 0.9**t)
        for n in names:
            m, v = slots[n]
            m.assign_add((grads[n] - m) * (1.0 - 0.9))
            v.assign_add((tf.square(grads[n]) - v) * (1.0 - 0.999))
            model.w[n].assign_sub(alpha * m / (tf.sqrt(v) + eps))
        return loss

    losses = [float(step(tf.constant(x[b]), tf.constant(y[b]))) for b in batches]
    return _curve_values(losses, models.get_weights(model))


def keras_epsilon_in_torch(epsilon: float, step: int, beta_2: float = 0.999) -> float:
    """The PyTorch Adam `eps` that makes step `step` (1, 2, ...) equal to Keras's Adam with `epsilon`."""
    _positive("step", step, int)
    return epsilon / math.sqrt(1.0 - beta_2**step)


def _torch_train(model, x, y, batches, optimizer, lr, eps, match_epsilon=False):
    import torch

    params = model.parameters()
    opt = torch.optim.SGD(params, lr=lr) if optimizer == "sgd" else torch.optim.Adam(params, lr=lr, eps=eps)
    xs, ys, losses = torch.from_numpy(x), torch.from_numpy(y), []
    model.train()
    for step, b in enumerate(batches, 1):
        index = torch.from_numpy(b)
        if optimizer == "adam" and match_epsilon:
            opt.param_groups[0]["eps"] = keras_epsilon_in_torch(eps, step)
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xs[index]), ys[index])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return _curve_values(losses, models.get_weights(model))


# ---------------------------------------------------------------- defaults that differ, measured


def library_defaults() -> dict[str, dict[str, object]]:
    """Defaults read from the installed Keras and PyTorch (not typed in by hand)."""
    import keras
    import torch

    def default(func, name):
        return inspect.signature(func).parameters[name].default

    return {
        "Keras": {
            "adam epsilon": default(keras.optimizers.Adam.__init__, "epsilon"),
            "batchnorm momentum": default(keras.layers.BatchNormalization.__init__, "momentum"),
            "batchnorm epsilon": default(keras.layers.BatchNormalization.__init__, "epsilon"),
            "dense initializer": default(keras.layers.Dense.__init__, "kernel_initializer"),
            "dense bias": default(keras.layers.Dense.__init__, "bias_initializer"),
        },
        "PyTorch": {
            "adam epsilon": default(torch.optim.Adam.__init__, "eps"),
            "batchnorm momentum": default(torch.nn.BatchNorm1d.__init__, "momentum"),
            "batchnorm epsilon": default(torch.nn.BatchNorm1d.__init__, "eps"),
            "dense initializer": "kaiming_uniform_(a=sqrt(5)): U(+-1/sqrt(fan_in))",
            "dense bias": "U(+-1/sqrt(fan_in))",
        },
    }


@dataclass
class Difference:
    """One setting whose default differs: what was measured with each framework's default and aligned."""

    setting: str
    keras: str
    pytorch: str
    measured: str
    with_defaults: float
    aligned: float
    how: str


def adam_epsilon(arch: str, weights: dict, x, y, steps: int = 20, lr: float = 1e-3) -> list[Difference]:
    """Keras vs PyTorch Adam over `steps` steps: largest weight difference with default and aligned epsilons.

    Keras adds epsilon to sqrt(v) before the bias correction, PyTorch after it: the same number is not the
    same setting; aligned means PyTorch gets `keras_epsilon_in_torch(epsilon, t)` at each step t.
    """
    d = library_defaults()
    keras_eps, torch_eps = d["Keras"]["adam epsilon"], d["PyTorch"]["adam epsilon"]
    sizes = models.resolve_sizes(arch)
    x = model_input(arch, x, sizes)
    y = _labels(y, len(x), sizes["classes"])
    batches = training_batches(len(x), 32, steps)
    keras_m, tf_m, _ = _build(arch, weights, sizes)
    keras_side = {"Keras": _keras_train(keras_m, x, y, batches, "adam", lr, keras_eps),  # trained once:
                  "TensorFlow": _tf_train(tf_m, x, y, batches, "adam", lr, keras_eps)}  # only PyTorch varies

    def drift(torch_eps, match):
        torch_after = _torch_train(models.torch_model(arch, weights), models.to_torch_input(arch, x), y, batches,
                                   "adam", lr, torch_eps, match)
        return Report("Adam", {**keras_side, "PyTorch": torch_after}).largest("weights")[0]

    same_number = drift(keras_eps, False)
    return [Difference("Adam epsilon", f"{keras_eps:g}, before bias corr.", f"{torch_eps:g}, after bias corr.",
                       f"largest weight difference, {steps} steps", drift(torch_eps, False), drift(keras_eps, True),
                       f"PyTorch eps = {keras_eps:g} / sqrt(1 - 0.999**t) at step t (keras_epsilon_in_torch); "
                       f"eps={keras_eps:g} alone still leaves {same_number:.1g}")]


def batchnorm(x, batch_size: int = 32, steps: int = 20) -> list[Difference]:
    """keras.layers.BatchNormalization vs torch.nn.BatchNorm1d on `steps` training batches of rows `x`."""
    import keras
    import torch

    if not isinstance(x, np.ndarray) or x.ndim != 2:
        raise ValueError(f"x must be a NumPy array of (n, features) rows, got {getattr(x, 'shape', type(x))}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    batches = training_batches(len(x), batch_size, steps)
    d = library_defaults()
    k_mom, k_eps = d["Keras"]["batchnorm momentum"], d["Keras"]["batchnorm epsilon"]
    t_mom, t_eps = d["PyTorch"]["batchnorm momentum"], d["PyTorch"]["batchnorm epsilon"]

    def run(torch_momentum, torch_eps):
        """(largest difference of training-mode outputs, of the moving statistics at the end)."""
        k = keras.layers.BatchNormalization()
        t = torch.nn.BatchNorm1d(x.shape[1], momentum=torch_momentum, eps=torch_eps).train()
        out = 0.0
        for b in batches:  # training mode: normalise with the batch's statistics, update the moving ones
            with torch.no_grad():
                t_out = t(torch.from_numpy(x[b])).numpy()
            out = max(out, float(np.abs(np.asarray(k(x[b], training=True)) - t_out).max()))
        stats = max(np.abs(k.moving_mean.numpy() - t.running_mean.numpy()).max(),
                    np.abs(k.moving_variance.numpy() - t.running_var.numpy()).max())
        return out, float(stats)

    default_out, default_stats = run(t_mom, t_eps)
    aligned_out, aligned_stats = run(1 - k_mom, k_eps)
    return [
        Difference("BatchNorm epsilon", f"{k_eps:g}", f"{t_eps:g}", "training-mode outputs", default_out,
                   aligned_out, f"BatchNorm1d(eps={k_eps:g})"),
        Difference("BatchNorm momentum", f"{k_mom:g} (share kept)", f"{t_mom:g} (share taken)",
                   f"moving mean/variance after {steps} batches", default_stats, aligned_stats,
                   f"BatchNorm1d(momentum={1 - k_mom:.2g}); what is left: PyTorch's running variance is "
                   "unbiased (times n/(n-1)), Keras's is not"),
    ]


def initializers(fan_in: int = 64, fan_out: int = 64, seed: int = 0) -> list[Difference]:
    """Std of a fresh dense kernel: Keras's Glorot uniform vs PyTorch's Kaiming uniform (a=sqrt(5))."""
    import keras
    import torch

    _positive("fan_in", fan_in, int)
    _positive("fan_out", fan_out, int)
    default = keras.initializers.get(library_defaults()["Keras"]["dense initializer"])
    layer = keras.layers.Dense(fan_out, kernel_initializer=type(default)(seed=seed))  # the default, seeded
    layer.build((None, fan_in))
    keras_std = float(np.std(layer.kernel.numpy()))
    with torch.random.fork_rng():  # seeded without touching the notebook's own random stream
        torch.manual_seed(seed)
        linear = torch.nn.Linear(fan_in, fan_out)
        torch_std = float(linear.weight.detach().std())
        torch.nn.init.xavier_uniform_(linear.weight)
        aligned_std = float(linear.weight.detach().std())
    return [Difference("Dense kernel initializer", "glorot_uniform", "kaiming_uniform_(a=sqrt(5))",
                       f"ratio of kernel std, {fan_in}->{fan_out} layer",
                       keras_std / torch_std, keras_std / aligned_std,
                       "nn.init.xavier_uniform_(w); nn.init.zeros_(b) (or load the same weights)")]


def fit_shuffle(arch: str, weights: dict, x, y, batch_size: int = 32, lr: float = 0.1) -> list[Difference]:
    """One epoch of Keras `fit` on arrays vs a PyTorch loop over the same batches: the final weights.

    The arrays are put in the order of `utils.data.batch_order` (pass 0), so fit's consecutive batches
    are the loop's batches, unless `fit` shuffles them (its default, `shuffle=True`); a PyTorch
    DataLoader keeps its order unless asked (`shuffle=False` is its default).
    """
    import keras
    import torch

    sizes = models.resolve_sizes(arch)
    x = model_input(arch, x, sizes)
    y = _labels(y, len(x), sizes["classes"])
    batches = data.batch_order(len(x), batch_size)  # validates batch_size
    order = np.concatenate(batches)
    torch_after = _torch_train(models.torch_model(arch, weights), models.to_torch_input(arch, x), y, batches, "sgd",
                               lr, 0.0)
    keras_default = inspect.signature(keras.Model.fit).parameters["shuffle"].default
    torch_default = inspect.signature(torch.utils.data.DataLoader.__init__).parameters["shuffle"].default

    def gap(shuffle):
        model = models.keras_model(arch, weights)
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x[order], y[order], batch_size=batch_size, epochs=1, shuffle=shuffle, verbose=0)
        after = models.get_weights(model)
        return max(float(np.abs(after[n] - torch_after[f"weights {n}"]).max()) for n in after)

    return [Difference("shuffling", f"fit(shuffle={keras_default})", f"DataLoader(shuffle={bool(torch_default)})",
                       "largest weight difference, 1 epoch", gap(keras_default), gap(False),
                       "model.fit(..., shuffle=False) when the data is already in the order you want")]


def padding(seed: int = 0) -> list[Difference]:
    """Keras 'same' padding vs PyTorch padding=1 for a 3x3 convolution at stride 2 on 8x8 digits images."""
    import keras
    import torch

    x = data.as_images(data.load("digits").x_test[:64])
    kernel = models.init_weights("cnn", seed=seed)["conv1/kernel"]  # HWIO
    conv = keras.layers.Conv2D(kernel.shape[-1], 3, strides=2, padding="same", use_bias=False)
    conv.build(x.shape)
    conv.set_weights([kernel])
    keras_out = np.asarray(conv(x))  # (n, 4, 4, filters)
    w = torch.from_numpy(models.to_torch_layout({"conv/kernel": kernel})["conv/kernel"])
    xt = torch.from_numpy(models.to_torch_input("cnn", x))
    with torch.no_grad():
        symmetric = torch.nn.functional.conv2d(xt, w, stride=2, padding=1)
        # TensorFlow pads (out-1)*stride + k - in = 1 pixel in all, at the bottom/right only.
        bottom_right = torch.nn.functional.conv2d(torch.nn.functional.pad(xt, (0, 1, 0, 1)), w, stride=2)

    def diff(out):
        return float(np.abs(out.numpy().transpose(0, 2, 3, 1) - keras_out).max())

    return [Difference("'same' padding at stride 2", "pads bottom/right", "padding=1 pads both sides",
                       "conv outputs on 8x8 images", diff(symmetric), diff(bottom_right),
                       "F.pad(x, (0, 1, 0, 1)) then padding=0")]


def default_differences(arch: str = "mlp", steps: int = 20) -> list[Difference]:
    """Every measured default difference on digits (takes a few seconds)."""
    ds = data.load("digits")
    weights = models.init_weights(arch)
    return (adam_epsilon(arch, weights, ds.x_train, ds.y_train, steps=steps) + batchnorm(ds.x_train, steps=steps)
            + initializers() + padding() + fit_shuffle(arch, weights, ds.x_train, ds.y_train))


def table(rows: list[Difference]) -> str:
    """The measured differences as a fixed-width text table (numbers to 2 significant digits)."""
    if not rows or not all(isinstance(r, Difference) for r in rows):
        raise TypeError("rows must be a non-empty list of Difference, as default_differences returns")
    columns = [("setting", [r.setting for r in rows]), ("Keras", [r.keras for r in rows]),
               ("PyTorch", [r.pytorch for r in rows]), ("measured", [r.measured for r in rows])]
    widths = [max(len(title), *map(len, cells)) + 2 for title, cells in columns]
    head = "".join(f"{title:<{w}}" for (title, _), w in zip(columns, widths, strict=True))
    lines = [head + f"{'defaults':>9}{'aligned':>9}", "-" * (len(head) + 18)]
    for i, r in enumerate(rows):
        cells = "".join(f"{cells[i]:<{w}}" for (_, cells), w in zip(columns, widths, strict=True))
        lines.append(cells + f"{r.with_defaults:>9.2g}{r.aligned:>9.2g}")
    lines += ["", "how to align:"] + [f"  {r.setting}: {r.how}" for r in rows]
    return "\n".join(lines)
