"""Exercise check: a PyTorch port of a Keras Conv2D-BatchNorm-Flatten-Dense model, decided by the learner.

Used by notebook 01 (exercise 2b).

    port = {"conv kernel": lambda k: ..., "permute before flatten": ..., "dense kernel": lambda k: ...}
    check_port("2b: the port's layouts", port, keras_model)

A port of such a model has two classic bugs, both decisions about layout:
- the convolution kernel: Keras keeps it HWIO (height, width, in, out), `nn.Conv2d` OIHW; the axes must
  move (a transpose), while a reshape keeps the numbers in memory order and scrambles the filters;
- the order of the flattened features: Keras flattens channels-last maps (h, w, c), PyTorch channels-first
  ones (c, h, w); either the port permutes its maps to channels-last before flattening, or the rows of the
  Dense kernel are reordered to (c, h, w).

`check_port` builds the port from the learner's three answers (it copies the biases and the BatchNorm
statistics itself, and feeds PyTorch channels-first images), runs it beside the Keras model in inference
mode, and says which decision goes wrong by where the two models' outputs part: already at the
convolution, or only at Dense. It never names the right transform, and never raises for any answer.
"""

from __future__ import annotations

import numpy as np

from utils.exercises import UNANSWERED, _describe, forbidden_reason, report, to_numpy

PARTS = ("conv kernel", "permute before flatten", "dense kernel")
HINT = ("write down where each axis of the Keras kernel must land in PyTorch's layout, and in which order "
        "each framework's Flatten reads a feature map")
RTOL, ATOL = 1e-4, 1e-5
_FORBIDDEN = ("to_torch_layout",)
_MOVES = "a port moves the weights, never changes them"


def check_port(name: str, answer, model, x=None):
    """Exercise check: run the port `answer` describes beside the Keras `model`; say where their outputs part.

    Args:
        name: the exercise's name ("2b: the port's layouts").
        answer: the learner's dict: "conv kernel" and "dense kernel" are functions from the Keras kernel
            (a NumPy array) to the weight `nn.Conv2d` / `nn.Linear` holds; "permute before flatten" is
            True when the port permutes (N, C, H, W) to (N, H, W, C) before flattening.
        model: the Keras model ported: Conv2D (stride 1, "same" or "valid", ReLU or no activation), then
            optional BatchNormalization and MaxPooling2D, then Flatten and Dense.
        x: channels-last images to run both on; defaults to 8 seeded random ones.

    Returns:
        The Verdict (true when the port computes Keras's logits within rtol 1e-4, atol 1e-5).

    Raises:
        TypeError: `model` is not such a Keras model (the author's argument, checked before the answer).
    """
    layers = _layers(model)
    reason = forbidden_reason(_FORBIDDEN)
    if reason is None:
        try:
            reason = _port_problem(answer, layers, model, x)
        except Exception as err:  # whatever the answer: an explanation, never a traceback
            reason = f"could not run your port ({type(err).__name__})"
    return report(name, reason, HINT)


def _layers(model) -> dict:
    """The ported layers of `model` by kind; TypeError when it is not a model this check can port."""
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    kinds = {"conv": keras.layers.Conv2D, "batchnorm": keras.layers.BatchNormalization,
             "pool": keras.layers.MaxPooling2D, "flatten": keras.layers.Flatten, "dense": keras.layers.Dense}
    found = {next((k for k, cls in kinds.items() if isinstance(layer, cls)), type(layer).__name__): layer
             for layer in model.layers}
    expected = [k for k in kinds if k in ("conv", "flatten", "dense") or k in found]
    if len(found) != len(model.layers) or list(found) != expected:
        raise TypeError("model must be Conv2D, [BatchNormalization], [MaxPooling2D], Flatten, Dense in that "
                        f"order; got {[type(layer).__name__ for layer in model.layers]}")
    conv = found["conv"]
    if tuple(conv.strides) != (1, 1) or conv.activation.__name__ not in ("relu", "linear") or (
            conv.padding == "same" and any(k % 2 == 0 for k in conv.kernel_size)):
        raise TypeError("model's Conv2D must have stride 1, an odd kernel when padding is 'same', "
                        f"and ReLU or no activation; got {conv.get_config()}")
    return found


