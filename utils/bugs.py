"""The bug catalogue: the same bugs planted in the same small MLP and training step in each framework.

Used by notebook 04. Loud bugs raise (or, where a framework absorbs them, do not); silent bugs train
without an error but learn wrongly. Every planted line is marked `# BUG:` so a learner can find it.

    from utils import bugs
    bugs.LOUD["shape"]["keras"]()                       # raises what Keras shows for this bug
    run = bugs.train("torch", bug="accumulate")         # a silent bug: a Run of losses, gradients...
    bugs.detect("accumulate", run)                      # the check that flags it (see utils.debugging)

The model is `utils.models`' MLP (64 -> 64 relu -> 10, one set of weights for all three), with
dropout (rate 0.5) between the two layers so that train/eval mode matters; the data are the digits.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from utils import data, models, training
from utils.checks import check_choice, check_int
from utils.debugging import Culprit
from utils.frameworks import COMPARED_IDS

BATCH, LR, NAN_LR, STEPS, DROPOUT = 32, 0.5, 1e12, 40, 0.5
WRONG_INPUTS = 48  # the shape bug's second layer: a size no other dimension has (batch 32, hidden 64, 10 classes)
LOUD_BUGS = ("shape", "dtype", "classes", "compiled")
SILENT_BUGS = ("accumulate", "eval_mode", "double_softmax", "nan_lr", "shuffled_labels")
DESCRIPTIONS = {
    "shape": f"the second layer is built for {WRONG_INPUTS} inputs, the first gives 64",
    "dtype": "the batch is NumPy's default float64, the weights are float32",
    "classes": "the output layer has 5 units, the labels go 0..9",
    "compiled": "the compiled step logs the loss with `history.append(float(loss))`",
    "accumulate": "gradients from earlier steps are added to this step's (no zero_grad / reset)",
    "eval_mode": "evaluation runs with dropout still in training mode",
    "double_softmax": "softmax on the outputs, and a loss that expects logits",
    "nan_lr": f"learning rate {NAN_LR:g} instead of {LR}",
    "shuffled_labels": "the labels are shuffled with another order than the inputs",
}
# Bugs a framework's usual code cannot express: Keras's fit computes fresh gradients at every step.
NOT_PLANTABLE = {("accumulate", "keras"): "fit computes fresh gradients at each step; there is nothing to reset"}


def _digits():
    return data.load("digits")


def batch(dtype: str = "float32") -> tuple[np.ndarray, np.ndarray]:
    """The first `BATCH` training digits as (x of `dtype`, integer labels): every loud bug's batch.

    Args:
        dtype: "float32" (what every framework expects) or "float64" (NumPy's default: the dtype bug).

    Raises:
        TypeError, ValueError: for a `dtype` other than those two strings.
    """
    check_choice("dtype", dtype, ("float32", "float64"))
    ds = _digits()
    return ds.x_train[:BATCH].astype(dtype), ds.y_train[:BATCH]


def _keras_train_step(model, x, y, loss=None, jit_compile="auto"):
    import keras

    loss = loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.SGD(LR), loss=loss, jit_compile=jit_compile)
    return model.train_on_batch(x, y)


def _tf_train_step(model, x, y):
    return training.tensorflow_step(model, "sgd", LR, mode="graph")(x, y)  # the series' one step


def _torch_train_step(model, x, y):
    import torch

    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(torch.as_tensor(x)), torch.as_tensor(y))
    loss.backward()
    optimizer.step()
    return loss


# ---- loud bugs: each function runs one training step with the bug planted ---------------------------

def keras_shape():
    """Keras: a Dense layer built for 48 inputs placed after one that gives 64."""
    import keras

    model = models.keras_model("mlp", models.init_weights("mlp"))
    dense2 = keras.layers.Dense(10, name="dense2")
    dense2.build((None, WRONG_INPUTS))  # BUG: built for 48 inputs (Keras would infer 64 if left unbuilt)
    model = keras.Sequential([keras.Input((64,)), model.get_layer("dense1"), dense2])
    return _keras_train_step(model, *batch())


def tf_shape():
    """TensorFlow: the second layer's kernel is (48, 10); the first layer gives 64 features."""
    import tensorflow as tf

    weights = models.init_weights("mlp")
    model = models.tf_model("mlp", weights)
    model.w["dense2/kernel"] = tf.Variable(weights["dense2/kernel"][:WRONG_INPUTS])  # BUG: 48 inputs, not 64
    return _tf_train_step(model, *batch())


def torch_shape():
    """PyTorch: nn.Linear(48, 10) after a layer that gives 64 features."""
    import torch

    model = models.torch_model("mlp", models.init_weights("mlp"))
    model.dense2 = torch.nn.Linear(WRONG_INPUTS, 10)  # BUG: 48 inputs, not 64
    return _torch_train_step(model, *batch())


def keras_dtype(dtype: str = "float64"):
    """Keras: a float64 batch (`dtype="float32"`: the fixed code)."""
    model = models.keras_model("mlp", models.init_weights("mlp"))
    return _keras_train_step(model, *batch(dtype))  # BUG: float64 batch


def tf_dtype(dtype: str = "float64"):
    """TensorFlow: a float64 batch (`dtype="float32"`: the fixed code)."""
    model = models.tf_model("mlp", models.init_weights("mlp"))
    return _tf_train_step(model, *batch(dtype))  # BUG: float64 batch


def torch_dtype(dtype: str = "float64"):
    """PyTorch: a float64 batch (`dtype="float32"`: the fixed code)."""
    model = models.torch_model("mlp", models.init_weights("mlp"))
    return _torch_train_step(model, *batch(dtype))  # BUG: float64 batch


FIVE = {"classes": 5}


def keras_classes():
    """Keras: 5 output units, labels 0..9."""
    model = models.keras_model("mlp", models.init_weights("mlp", FIVE), FIVE)  # BUG: 5 classes, not 10
    return _keras_train_step(model, *batch())


def tf_classes():
    """TensorFlow: 5 output units, labels 0..9."""
    model = models.tf_model("mlp", models.init_weights("mlp", FIVE), FIVE)  # BUG: 5 classes, not 10
    return _tf_train_step(model, *batch())


def torch_classes():
    """PyTorch: 5 output units, labels 0..9."""
    model = models.torch_model("mlp", models.init_weights("mlp", FIVE), FIVE)  # BUG: 5 classes, not 10
    return _torch_train_step(model, *batch())


def keras_compiled():
    """Keras: a loss that logs itself as a Python float, in a step compiled with jit_compile=True."""
    import keras

    history = []

    def logged_loss(y_true, logits):
        loss = keras.losses.sparse_categorical_crossentropy(y_true, logits, from_logits=True)
        history.append(float(keras.ops.mean(loss)))  # BUG: a Python float of a traced tensor
        return loss

    model = models.keras_model("mlp", models.init_weights("mlp"))
    for _ in range(3):
        _keras_train_step(model, *batch(), loss=logged_loss, jit_compile=True)
    return f"history after 3 steps: {_describe(history)}"


def tf_compiled():
    """TensorFlow: the tf.function step appends float(loss) to a Python list."""
    import tensorflow as tf

    model, history = models.tf_model("mlp", models.init_weights("mlp")), []

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, model(x)))
        for var, grad in zip(model.w.values(), tape.gradient(loss, list(model.w.values())), strict=True):
            var.assign_sub(LR * grad)
        history.append(float(loss))  # BUG: a Python side effect runs once, while tracing
        return loss

    for _ in range(3):
        step(*batch())
    return f"history after 3 steps: {_describe(history)}"


