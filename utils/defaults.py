"""Settings whose defaults differ between Keras and PyTorch, each measured with the defaults and aligned.

Used by notebook 01 (level of API). Adam's epsilon, BatchNorm's momentum and epsilon, the dense
initializer, "same" padding at stride 2, and shuffling in `fit`: each `Difference` holds what was
measured with each framework's default and after aligning them, and says how to align them.
`settings_to_align` and `epsilon_settles` compute the answers of notebook 01's exercises 2 and 3;
`check_settings` is exercise 2's check.

    from utils import defaults
    print(defaults.differences_table(defaults.default_differences()))
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import numpy as np

from utils import data, models
from utils.checks import check_array, check_bool, check_dict, check_int, check_number
from utils.equivalence import Agreement, build_models, labels, model_input, run_steps, training_batches
from utils.tables import text_table
from utils.training import BETA_2, keras_epsilon_in_torch

# The settings whose defaults differ, as `default_differences` names them.
SETTINGS = ("Adam epsilon", "BatchNorm epsilon", "BatchNorm momentum", "Dense kernel initializer",
            "'same' padding at stride 2", "shuffling")


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
    check_number("lr", lr, minimum=0, inclusive=False)
    d = library_defaults()
    keras_eps, torch_eps = d["Keras"]["adam epsilon"], d["PyTorch"]["adam epsilon"]
    sizes = models.resolve_sizes(arch)
    x = model_input(arch, x, sizes)
    y = labels(y, len(x), sizes["classes"])
    batches = training_batches(len(x), 32, steps)
    built = build_models(arch, weights, sizes)
    keras_side = {"Keras": run_steps("keras", built["keras"], x, y, batches, "adam", lr, keras_eps),  # trained once:
                  "TensorFlow": run_steps("tensorflow", built["tensorflow"], x, y, batches, "adam", lr, keras_eps)}

    def drift(torch_eps, match):
        torch_after = run_steps("torch", models.torch_model(arch, weights), models.to_torch_input(arch, x), y, batches,
                            "adam", lr, torch_eps, match)  # only PyTorch's epsilon varies
        return Agreement("Adam", {**keras_side, "PyTorch": torch_after}).largest("weights")[0]

    same_number = drift(keras_eps, False)
    return [Difference("Adam epsilon", f"{keras_eps:g}, before bias corr.", f"{torch_eps:g}, after bias corr.",
                       f"largest weight difference, {steps} steps", drift(torch_eps, False), drift(keras_eps, True),
                       f"PyTorch eps = {keras_eps:g} / sqrt(1 - 0.999**t) at step t (training.keras_epsilon_in_torch); "
                       f"eps={keras_eps:g} alone still leaves {same_number:.1g}")]


def batchnorm(x, batch_size: int = 32, steps: int = 20) -> list[Difference]:
    """keras.layers.BatchNormalization vs torch.nn.BatchNorm1d on `steps` training batches of rows `x`."""
    import keras
    import torch

    x = np.ascontiguousarray(check_array("x", x, ndim=2), dtype=np.float32)
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
            out = max(out, float(np.abs(keras.ops.convert_to_numpy(k(x[b], training=True)) - t_out).max()))
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

    check_int("fan_in", fan_in, minimum=1)
    check_int("fan_out", fan_out, minimum=1)
    check_int("seed", seed, minimum=0)
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

    check_number("lr", lr, minimum=0, inclusive=False)
    sizes = models.resolve_sizes(arch)
    x = model_input(arch, x, sizes)
    y = labels(y, len(x), sizes["classes"])
    batches = data.batch_order(len(x), batch_size)  # validates batch_size
    order = np.concatenate(batches)
    torch_after = run_steps("torch", models.torch_model(arch, weights), models.to_torch_input(arch, x), y, batches,
                        "sgd", lr)
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
    keras_out = keras.ops.convert_to_numpy(conv(x))  # (n, 4, 4, filters)
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


def differences_table(rows: list[Difference]) -> str:
    """The measured differences as a text table (numbers to 2 significant digits), then how to align each."""
    if not isinstance(rows, list) or not rows or not all(isinstance(r, Difference) for r in rows):
        raise TypeError("rows must be a non-empty list of Difference, as default_differences returns")
    table = text_table([{"setting": r.setting, "Keras": r.keras, "PyTorch": r.pytorch, "measured": r.measured,
                         "defaults": f"{r.with_defaults:.2g}", "aligned": f"{r.aligned:.2g}"} for r in rows],
                       align={"defaults": ">", "aligned": ">"})
    return "\n".join([table, "", "how to align:"] + [f"  {r.setting}: {r.how}" for r in rows])


def settings_to_align(model, fit_args: dict, loads_weights: bool) -> dict[str, bool]:
    """Which SETTINGS a PyTorch port of a compiled Keras `model` must set to train as `model.fit(..., **fit_args)`.

    Adam's epsilon matters with an Adam optimizer; BatchNorm's two settings with a BatchNormalization
    layer; the initializer unless the port loads the Keras weights; padding with a Conv2D that pads
    "same" at a stride over 1 (as the table measures); shuffling when fit shuffles (its default, read
    from the installed Keras).
    """
    import keras

    check_dict("fit_args", fit_args)
    check_bool("loads_weights", loads_weights)
    if not isinstance(model, keras.Model) or getattr(model, "optimizer", None) is None:
        raise TypeError(f"model must be a compiled keras.Model, got {type(model).__name__}")
    layers = model.layers
    batchnorm = any(isinstance(layer, keras.layers.BatchNormalization) for layer in layers)
    strided_same = any(isinstance(layer, keras.layers.Conv2D) and layer.padding == "same" and max(layer.strides) > 1
                       for layer in layers)
    shuffle = fit_args.get("shuffle", inspect.signature(keras.Model.fit).parameters["shuffle"].default)
    found = [isinstance(model.optimizer, keras.optimizers.Adam), batchnorm, batchnorm, not loads_weights,
             strided_same, bool(shuffle)]
    return dict(zip(SETTINGS, found, strict=True))


def epsilon_settles(within: float = 0.01, epsilon: float = 1e-7, beta_2: float = BETA_2) -> int:
    """The first step t from which PyTorch's eps matching Keras's Adam is within `within` of `epsilon` itself."""
    within = check_number("within", within, minimum=0, inclusive=False)
    epsilon = check_number("epsilon", epsilon, minimum=0, inclusive=False)
    beta_2 = check_number("beta_2", beta_2, minimum=0, maximum=1, inclusive=False)
    t = max(1, math.ceil(math.log(1 - (1 + within) ** -2) / math.log(beta_2)))  # from 1/sqrt(1 - b**t) <= 1 + w
    while t > 1 and keras_epsilon_in_torch(epsilon, t - 1, beta_2) <= (1 + within) * epsilon:  # float edge cases
        t -= 1
    while keras_epsilon_in_torch(epsilon, t, beta_2) > (1 + within) * epsilon:
        t += 1
    return t


def check_settings(name: str, answer, model, fit_args: dict, loads_weights: bool):
    """Exercise check: `answer` names the SETTINGS a PyTorch port of `model` must set (computed here).

    A wrong answer is told what goes wrong (settings missing, which would make the port train differently, or
    settings named that need nothing), and how many of each, never which: the exercise is the reasoning.
    """
    from utils.exercises import forbidden_reason, report

    must = {s for s, needed in settings_to_align(model, fit_args, loads_weights).items() if needed}
    return report(name, forbidden_reason(("settings_to_align",)) or _settings_problem(answer, must))


def _settings_problem(answer, must: set) -> str | None:
    """Why `answer` is not the set of settings `must` (None when it is)."""
    from utils.exercises import UNANSWERED

    if answer is Ellipsis or answer is None:
        return UNANSWERED
    if not isinstance(answer, set | list | tuple) or not all(isinstance(a, str) for a in answer):
        return f"expected a set of setting names, got {type(answer).__name__}"
    if set(answer) - set(SETTINGS):
        return f"unknown settings {sorted(set(answer) - set(SETTINGS))}: choose among defaults.SETTINGS"
    missing, needless = len(must - set(answer)), len(set(answer) - must)
    if not missing and not needless:
        return None

    def settings(n):
        return f"{n} setting{'s' if n > 1 else ''}"

    problems = []
    if missing:
        problems.append(f"{settings(missing)} that the port must set {'is' if missing == 1 else 'are'} missing: left "
                        "at PyTorch's default, the port would train differently from Keras here")
    if needless:
        problems.append(f"{settings(needless)} you named need{'s' if needless == 1 else ''} nothing here: PyTorch's "
                        "default already does what Keras does in this model and fit call, or the setting never "
                        "takes effect")
    return ("; ".join(problems) + ". Hint: for each setting, look for what makes it matter: the optimizer, the layers "
            "(their stride and padding too), the arguments of fit, and where the port's starting weights come from")
