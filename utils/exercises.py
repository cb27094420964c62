"""Exercise checks that explain a wrong answer and never crash.

Used by every notebook's exercises (00-07), and by the notebook-specific checks in debug_report,
popularity, streaming and bench.

    from utils.exercises import check, check_function
    check("1: the gradient", my_grad, expected=[2.0, 4.0])
    check_function("2: relu", my_relu, cases=[((-1.0,), 0.0), ((2.0,), 2.0)])

Each check prints one line, starting with "correct" or "not yet", and returns a Verdict that is true
when the answer is right (Jupyter does not echo it, so the printed line stands alone).
Answers may be Python numbers, lists, NumPy arrays, or tensors of any framework.
"""

from __future__ import annotations

import numpy as np

from utils.checks import check_number, check_str


def to_numpy(value) -> np.ndarray:
    """A NumPy copy of a number, list, NumPy array, TensorFlow/JAX/Keras tensor or PyTorch tensor."""
    if hasattr(value, "detach"):  # PyTorch
        value = value.detach().cpu()
    if hasattr(value, "numpy"):  # TensorFlow, PyTorch
        value = value.numpy()
    return np.asarray(value)


def explain(answer, expected, rtol: float = 1e-5, atol: float = 1e-6) -> str | None:
    """Why `answer` does not match `expected` (None when it does)."""
    check_number("rtol", rtol, minimum=0)
    check_number("atol", atol, minimum=0)
    if answer is Ellipsis or answer is None:
        return "replace the `...` with your answer and run the cell again"
    if isinstance(expected, str | bool):
        return None if answer == expected else f"got {answer!r}, expected {expected!r}"
    if isinstance(expected, dict):
        if not isinstance(answer, dict):
            return f"expected a dict with keys {sorted(expected)}, got {type(answer).__name__}"
        missing = sorted(set(expected) - set(answer))
        if missing:
            return f"missing keys {missing}"
        for key in expected:
            reason = explain(answer[key], expected[key], rtol, atol)
            if reason:
                return f"[{key!r}] {reason}"
        return None
    try:
        got, want = to_numpy(answer), to_numpy(expected)
    except Exception as err:  # an answer of any type must get an explanation, not a traceback
        return f"could not read the answer as numbers ({type(answer).__name__}: {err})"
    if not (np.issubdtype(got.dtype, np.number) or got.dtype == bool):
        return f"expected numbers, got {type(answer).__name__} holding {got.dtype}"
    if got.shape != want.shape:
        return f"shape {got.shape}, expected {want.shape}"
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
        where = np.unravel_index(np.argmax(diff), diff.shape) if diff.ndim else ()
        return (f"values differ: at index {tuple(int(i) for i in where)} got {got[where]!r}, expected "
                f"{want[where]!r} (largest difference {diff.max():.3g})")
    return None


def check(name: str, answer, expected, rtol: float = 1e-5, atol: float = 1e-6, hint: str = "") -> Verdict:
    """Compare an answer with the expected value; print 'correct' or what is wrong (plus `hint`)."""
    _check_author_arguments(name, rtol, atol, hint)
    try:
        reason = explain(answer, expected, rtol, atol)
    except Exception as err:
        reason = f"could not check the answer ({type(err).__name__}: {err})"
    return report(name, reason, hint)


def check_function(name: str, func, cases, rtol: float = 1e-5, atol: float = 1e-6, hint: str = "") -> Verdict:
    """Call `func(*args)` for each (args, expected) in `cases`; report the first case that fails."""
    _check_author_arguments(name, rtol, atol, hint)
    if not isinstance(cases, list | tuple) or not cases or not all(
            isinstance(c, tuple) and len(c) == 2 and isinstance(c[0], tuple) for c in cases):
        # the cases come from the notebook's author, but a check must still answer, not crash
        return report(name, "this exercise's cases are malformed (expected a list of (args tuple, expected) "
                      "pairs): please report it", hint)
    if func is Ellipsis or func is None or not callable(func):
        reason = "define the function (replace the `...`) and run the cell again"
    else:
        reason = None
        for args, expected in cases:
            try:
                got = func(*args)
            except Exception as err:
                reason = f"calling it with {_short(args)} raised {type(err).__name__}: {err}"
                break
            try:
                problem = explain(got, expected, rtol, atol)
            except Exception as err:  # never crash: say what could not be compared
                problem = f"could not compare the result ({type(err).__name__}: {err})"
            if problem:
                reason = f"with {_short(args)}: {problem}"
                break
    return report(name, reason, hint)


def _check_author_arguments(name, rtol, atol, hint) -> None:
    check_str("name", name)
    check_number("rtol", rtol, minimum=0)
    check_number("atol", atol, minimum=0)
    if not isinstance(hint, str):
        raise TypeError(f"hint must be a string, got {type(hint).__name__}")


class Verdict:
    """The outcome of a check: true when correct; `reason` says what is wrong."""

    def __init__(self, reason: str | None):
        self.reason = reason

    def __bool__(self) -> bool:
        return self.reason is None

    def _ipython_display_(self) -> None:  # the check already printed its line
        pass


def report(name: str, reason: str | None, hint: str = "") -> Verdict:
    """Print "Exercise <name>: correct" (reason None) or "... not yet: <reason>. Hint: ..."; the Verdict."""
    check_str("name", name)
    if not isinstance(hint, str):
        raise TypeError(f"hint must be a string, got {type(hint).__name__}")
    verdict = "correct" if reason is None else f"not yet: {reason}" + (f". Hint: {hint}" if hint else "")
    print(f"Exercise {name}: {verdict}")
    return Verdict(reason)


def _short(args) -> str:
    text = ", ".join(f"array of shape {np.shape(a)}" if np.ndim(a) > 1 else repr(a) for a in args)
    return f"({text[:80]})"