def _keras_outputs(layers, model, x) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keras's convolution output, its map before Flatten (N, H, W, C), and its logits, in inference mode."""
    from keras import ops

    h, outputs = x, {}
    for layer in model.layers:
        h = layer(h, training=False)
        outputs[id(layer)] = h
    before_flatten = outputs[id(model.layers[model.layers.index(layers["flatten"]) - 1])]
    return tuple(ops.convert_to_numpy(v) for v in (outputs[id(layers["conv"])], before_flatten, h))


def _port_problem(answer, layers, model, x) -> str | None:
    """Why the learner's port does not compute the Keras model's logits (None when it does)."""
    if answer is Ellipsis or answer is None:
        return UNANSWERED
    if not isinstance(answer, dict):
        return f"expected a dict with keys {list(PARTS)}, got {_describe(answer)}"
    missing = [p for p in PARTS if p not in answer]
    if missing:
        return f"missing keys {missing}: answer each of {list(PARTS)}"
    unanswered = [p for p in PARTS if answer[p] is Ellipsis]
    if unanswered:
        return UNANSWERED.replace("`...`", f"`...` of {unanswered[0]!r}")
    permute = answer["permute before flatten"]
    if not isinstance(permute, bool | np.bool_):
        return f"answer 'permute before flatten' with True or False, got {_describe(permute)}"
    conv, dense = layers["conv"], layers["dense"]
    keras_conv, keras_dense = (np.asarray(to_numpy(w), dtype=np.float32) for w in (conv.kernel, dense.kernel))
    conv_w = _converted(answer["conv kernel"], "conv kernel", keras_conv,
                        (keras_conv.shape[3], keras_conv.shape[2], *keras_conv.shape[:2]), "nn.Conv2d")
    if isinstance(conv_w, str):
        return conv_w
    dense_w = _converted(answer["dense kernel"], "dense kernel", keras_dense, keras_dense.shape[::-1], "nn.Linear")
    if isinstance(dense_w, str):
        return dense_w
    if x is None:
        x = np.random.default_rng(0).normal(size=(8, *model.input_shape[1:])).astype(np.float32)
    want_conv, want_map, want_logits = _keras_outputs(layers, model, np.asarray(x, dtype=np.float32))
    got_conv, got_logits = _torch_port(layers, conv_w, bool(permute), dense_w, x)
    if not np.allclose(got_conv, want_conv, rtol=RTOL, atol=ATOL):
        return _conv_problem(conv_w, keras_conv)
    if not np.allclose(got_logits, want_logits, rtol=RTOL, atol=ATOL):
        return _dense_problem(dense_w, keras_dense, bool(permute), want_map.shape[1:])
    return None


def _converted(func, part, kernel, shape, layer) -> np.ndarray | str:
    """The learner's function applied to a copy of `kernel`, as float32; a str says why it cannot be used."""
    if not callable(func):
        return f"{part!r} must be a function of the Keras kernel (a NumPy array), got {_describe(func)}"
    try:
        got = func(kernel.copy())
    except Exception as err:
        return f"your {part!r} function raised {type(err).__name__}: {str(err)[:80]}"
    if got is Ellipsis or got is None:
        return UNANSWERED.replace("`...`", f"`...` in {part!r}") if got is Ellipsis else \
            f"your {part!r} function returned None: return the converted kernel"
    try:
        got = np.ascontiguousarray(to_numpy(got), dtype=np.float32)
    except Exception:
        return f"your {part!r} function returned {_describe(got)}, not an array of numbers"
    if got.shape != tuple(shape):
        return (f"your {part!r} has shape {got.shape}, which the port's {layer} cannot hold: PyTorch's layer "
                f"keeps its weight in its own layout (look at the `.weight.shape` of a PyTorch {layer})")
    return got


