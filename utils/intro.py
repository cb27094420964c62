"""Notebook 00's exercise checks: each computes its expected answer here, so the notebook never shows it.

Used by notebook 00 (introduction).

    from utils.intro import check_exercise as check
    check("1: gradient of sum(x**3)", answer_1)   # the number before ':' picks the exercise
"""

from __future__ import annotations

import numpy as np

from utils import exercises
from utils.checks import check_str

EXERCISE_X = (1.0, 2.0, 3.0)  # the point where exercise 1 differentiates (notebook 00's x0)
BACKENDS = ("tensorflow", "jax", "torch")
OUTCOMES = ("error", "same outputs", "different outputs")
LAYERS = {"nn.Linear(3, 2)": (3, 2), "nn.Linear(3, 3)": (3, 3)}  # exercise 3's two layers: (in, out)


def check_exercise(name: str, answer):
    """Check exercise 1, 2 or 3 of notebook 00 (chosen by the number `name` starts with); print one line."""
    check_str("name", name)
    number = name.split(":")[0].strip()
    checks = {"1": _check_gradient, "2": _check_backend, "3": _check_port}
    if number not in checks:
        raise ValueError(f"name == {name!r}, must start with the exercise's number: '1: ...', '2: ...' or '3: ...'")
    return checks[number](name, answer)


def _check_gradient(name, answer):
    """Exercise 1: PyTorch's gradient of sum(x**3) at EXERCISE_X."""
    x = np.array(EXERCISE_X)
    expected = 3 * x**2
    giveaways = {"the gradient of sum(x**2 * sin(x)) from the comparison above": 2 * x * np.sin(x) + x**2 * np.cos(x),
                 "x**2 (the power rule also brings down the 3)": x**2, "x itself": x}
    return exercises.check(name, answer, expected, giveaways=giveaways,
                           hint="make x with requires_grad=True, compute (x**3).sum(), call backward(), read x.grad",
                           second_hint="print x.grad after backward(): if it is None, x was made without "
                                       "requires_grad=True; if it is not, compare it with the power rule by hand")


def _check_backend(name, answer):
    """Exercise 2: the back end Keras reports after KERAS_BACKEND changes and keras is imported again."""
    import keras

    expected = keras.backend.backend()  # the back end this process's Keras was imported with
    reason = exercises.explain_choice(answer, expected, BACKENDS, {"pytorch": "torch"}, why="not what Keras reports")
    return exercises.report(name, reason, "" if reason is None or "`...`" in reason else
                            "Python imports a module once per process: what does the second `import keras` do?",
                            second_hint="print id(keras) before and after the second import: the same object "
                                        "means the back end it was first imported with")


def _check_port(name, answer):
    """Exercise 3: what happens when nn.Linear's weight goes into a Keras Dense kernel untransposed."""
    if answer is Ellipsis or answer is None:
        return exercises.report(name, exercises.UNANSWERED)
    if not isinstance(answer, dict) or set(answer) != set(LAYERS):
        return exercises.report(name, f"answer with a dict with the keys {list(LAYERS)}")
    for layer in LAYERS:
        reason = exercises.not_a_choice(answer[layer], OUTCOMES, where=f"for {layer}")
        if reason is not None:
            return exercises.report(name, reason)
    wrong = [layer for layer, shape in LAYERS.items() if answer[layer].strip().lower() != _ported(*shape)]
    if wrong:
        return exercises.report(name, f"your prediction for {wrong[0]} is not what happens",
                                "set_weights checks each array's shape against the kernel's (in, out) shape: "
                                "what can that check not see?",
                                second_hint="write down each layer's weight shape (out, in) beside the kernel "
                                            "shape (in, out) Dense expects: where they are equal, what does "
                                            "the layer compute with a matrix it did not expect?")
    return exercises.report(name, None)


def _ported(n_in: int, n_out: int) -> str:
    """What Keras does with nn.Linear(n_in, n_out)'s weight given as a Dense kernel, untransposed."""
    import keras
    import torch

    torch.manual_seed(0)
    linear = torch.nn.Linear(n_in, n_out)
    dense = keras.layers.Dense(n_out)
    dense.build((None, n_in))
    try:
        dense.set_weights([linear.weight.detach().numpy(), linear.bias.detach().numpy()])
    except ValueError:
        return "error"
    probe = np.random.default_rng(0).normal(size=(4, n_in)).astype(np.float32)
    same = np.allclose(keras.ops.convert_to_numpy(dense(probe)), linear(torch.from_numpy(probe)).detach().numpy(),
                       atol=1e-5)
    return "same outputs" if same else "different outputs"