def torch_compiled():
    """PyTorch: the torch.compile'd step appends float(loss) to a Python list.

    backend="eager" runs only the graph capture (TorchDynamo), where graph breaks and their warnings
    come from; the default back end would add seconds of code generation and change nothing here.
    """
    import torch

    model, history = models.torch_model("mlp", models.init_weights("mlp")), []
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)

    @torch.compile(backend="eager")
    def step(x, y):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        history.append(float(loss))  # BUG: a Python side effect (a graph break) inside a compiled step
        loss.backward()
        optimizer.step()
        return loss

    for _ in range(3):
        step(*(torch.as_tensor(a) for a in batch()))
    return f"history after 3 steps: {_describe(history)}"


def _describe(history) -> str:
    kinds = sorted({type(h).__name__ for h in history})
    return f"{len(history)} entr{'y' if len(history) == 1 else 'ies'} of type {', '.join(kinds) or '-'}"


LOUD = {  # bug -> framework id -> the function that plants it
    "shape": {"keras": keras_shape, "tensorflow": tf_shape, "torch": torch_shape},
    "dtype": {"keras": keras_dtype, "tensorflow": tf_dtype, "torch": torch_dtype},
    "classes": {"keras": keras_classes, "tensorflow": tf_classes, "torch": torch_classes},
    "compiled": {"keras": keras_compiled, "tensorflow": tf_compiled, "torch": torch_compiled},
}


