"""Do Keras, TensorFlow and PyTorch compute the same numbers from one set of NumPy weights?

Used by notebooks 00 and 01 (and by `utils.defaults`, which measures the defaults that differ).

    from utils import data, equivalence, models
    ds, w = data.load("digits"), models.init_weights("mlp")
    print(equivalence.compare_forward("mlp", w, ds.x_test))                   # logits
    print(equivalence.compare_sgd_step("mlp", w, ds.x_train[:32], ds.y_train[:32], lr=0.1))
    curves = equivalence.train_curves("mlp", w, ds.x_train, ds.y_train, steps=20, optimizer="sgd", lr=0.1)
    curves.losses                      # {"Keras": array of 20 losses, "TensorFlow": ..., "PyTorch": ...}
    assert curves.passed, curves       # largest difference within the stated tolerance

Each framework trains with its step from `utils.training` (Keras `compile` + `train_on_batch`, TensorFlow
`GradientTape` in a `tf.function` with the update written out, PyTorch `backward()` + `torch.optim`), on
the same batches (`utils.data.batch_order`). Gradients and weights are compared in the canonical
(Keras/TensorFlow) layout: PyTorch's are mapped back with `models.from_torch_layout`. An `Agreement`
states its tolerance (an absolute difference) and reports the largest difference and where it is.
Keras must run on its TensorFlow back end here (its gradients come from `tf.GradientTape`). Building the
models turns TensorFloat-32 off (`full_float32`), so that GPUs compute in full float32 as CPUs do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from utils import data, models, training
from utils.checks import check_bool, check_choice, check_int, check_number
from utils.frameworks import COMPARED

NAMES = tuple(f.name for f in COMPARED)  # "Keras", "TensorFlow", "PyTorch": the keys of every Agreement
# How each framework's step runs in the harness: Keras as compile() leaves it, TensorFlow in a tf.function.
HARNESS_MODES = {"keras": None, "tensorflow": "graph", "torch": None}

# Forward passes and one step are a few float32 roundings apart (float32 resolution is 1.2e-7).
TOLERANCE = 1e-5


@dataclass
class Agreement:
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


# ---------------------------------------------------------------- inputs


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
    if not np.issubdtype(out.dtype, np.number):
        raise TypeError(f"x must hold numbers, got dtype {out.dtype}")
    if not np.all(np.isfinite(out)):
        raise ValueError("x must hold finite numbers (no NaN or infinity)")
    return np.ascontiguousarray(out, dtype=np.float32)


def labels(y, n: int, classes: int) -> np.ndarray:
    """`y` as int64 class indices for `n` examples of `classes` classes."""
    if not isinstance(y, np.ndarray):
        raise TypeError(f"y must be a NumPy array of class indices, got {type(y).__name__}")
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be {n} integer class indices, shape ({n},), got {y.dtype} of shape {y.shape}")
    if y.min() < 0 or y.max() >= classes:
        raise ValueError(f"y must hold class indices in 0..{classes - 1}, got {y.min()}..{y.max()}")
    return y.astype(np.int64)


def _epsilons(epsilon) -> dict[str, float]:
    """Adam epsilon per framework: one number for all, or a dict naming each framework."""
    if isinstance(epsilon, dict):
        if set(epsilon) != set(NAMES):
            raise ValueError(f"epsilon as a dict must name exactly {NAMES}, got {sorted(epsilon)}")
        return {k: check_number(f"epsilon[{k!r}]", v, minimum=0, inclusive=False) for k, v in epsilon.items()}
    return dict.fromkeys(NAMES, check_number("epsilon", epsilon, minimum=0, inclusive=False))


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


def build_models(arch: str, weights: dict, sizes: dict | None = None) -> dict:
    """The model in each framework from the same weights (checked by the builders); TF32 off."""
    full_float32()
    return {f.id: models.build_model(f.id, arch, weights, sizes) for f in COMPARED}


def _tape_gradients(model, variables, x, y, loss_of=None) -> list:
    """Gradients of the mean cross-entropy by `tf.GradientTape` (a tf.Module, or Keras on TensorFlow)."""
    import tensorflow as tf

    if loss_of is None:  # TensorFlow's own loss: Keras's would give JAX or torch tensors on those back ends
        def loss_of(labels, logits):
            return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    with tf.GradientTape() as tape:
        loss = loss_of(y, model(x))
    return tape.gradient(loss, variables)


def _keras_gradients(model, variables, x, y) -> list[np.ndarray]:
    """Gradients of the mean cross-entropy of a Keras model, by the back end Keras runs on.

    TensorFlow: `tf.GradientTape`; JAX: `jax.grad` of the model's `stateless_call`; PyTorch: `backward()`.
    """
    import keras

    backend = keras.backend.backend()
    loss_of = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    if backend == "tensorflow":
        return [np.asarray(g) for g in _tape_gradients(model, variables, x, y, loss_of)]
    if backend == "jax":
        import jax

        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]

        def loss(values):
            return loss_of(y, model.stateless_call(values, non_trainable, x)[0])

        by_id = {id(v): g for v, g in zip(model.trainable_variables, jax.grad(loss)(trainable), strict=True)}
        return [np.asarray(by_id[id(v)]) for v in variables]
    for v in variables:  # torch: the gradients land in each parameter's .grad
        v.value.grad = None
    loss_of(y, model(x)).backward()
    return [v.value.grad.detach().cpu().numpy() for v in variables]


def _as_tensors(framework: str, x: np.ndarray, y: np.ndarray):
    """A NumPy batch as the framework's tensors (Keras takes NumPy; PyTorch's CNN takes channels-first)."""
    if framework == "tensorflow":
        import tensorflow as tf

        return tf.constant(x), tf.constant(y)
    if framework == "torch":
        import torch

        return torch.from_numpy(x), torch.from_numpy(y)
    return x, y


def _check_tolerance(tolerance) -> float:
    return check_number("tolerance", tolerance, minimum=0, inclusive=False)


# ---------------------------------------------------------------- the comparisons


def compare_forward(arch: str, weights: dict, x, sizes: dict | None = None, tolerance: float = TOLERANCE
                    ) -> Agreement:
    """The logits of the same model and weights in each framework, on the same inputs."""
    import keras
    import torch

    sizes = models.resolve_sizes(arch, sizes)
    x = model_input(arch, x, sizes)
    tolerance = _check_tolerance(tolerance)
    built = build_models(arch, weights, sizes)
    with torch.no_grad():
        torch_logits = built["torch"](torch.from_numpy(models.to_torch_input(arch, x))).numpy()
    values = {
        "Keras": {"logits": keras.ops.convert_to_numpy(built["keras"](x, training=False))},
        "TensorFlow": {"logits": built["tensorflow"](x).numpy()},
        "PyTorch": {"logits": torch_logits},
    }
    return Agreement(f"forward pass of {arch!r} on {len(x)} examples", values, tolerance)


def compare_sgd_step(arch: str, weights: dict, x, y, lr: float = 0.1, sizes: dict | None = None,
                     tolerance: float = TOLERANCE) -> Agreement:
    """One plain-SGD step of `utils.training` on one batch: the loss, the gradients, the weights after it."""
    sizes = models.resolve_sizes(arch, sizes)
    x = model_input(arch, x, sizes)
    y = labels(y, len(x), sizes["classes"])
    lr = check_number("lr", lr, minimum=0, inclusive=False)
    tolerance = _check_tolerance(tolerance)
    built = build_models(arch, weights, sizes)
    keras_m, tf_m, torch_m = built["keras"], built["tensorflow"], built["torch"]
    named = [(f"{layer.name}/{w.name}", w) for layer in keras_m.layers for w in layer.trainable_weights]
    keras_grads = _keras_gradients(keras_m, [w for _, w in named], x, y)
    tf_grads = _tape_gradients(tf_m, list(tf_m.w.values()), x, y)
    values = {"Keras": {"gradients": {n: g for (n, _), g in zip(named, keras_grads, strict=True)}},
              "TensorFlow": {"gradients": {n: g.numpy() for n, g in zip(tf_m.w, tf_grads, strict=True)}}}
    for f in COMPARED:  # the step itself; PyTorch keeps this step's gradients in .grad
        model = built[f.id]
        step = training.make_step(f.id, model, "sgd", lr, mode=HARNESS_MODES[f.id])
        x_f = models.to_torch_input(arch, x) if f.id == "torch" else x
        loss = step.sync(step(*_as_tensors(f.id, x_f, y)))
        values.setdefault(f.name, {}).update(loss=loss, after=models.get_weights(model))
    values["PyTorch"]["gradients"] = models.from_torch_layout(
        {models.canonical_name(n): p.grad.numpy() for n, p in torch_m.named_parameters()})
    values = {name: _step_values(v["loss"], v["gradients"], v["after"]) for name, v in values.items()}
    return Agreement(f"one SGD step (lr {lr:g}) of {arch!r} on a batch of {len(x)}", values, tolerance)


def _step_values(loss, grads: dict, after: dict) -> dict[str, np.ndarray]:
    out = {"loss": np.asarray(float(loss))}
    out.update({f"gradient {n}": grads[n] for n in sorted(grads)})
    out.update({f"weights {n}": after[n] for n in sorted(after)})
    return out


def training_batches(n: int, batch_size: int, steps: int, seed: int = 0) -> list[np.ndarray]:
    """The index arrays of `steps` batches: passes 0, 1, ... of `utils.data.batch_order`, back to back."""
    steps = check_int("steps", steps, minimum=1)
    batches, epoch = [], 0
    while len(batches) < steps:
        batches += data.batch_order(n, batch_size, epoch=epoch, seed=seed)
        epoch += 1
    return batches[:steps]


def train_curves(arch: str, weights: dict, x, y, steps: int = 20, batch_size: int = 32, optimizer: str = "sgd",
                 lr: float = 0.1, epsilon: float | dict = 1e-7, match_epsilon: bool = True, sizes: dict | None = None,
                 seed: int = 0, tolerance: float = 1e-4) -> Agreement:
    """Train the same model in each framework for `steps` steps on the same batches; the loss of every step.

    optimizer: "sgd" (plain, no momentum) or "adam" (betas 0.9, 0.999). epsilon (Adam only): one number
    for all three, or {"Keras": ..., "TensorFlow": ..., "PyTorch": ...} to try each framework's default.
    Keras adds epsilon to sqrt(v) before Adam's bias correction, PyTorch after it; the TensorFlow Adam is
    written out with Keras's formula. match_epsilon=True gives PyTorch, at step t, eps / sqrt(1 - 0.999**t),
    which is exactly Keras's update; False passes each number to torch.optim.Adam as it is.
    The agreement holds "loss" (one value per step, before that step's update) and the final weights.
    The default tolerance, 1e-4, is for float32 round-off accumulated over tens of steps.
    """
    sizes = models.resolve_sizes(arch, sizes)
    x = model_input(arch, x, sizes)
    y = labels(y, len(x), sizes["classes"])
    check_choice("optimizer", optimizer, training.OPTIMIZERS)
    lr = check_number("lr", lr, minimum=0, inclusive=False)
    tolerance = _check_tolerance(tolerance)
    check_int("batch_size", batch_size, minimum=1)
    eps = _epsilons(epsilon)
    check_bool("match_epsilon", match_epsilon)
    batches = training_batches(len(x), batch_size, steps, seed)
    built = build_models(arch, weights, sizes)
    values = {f.name: run_steps(f.id, built[f.id], models.to_torch_input(arch, x) if f.id == "torch" else x, y, batches,
                            optimizer, lr, eps[f.name], match_epsilon) for f in COMPARED}
    setting = f"lr {lr:g}"
    if optimizer == "adam":
        setting += f", epsilon {_describe(eps)}" + (" in Keras's formula" if match_epsilon else " as given")
    return Agreement(f"{steps} {optimizer.upper()} steps ({setting}) of {arch!r}, batches of {batch_size}",
                     values, tolerance)


def _describe(eps: dict) -> str:
    return f"{eps['Keras']:g}" if len(set(eps.values())) == 1 else ", ".join(f"{k} {v:g}" for k, v in eps.items())


def run_steps(framework: str, model, x, y, batches, optimizer: str = "sgd", lr: float = 0.1, epsilon: float = 1e-7,
          match_epsilon: bool = False) -> dict[str, np.ndarray]:
    """Run `framework`'s training step (utils.training) over `batches`: every loss and the final weights.

    `x` is in the framework's own layout (channels-first images for PyTorch); `match_epsilon` gives
    PyTorch's Adam, at step t, the epsilon that reproduces Keras's update (`keras_epsilon_in_torch`).
    """
    check_choice("framework", framework, tuple(HARNESS_MODES))
    lr = check_number("lr", lr, minimum=0, inclusive=False)
    step = training.make_step(framework, model, optimizer, lr, epsilon, mode=HARNESS_MODES[framework])
    losses = []
    for t, b in enumerate(batches, 1):
        if framework == "torch" and optimizer == "adam" and match_epsilon:
            step.optimizer.param_groups[0]["eps"] = training.keras_epsilon_in_torch(epsilon, t)
        losses.append(step.sync(step(*_as_tensors(framework, x[b], y[b]))))
    return {"loss": np.asarray(losses, dtype=np.float64),
            **{f"weights {n}": w for n, w in sorted(models.get_weights(model).items())}}


def dense_stack(weights: dict, x) -> np.ndarray:
    """NumPy's logits for a stack of dense layers dense1, dense2, ... with relu between them (not after the last)."""
    weights = models._checked(weights)
    layers = sorted({name.rsplit("/", 1)[0] for name in weights}, key=lambda layer: (len(layer), layer))
    h = np.asarray(x, dtype=np.float32)
    for i, layer in enumerate(layers):
        h = h @ weights[f"{layer}/kernel"] + weights[f"{layer}/bias"]
        h = np.maximum(h, 0) if i < len(layers) - 1 else h
    return h


def check_models(name: str, answer, weights: dict, x, hint: str = ""):
    """Exercise check: {"Keras": model, "TensorFlow": model, "PyTorch": model}, each computing `dense_stack`.

    Each model is called here, on `x` in its framework's tensors, and must return that framework's
    tensors: NumPy's reference handed in for a framework is caught. Never raises on the learner's answer.
    """
    from utils.exercises import UNANSWERED, report

    expected = dense_stack(weights, x)
    if answer is Ellipsis or answer is None:
        reason = UNANSWERED
    elif not isinstance(answer, dict) or set(answer) != set(NAMES):
        reason = f"expected a dict with one model for each of {list(NAMES)}, got {_short(answer)}"
    else:
        reason = next((r for r in (_model_problem(f, answer[f], x, expected) for f in NAMES) if r), None)
    return report(name, reason, hint)


def _short(value) -> str:
    return f"a dict with keys {sorted(map(str, value))}" if isinstance(value, dict) else type(value).__name__


def _model_problem(framework: str, model, x, expected) -> str | None:
    """Why `model` does not compute `expected` on `x` in `framework` (None when it does)."""
    from utils.exercises import explain, to_numpy

    x = np.asarray(x, dtype=np.float32)
    try:
        if framework == "PyTorch":
            import torch

            device = next(iter(model.parameters()), torch.empty(0)).device if hasattr(model, "parameters") else "cpu"
            with torch.no_grad():
                out, kind = model(torch.from_numpy(x).to(device)), torch.Tensor
        else:
            import tensorflow as tf

            out, kind = model(tf.constant(x)), tf.Tensor
    except Exception as err:  # the learner's model may fail in any way: explain, never raise
        return f"[{framework!r}] calling it on a batch raised {type(err).__name__}: {err}"
    if not isinstance(out, kind):
        return (f"[{framework!r}] it returned a {type(out).__name__}, not a {kind.__module__.split('.')[0]} "
                "tensor: build the model in that framework (a NumPy result is the reference, not a model)")
    reason = explain(to_numpy(out), expected, rtol=0, atol=TOLERANCE)
    return f"[{framework!r}] {reason}" if reason else None
