"""The same three small models in Keras, TensorFlow (its own API) and PyTorch, from one set of weights.

Used by notebooks 00-05 (and by utils.training, equivalence, defaults, bench, bugs, distributed).

    w = init_weights("mlp")                      # NumPy arrays in Keras/TensorFlow layout
    keras_model("mlp", w); tf_model("mlp", w); torch_model("mlp", w)   # all compute the same logits

Layouts differ between the frameworks, and every conversion is made here, explicitly:
- a dense kernel is (in, out) in Keras and TensorFlow (y = x @ W) but `nn.Linear.weight` is (out, in)
  (y = x @ W.T): `to_torch_layout` transposes it;
- a convolution kernel is HWIO (height, width, in, out) in Keras/TensorFlow but OIHW in PyTorch;
- images are channels-last (N, H, W, C) in Keras/TensorFlow but channels-first (N, C, H, W) in PyTorch
  (see `utils.data.as_images`);
- Keras/TensorFlow "same" padding of a 3x3 kernel at stride 1 pads one pixel on every side, which is
  PyTorch's `padding=1` (for even kernels or strides > 1, TensorFlow pads more at the bottom/right).

Architectures (all return logits, one row per example):
- mlp: dense1 (relu) -> dense2
- cnn: conv1 3x3 same (relu) -> 2x2 max pool -> conv2 3x3 same (relu) -> global average pool -> dense
- attention: tokens x features -> single-head self-attention (query, key, value) -> mean over tokens -> output
"""

from __future__ import annotations

import math

import numpy as np

from utils.checks import check_choice, check_dict, check_int
from utils.frameworks import COMPARED_IDS

ARCHITECTURES = ("mlp", "cnn", "attention")
DEFAULT_SIZES = {
    "mlp": {"inputs": 64, "hidden": 64, "classes": 10},
    "cnn": {"height": 8, "width": 8, "channels": 1, "filters1": 8, "filters2": 16, "classes": 10},
    "attention": {"tokens": 8, "features": 8, "classes": 10},
}


def resolve_sizes(arch: str, sizes: dict | None = None) -> dict:
    """The architecture's default sizes updated with `sizes`; rejects unknown names and bad values."""
    check_choice("arch", arch, ARCHITECTURES)
    sizes = check_dict("sizes", {} if sizes is None else sizes)
    unknown = set(sizes) - set(DEFAULT_SIZES[arch])
    if unknown:
        raise ValueError(f"unknown sizes {sorted(unknown)} for {arch!r}: it takes {sorted(DEFAULT_SIZES[arch])}")
    return {**DEFAULT_SIZES[arch], **{k: check_int(f"sizes[{k!r}]", v, minimum=1) for k, v in sizes.items()}}


def shapes(arch: str, sizes: dict | None = None) -> dict[str, tuple]:
    """Name -> shape of every weight, in the canonical (Keras/TensorFlow) layout."""
    s = resolve_sizes(arch, sizes)
    if arch == "mlp":
        layers = {"dense1": (s["inputs"], s["hidden"]), "dense2": (s["hidden"], s["classes"])}
    elif arch == "cnn":
        layers = {"conv1": (3, 3, s["channels"], s["filters1"]), "conv2": (3, 3, s["filters1"], s["filters2"]),
                  "dense": (s["filters2"], s["classes"])}
    else:
        d = s["features"]
        layers = {"query": (d, d), "key": (d, d), "value": (d, d), "output": (d, s["classes"])}
    out = {}
    for name, kernel in layers.items():
        out[f"{name}/kernel"], out[f"{name}/bias"] = kernel, (kernel[-1],)
    return out