# ---- silent bugs: a short training run with one bug (or none) planted -------------------------------

@dataclass
class Run:
    """What a short training run shows: losses, gradient norms, two evaluations and the model's outputs."""

    framework: str
    bug: str | None
    losses: list[float]
    grad_norms: list[float] | None  # None where the framework's usual loop (Keras fit) does not expose them
    eval_a: np.ndarray  # two evaluations of the same test batch
    eval_b: np.ndarray
    outputs: np.ndarray  # what the model's last layer gives, as a forward hook (or the output) sees it


def _train_data(bug, seed):
    ds = _digits()
    y = ds.y_train
    if bug == "shuffled_labels":
        y = np.random.default_rng(seed + 1).permutation(y)  # BUG: labels in another order than the inputs
    batches = [b for e in range(3) for b in data.batch_order(len(y), BATCH, epoch=e, seed=seed)][:STEPS]
    return ds.x_train, y, batches, ds.x_test[:64]


def train(framework: str, bug: str | None = None, steps: int = STEPS, seed: int = 0) -> Run:
    """Train the MLP for `steps` SGD steps with `bug` planted (None: the fixed code); return a Run."""
    check_choice("framework", framework, COMPARED_IDS)
    if bug is not None:
        check_choice("bug", bug, SILENT_BUGS)
    check_int("steps", steps, minimum=2, maximum=STEPS)
    check_int("seed", seed, minimum=0)
    x, y, batches, x_eval = _train_data(bug, seed)
    lr = NAN_LR if bug == "nan_lr" else LR  # BUG (nan_lr): a learning rate far too large
    runner = {"keras": _train_keras, "tensorflow": _train_tf, "torch": _train_torch}[framework]
    return runner(bug, x, y, batches[:steps], x_eval, lr, seed)