def _torch_port(layers, conv_w, permute, dense_w, x) -> tuple[np.ndarray, np.ndarray]:
    """The port's convolution output (back to channels-last) and its logits, in PyTorch, inference mode."""
    import torch
    import torch.nn.functional as F
    from keras import ops

    conv, dense = layers["conv"], layers["dense"]
    as_t = lambda v: torch.as_tensor(np.asarray(ops.convert_to_numpy(v), dtype=np.float32))  # noqa: E731
    with torch.no_grad():
        h = torch.as_tensor(np.ascontiguousarray(np.asarray(x, dtype=np.float32).transpose(0, 3, 1, 2)))
        pad = tuple(k // 2 for k in conv.kernel_size) if conv.padding == "same" else 0
        h = F.conv2d(h, torch.as_tensor(conv_w), as_t(conv.bias) if conv.use_bias else None, padding=pad)
        h = torch.relu(h) if conv.activation.__name__ == "relu" else h
        got_conv = h.permute(0, 2, 3, 1).numpy().copy()
        if "batchnorm" in layers:
            bn = layers["batchnorm"]
            h = F.batch_norm(h, as_t(bn.moving_mean), as_t(bn.moving_variance),
                             as_t(bn.gamma) if bn.scale else None, as_t(bn.beta) if bn.center else None,
                             training=False, eps=bn.epsilon)
        if "pool" in layers:
            pool = layers["pool"]
            h = F.max_pool2d(h, tuple(pool.pool_size), tuple(pool.strides))
        h = h.permute(0, 2, 3, 1) if permute else h
        logits = F.linear(torch.flatten(h, 1), torch.as_tensor(dense_w),
                          as_t(dense.bias) if dense.use_bias else None)
    return got_conv, logits.numpy()


def _conv_problem(got: np.ndarray, kernel: np.ndarray) -> str:
    """What goes wrong in a convolution kernel of the right shape whose outputs differ from Keras's."""
    start = "the convolution outputs already differ from Keras's"
    if not _same_numbers(got, kernel):
        return f"{start}, and your conv kernel holds other numbers than the Keras kernel: {_MOVES}"
    if np.array_equal(got, np.asarray(kernel.T)):
        return (f"{start}: the kernel's axes are in the wrong order; in and out sit where PyTorch wants them, but each "
                "filter's height and width are swapped, so every filter is applied transposed")
    if np.array_equal(got, kernel.reshape(got.shape)):
        return (f"{start}: the kernel's axes are in the wrong order; its numbers kept their memory order and were "
                "regrouped into the new shape, so each filter now mixes weights of other positions and filters")
    return (f"{start}: the kernel's axes are in the wrong order (each axis of the Keras kernel must land where "
            "PyTorch keeps that axis)")


def _dense_problem(got: np.ndarray, kernel: np.ndarray, permute: bool, map_shape) -> str:
    """What goes wrong in a Dense kernel of the right shape when the convolutions agree but the logits do not."""
    start = "the convolution outputs agree but the Dense outputs (the logits) do not"
    if not _same_numbers(got, kernel):
        return f"{start}, and your dense kernel holds other numbers than the Keras kernel: {_MOVES}"
    if not all(_same_numbers(row, col) for row, col in zip(got, kernel.T, strict=True)):
        return (f"{start}: each output unit's weights are mixed with other units' (the kernel's numbers were "
                "regrouped, not its axes swapped)")
    h, w, c = map_shape
    channels_first_rows = kernel.reshape(h, w, c, -1).transpose(2, 0, 1, 3).reshape(h * w * c, -1).T
    if permute and np.array_equal(got, channels_first_rows):
        return (f"{start}: the features reach Dense in a different order from Keras's Flatten, because your port "
                "reorders them twice: once by the permute before Flatten, and again in the Dense kernel's rows")
    return (f"{start}: the features reach Dense in a different order from the one Keras's Flatten gave them "
            f"(your port flattens {'channels-last' if permute else 'channels-first'} maps), so each weight "
            "multiplies another feature than in Keras")


def _same_numbers(a: np.ndarray, b: np.ndarray) -> bool:
    """Do `a` and `b` hold the same numbers, in any order?"""
    return a.size == b.size and np.allclose(np.sort(a, axis=None), np.sort(b, axis=None), rtol=RTOL, atol=ATOL)