def init_weights(arch: str, sizes: dict | None = None, seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded float32 weights: Glorot-uniform kernels (Keras's default) and small uniform biases.

    Biases are not zero (as a fresh model's would be) so that tests also prove the bias path agrees.
    """
    check_int("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    weights = {}
    for name, shape in shapes(arch, sizes).items():
        if name.endswith("/kernel"):
            receptive = math.prod(shape[:-2])  # kh * kw for a convolution, 1 for a dense kernel
            limit = math.sqrt(6.0 / (receptive * (shape[-2] + shape[-1])))
            weights[name] = rng.uniform(-limit, limit, shape).astype(np.float32)
        else:
            weights[name] = rng.uniform(-0.1, 0.1, shape).astype(np.float32)
    return weights


def input_shape(arch: str, sizes: dict | None = None, layout: str = "channels_last") -> tuple:
    """The shape of one example (no batch dimension); PyTorch's CNN takes channels_first."""
    s = resolve_sizes(arch, sizes)
    check_choice("layout", layout, ("channels_last", "channels_first"))
    if arch == "mlp":
        return (s["inputs"],)
    if arch == "attention":
        return (s["tokens"], s["features"])
    if layout == "channels_last":
        return (s["height"], s["width"], s["channels"])
    return (s["channels"], s["height"], s["width"])


def to_torch_input(arch: str, x: np.ndarray) -> np.ndarray:
    """A batch in PyTorch's layout: CNN images go channels-last (N, H, W, C) -> channels-first (N, C, H, W)."""
    check_choice("arch", arch, ARCHITECTURES)
    x = np.asarray(x)
    if arch != "cnn":
        return x
    if x.ndim != 4:
        raise ValueError(f"cnn inputs must be a batch of channels-last images (N, H, W, C), got shape {x.shape}")
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def to_torch_layout(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Canonical -> PyTorch: dense kernels (in, out) -> (out, in); conv kernels HWIO -> OIHW."""
    return {name: _convert(name, w, {2: (1, 0), 4: (3, 2, 0, 1)}) for name, w in _checked(weights).items()}


def from_torch_layout(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """PyTorch -> canonical: the inverse of `to_torch_layout`."""
    return {name: _convert(name, w, {2: (1, 0), 4: (2, 3, 1, 0)}) for name, w in _checked(weights).items()}


def _convert(name: str, w: np.ndarray, axes: dict[int, tuple]) -> np.ndarray:
    if name.endswith("/bias"):
        return np.array(w, dtype=np.float32)
    if w.ndim not in axes:
        raise ValueError(f"{name} has {w.ndim} dimensions: expected a 2-D dense or 4-D convolution kernel")
    return np.ascontiguousarray(np.transpose(w, axes[w.ndim]), dtype=np.float32)


def _checked(weights) -> dict[str, np.ndarray]:
    if not isinstance(weights, dict) or not weights:
        raise TypeError("weights must be a non-empty dict of name -> NumPy array, as init_weights returns")
    for name, w in weights.items():
        if not isinstance(w, np.ndarray) or not (name.endswith("/kernel") or name.endswith("/bias")):
            raise TypeError(f"weights[{name!r}] must be a NumPy array named 'layer/kernel' or 'layer/bias'")
    return weights


def _matching(arch: str, weights, sizes) -> dict:
    """The sizes implied by `weights`, after checking every expected weight is there with its shape."""
    expected = shapes(arch, sizes)
    _checked(weights)
    if set(weights) != set(expected):
        raise ValueError(f"weights for {arch!r} must be exactly {sorted(expected)}, got {sorted(weights)}")
    wrong = {k: (weights[k].shape, v) for k, v in expected.items() if weights[k].shape != v}
    if wrong:
        raise ValueError(f"weight shapes (got, expected): {wrong}; pass the sizes the weights were made with")
    return resolve_sizes(arch, sizes)


def keras_model(arch: str, weights: dict[str, np.ndarray], sizes: dict | None = None):
    """The model in Keras 3 (runs on whichever back end Keras was imported with)."""
    import keras
    from keras import layers, ops

    s = _matching(arch, weights, sizes)
    inputs = keras.Input(input_shape(arch, s))
    if arch == "mlp":
        x = layers.Dense(s["hidden"], activation="relu", name="dense1")(inputs)
        outputs = layers.Dense(s["classes"], name="dense2")(x)
    elif arch == "cnn":
        x = layers.Conv2D(s["filters1"], 3, padding="same", activation="relu", name="conv1")(inputs)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Conv2D(s["filters2"], 3, padding="same", activation="relu", name="conv2")(x)
        x = layers.GlobalAveragePooling2D()(x)
        outputs = layers.Dense(s["classes"], name="dense")(x)
    else:
        d = s["features"]
        q, k, v = (layers.Dense(d, name=name)(inputs) for name in ("query", "key", "value"))
        attention = ops.softmax(ops.matmul(q, ops.swapaxes(k, 1, 2)) / math.sqrt(d), axis=-1)
        x = ops.mean(ops.matmul(attention, v), axis=1)
        outputs = layers.Dense(s["classes"], name="output")(x)
    model = keras.Model(inputs, outputs, name=f"{arch}_keras")
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([weights[f"{layer.name}/kernel"], weights[f"{layer.name}/bias"]])
    return model


def tf_model(arch: str, weights: dict[str, np.ndarray], sizes: dict | None = None):
    """The model in TensorFlow's own API: a tf.Module holding tf.Variables (no Keras)."""
    import tensorflow as tf

    s = _matching(arch, weights, sizes)

    class Model(tf.Module):
        def __init__(self):
            super().__init__(name=f"{arch}_tf")
            self.w = {name: tf.Variable(value, name=name.replace("/", "_")) for name, value in weights.items()}

        def dense(self, x, name):
            return tf.matmul(x, self.w[f"{name}/kernel"]) + self.w[f"{name}/bias"]

        def conv(self, x, name):
            return tf.nn.conv2d(x, self.w[f"{name}/kernel"], strides=1, padding="SAME") + self.w[f"{name}/bias"]

        def __call__(self, x):
            if arch == "mlp":
                return self.dense(tf.nn.relu(self.dense(x, "dense1")), "dense2")
            if arch == "cnn":
                x = tf.nn.max_pool2d(tf.nn.relu(self.conv(x, "conv1")), ksize=2, strides=2, padding="VALID")
                x = tf.reduce_mean(tf.nn.relu(self.conv(x, "conv2")), axis=[1, 2])
                return self.dense(x, "dense")
            q, k, v = (self.dense(x, name) for name in ("query", "key", "value"))
            attention = tf.nn.softmax(tf.matmul(q, k, transpose_b=True) / math.sqrt(s["features"]), axis=-1)
            return self.dense(tf.reduce_mean(tf.matmul(attention, v), axis=1), "output")

    return Model()


def torch_model(arch: str, weights: dict[str, np.ndarray], sizes: dict | None = None):
    """The model in PyTorch: an nn.Module whose parameters are `to_torch_layout(weights)`."""
    import torch
    from torch import nn

    s = _matching(arch, weights, sizes)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            if arch == "mlp":
                self.dense1 = nn.Linear(s["inputs"], s["hidden"])
                self.dense2 = nn.Linear(s["hidden"], s["classes"])
            elif arch == "cnn":
                self.conv1 = nn.Conv2d(s["channels"], s["filters1"], 3, padding=1)  # Keras "same" for 3x3
                self.pool = nn.MaxPool2d(2)
                self.conv2 = nn.Conv2d(s["filters1"], s["filters2"], 3, padding=1)
                self.dense = nn.Linear(s["filters2"], s["classes"])
            else:
                d = s["features"]
                self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
                self.output = nn.Linear(d, s["classes"])

        def forward(self, x):
            if arch == "mlp":
                return self.dense2(torch.relu(self.dense1(x)))
            if arch == "cnn":
                x = self.pool(torch.relu(self.conv1(x)))
                return self.dense(torch.relu(self.conv2(x)).mean(dim=(2, 3)))
            q, k, v = self.query(x), self.key(x), self.value(x)
            attention = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(s["features"]), dim=-1)
            return self.output((attention @ v).mean(dim=1))

    model = Model()
    converted = to_torch_layout(weights)
    state = {torch_name(name): torch.from_numpy(value) for name, value in converted.items()}
    model.load_state_dict(state, strict=True)
    return model


def build_model(framework: str, arch: str, weights: dict[str, np.ndarray], sizes: dict | None = None):
    """`keras_model`, `tf_model` or `torch_model`, chosen by name."""
    builders = {"keras": keras_model, "tensorflow": tf_model, "torch": torch_model}
    check_choice("framework", framework, COMPARED_IDS)
    return builders[framework](arch, weights, sizes)


def get_weights(model) -> dict[str, np.ndarray]:
    """The weights of any model built here, as NumPy arrays in the canonical (Keras/TensorFlow) layout."""
    if hasattr(model, "layers"):  # Keras (first: on the torch back end a Keras model is an nn.Module too)
        from keras import ops

        return {f"{layer.name}/{w.name}": ops.convert_to_numpy(w.value)
                for layer in model.layers for w in layer.weights}
    if hasattr(model, "state_dict"):  # PyTorch
        state = {canonical_name(k): v.detach().cpu().numpy() for k, v in model.state_dict().items()}
        return from_torch_layout(state)
    if hasattr(model, "w"):  # the TensorFlow tf.Module above
        return {name: v.numpy() for name, v in model.w.items()}
    raise TypeError(f"expected a model from utils.models (Keras, tf.Module or nn.Module), got {type(model).__name__}")


def torch_name(name: str) -> str:
    """A canonical weight name as a PyTorch parameter name: 'dense1/kernel' -> 'dense1.weight'."""
    layer, kind = name.rsplit("/", 1)
    return f"{layer}.{'weight' if kind == 'kernel' else 'bias'}"


def canonical_name(name: str) -> str:
    """A PyTorch parameter name as a canonical weight name: 'dense1.weight' -> 'dense1/kernel'."""
    layer, kind = name.rsplit(".", 1)
    return f"{layer}/{'kernel' if kind == 'weight' else 'bias'}"