def _train_keras(bug, x, y, batches, x_eval, lr, seed):
    import keras

    keras.utils.set_random_seed(seed)
    base = models.keras_model("mlp", models.init_weights("mlp", seed=seed))
    top = [keras.layers.Softmax()] if bug == "double_softmax" else []  # BUG (double_softmax)
    model = keras.Sequential([keras.Input((64,)), base.get_layer("dense1"), keras.layers.Dropout(DROPOUT),
                              base.get_layer("dense2"), *top])
    model.compile(optimizer=keras.optimizers.SGD(lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    losses = [float(model.train_on_batch(x[b], y[b])) for b in batches]
    training = bug == "eval_mode"  # BUG (eval_mode): dropout left on at evaluation
    evals = [keras.ops.convert_to_numpy(model(x_eval, training=training)) for _ in range(2)]
    return Run("keras", bug, losses, None, *evals, evals[0])


def _train_tf(bug, x, y, batches, x_eval, lr, seed):
    import tensorflow as tf

    tf.random.set_seed(seed)
    model = models.tf_model("mlp", models.init_weights("mlp", seed=seed))
    variables = list(model.w.values())
    accumulated = [tf.Variable(tf.zeros_like(v)) for v in variables]

    def forward(x, training):
        hidden = tf.nn.relu(model.dense(x, "dense1"))
        hidden = tf.nn.dropout(hidden, DROPOUT) if training else hidden
        logits = model.dense(hidden, "dense2")
        return tf.nn.softmax(logits) if bug == "double_softmax" else logits  # BUG (double_softmax)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, forward(x, True)))
        grads = tape.gradient(loss, variables)
        for acc, grad in zip(accumulated, grads, strict=True):
            acc.assign(acc + grad if bug == "accumulate" else grad)  # BUG (accumulate): never reset
        for var, acc in zip(variables, accumulated, strict=True):
            var.assign_sub(lr * acc)
        return loss, tf.linalg.global_norm(accumulated)

    results = [step(x[b], y[b]) for b in batches]
    evals = [forward(x_eval, training=bug == "eval_mode").numpy() for _ in range(2)]  # BUG (eval_mode)
    return Run("tensorflow", bug, [float(r[0]) for r in results], [float(r[1]) for r in results], *evals,
               evals[0])


def _train_torch(bug, x, y, batches, x_eval, lr, seed):
    import torch

    torch.manual_seed(seed)
    base = models.torch_model("mlp", models.init_weights("mlp", seed=seed))
    top = [torch.nn.Softmax(dim=1)] if bug == "double_softmax" else []  # BUG (double_softmax)
    model = torch.nn.Sequential(base.dense1, torch.nn.ReLU(), torch.nn.Dropout(DROPOUT), base.dense2, *top)
    seen = []
    model[-1].register_forward_hook(lambda module, inputs, output: seen.append(output.detach().numpy()))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses, norms = [], []
    for b in batches:
        if bug != "accumulate":  # BUG (accumulate): zero_grad forgotten
            optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x[b])), torch.from_numpy(y[b]))
        loss.backward()
        norms.append(float(torch.linalg.vector_norm(torch.cat([p.grad.flatten() for p in model.parameters()]))))
        optimizer.step()
        losses.append(loss.item())
    if bug != "eval_mode":  # BUG (eval_mode): model.eval() forgotten
        model.eval()
    with torch.no_grad():
        evals = [model(torch.from_numpy(x_eval)).numpy() for _ in range(2)]
    return Run("torch", bug, losses, norms, *evals, seen[-1])


def detect(bug: str, run: Run):
    """The catalogue's check for a silent bug, applied to `run`: a `utils.debugging.Finding`."""
    from utils import debugging

    check_choice("bug", bug, SILENT_BUGS)
    if not isinstance(run, Run):
        raise TypeError(f"run must be a Run from bugs.train, got {type(run).__name__}")
    if bug == "accumulate":
        return debugging.gradient_check(run.grad_norms)
    if bug == "eval_mode":
        return debugging.repeatability_check(run.eval_a, run.eval_b)
    if bug == "double_softmax":
        return debugging.logits_check(run.outputs)
    return debugging.loss_curve_check(run.losses, classes=10)


# What each loud bug's message can name and show (see the error-message score in utils.debugging).
SCORING = {
    "shape": Culprit("dense2", "matmul", shape=(WRONG_INPUTS, 10), sides=(64, WRONG_INPUTS)),
    "dtype": Culprit("dense1", "matmul", sides="dtypes"),
    "classes": Culprit("dense2", "cross-entropy",
                       sides=(r"(?i)(label|target)\w* (value )?(of )?[5-9]\b", r"\[0, 5\)|\b5 classes")),
    "compiled": Culprit("history", "float()", sides=(r"(?i)symbolic|traced|graph", r"(?i)\bfloat\b|python")),
}


def right_result(bug: str, framework: str, value) -> bool:
    """Whether a loud bug that raised nothing returned what the fixed code returns (the framework handled it).

    The shape and class-count bugs have no right result (no fixed code computes them); the dtype bug's is
    the loss of the same step on a float32 batch; the compiled bug's is a history of 3 Python floats.
    """
    check_choice("bug", bug, LOUD_BUGS)
    check_choice("framework", framework, COMPARED_IDS)
    if bug == "compiled":
        return value == f"history after 3 steps: {_describe([0.0] * 3)}"
    if bug == "dtype":
        try:
            got = float(value.detach() if hasattr(value, "detach") else value)
        except (TypeError, ValueError, RuntimeError):
            return False
        return bool(np.isclose(got, _fixed_dtype_loss(framework), rtol=1e-5))
    return False


@functools.cache
def _fixed_dtype_loss(framework: str) -> float:
    step = {"keras": keras_dtype, "tensorflow": tf_dtype, "torch": torch_dtype}[framework]
    loss = step("float32")
    return float(loss.detach() if hasattr(loss, "detach") else loss)
