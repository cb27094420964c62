"""Exercise checks that explain a wrong answer and never crash.

Used by every notebook's exercises (00-07), and by the notebook-specific checks in debug_report,
popularity, streaming and bench.

    from utils.exercises import check, check_function
    check("1: the gradient", my_grad, expected=[2.0, 4.0])
    check_function("2: relu", my_relu, cases=[((-1.0,), 0.0), ((2.0,), 2.0)])

Each check prints one line, starting with "correct" or "not yet", and returns a Verdict that is true
when the answer is right (Jupyter does not echo it, so the printed line stands alone).
Answers may be Python numbers, lists, NumPy arrays, or tensors of any framework.

A wrong answer is told the kind of mismatch and how to think again, never the expected value nor where,
by how much or in which direction it is off: `explain` (values) and `explain_choice` (a word the question
names) word it for every check, and never raise. The answer lives only in each notebook's Solutions.
`report` adds an exercise's `second_hint` from its second wrong try on.

Two keywords keep an exercise from being answered by copying: `giveaways={description: value}` names
values a learner might submit instead of working (the reference printed above, another framework's
result), and `forbidden_calls=("helper", ...)` names the helpers that compute the answer; a cell that
calls one of them is told so (read from the cell's source under IPython; elsewhere not checked).
"""

from __future__ import annotations

import ast
import re

import numpy as np

from utils.checks import check_number, check_str


def to_numpy(value) -> np.ndarray:
    """A NumPy copy of a number, list, NumPy array, TensorFlow/JAX/Keras tensor or PyTorch tensor."""
    if hasattr(value, "detach"):  # PyTorch
        value = value.detach().cpu()
    if hasattr(value, "numpy"):  # TensorFlow, PyTorch
        value = value.numpy()
    return np.asarray(value)


UNANSWERED = "replace the `...` with your answer and run the cell again"
_REWORK = "recheck each step of your working (the formula, its units, signs and rounding)"


def explain(answer, expected, rtol: float = 1e-5, atol: float = 1e-6) -> str | None:
    """Why `answer` does not match `expected` (None when it does); never raises for any answer.

    The one wording of a wrong answer for every check: the kind of mismatch (a wrong type or shape,
    missing keys, values that are off) and how to think about it, never `expected`, nor where, by how
    much or in which direction the answer is off.
    """
    check_number("rtol", rtol, minimum=0)
    check_number("atol", atol, minimum=0)
    if answer is Ellipsis or answer is None:
        return UNANSWERED
    try:
        return _mismatch(answer, expected, rtol, atol)
    except Exception as err:  # an answer of any type must get an explanation, not a traceback
        return f"could not compare your answer ({_describe(answer)}) with the right one ({type(err).__name__})"


def _mismatch(answer, expected, rtol, atol) -> str | None:
    if isinstance(expected, str | bool):
        return None if _equal(answer, expected) else _wrong_word(answer, expected)
    if isinstance(expected, dict):
        if not isinstance(answer, dict):
            return f"expected a dict with keys {sorted(expected)}, got {_describe(answer)}"
        missing = sorted(set(expected) - set(answer))
        if missing:
            return f"missing keys {missing}"
        return next((f"[{key!r}] {reason}" for key in expected
                     if (reason := explain(answer[key], expected[key], rtol, atol))), None)
    try:
        got, want = to_numpy(answer), to_numpy(expected)
    except Exception:
        return f"could not read your answer as numbers ({_describe(answer)})"
    if not (np.issubdtype(got.dtype, np.number) or got.dtype == bool):
        return f"expected numbers, got {_describe(answer)}"
    if got.shape != want.shape:
        yours = "is a single number" if got.ndim == 0 else f"has shape {got.shape}"
        return f"your answer {yours}; the exercise asks for " + (
            "a single number" if want.ndim == 0 else f"an array of shape {want.shape}")
    if np.allclose(got, want, rtol=rtol, atol=atol):
        return None
    if np.isnan(got).any() and not np.isnan(want).any():
        return "your answer holds NaN (not a number): look for 0/0, inf - inf or a NaN in your inputs"
    if np.issubdtype(want.dtype, np.integer) and np.issubdtype(got.dtype, np.floating) and np.isfinite(got).all() \
            and np.any(got % 1):
        return f"the exercise asks for {'a whole number' if want.size == 1 else 'whole numbers'}; {_REWORK}"
    if want.size == 1:
        return f"that is not the right value: {_REWORK}"
    if np.isclose(got, want, rtol=rtol, atol=atol).any():
        return "some values are right, others are off: look at what your working does differently for those"
    return "none of the values is right: check the formula as a whole (its units, signs, a transpose)"


def _equal(answer, expected) -> bool:
    try:
        return bool(answer == expected)
    except Exception:  # an array compared with a word: no match
        return False


def _wrong_word(answer, expected) -> str:
    if isinstance(expected, bool):
        if not isinstance(answer, bool | np.bool_):
            return f"answer with True or False, got {_describe(answer)}"
    elif not isinstance(answer, str):
        return f"answer with a word (a string), got {_describe(answer)}"
    elif answer.strip().lower() == expected.strip().lower():
        return "nearly: write it exactly as the exercise spells it (case and spaces count)"
    return f"{_describe(answer)} is not it: go back to what the exercise describes and reason it through again"


def not_a_choice(answer, choices, synonyms=None, loose=True, where=None) -> str | None:
    """Why `answer` is not one of the words `choices` that the exercise names (None when it is).

    `loose` ignores case and surrounding spaces; `synonyms` maps another spelling to a choice; `where`
    names the part of a larger answer ("for nn.Linear(3, 2)").
    """
    where = f" {where}" if where else ""
    if answer is Ellipsis or answer is None:
        return UNANSWERED.replace("`...`", f"`...`{where}")
    if _chosen(answer, choices, synonyms, loose) is None:
        return f"answer{where} with one of {list(choices)}, got {_describe(answer)}"
    return None


def explain_choice(answer, expected, choices, synonyms=None, loose=True, why=None) -> str | None:
    """Why `answer` is not `expected`, one of `choices` (None when it is); `why` says how to think again.

    A wrong choice reads "'<answer>' is <why>"; the right one is never named.
    """
    reason = not_a_choice(answer, choices, synonyms, loose)
    if reason is None and _chosen(answer, choices, synonyms, loose) != _chosen(expected, choices, synonyms, loose):
        reason = f"{_describe(answer)} is {why or 'not it: go back to the evidence the exercise names and think again'}"
    return reason


def _chosen(answer, choices, synonyms, loose):
    """The choice `answer` names (None when none)."""
    if not isinstance(answer, str):
        return None
    norm = (lambda w: w.strip().lower()) if loose else (lambda w: w)
    word = norm(answer)
    word = next((norm(c) for s, c in (synonyms or {}).items() if norm(s) == word), word)
    return word if word in {norm(c) for c in choices} else None


def _describe(value) -> str:
    """A learner's value in a message: a short string or number as typed, else its kind (never a long repr)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else f"{value[:37]!r}..."
    if isinstance(value, bool | int | float) and len(repr(value)) <= 24:
        return repr(value)
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    kind = "function" if callable(value) else type(value).__name__
    return f"{'an' if kind[0] in 'aeiouAEIOU' else 'a'} {kind}"


def check(name: str, answer, expected, *, rtol: float = 1e-5, atol: float = 1e-6, hint: str = "",
          giveaways: dict | None = None, forbidden_calls=(), second_hint: str | None = None) -> Verdict:
    """Compare an answer with the expected value; print 'correct' or what is wrong (plus `hint`).

    `giveaways` maps a description to a value the learner might submit instead of their own work: an
    answer equal to it is told what it is (exactly equal, when the giveaway is within tolerance of the
    right answer). `forbidden_calls` names helpers that compute the answer: a cell calling one fails.
    `second_hint` is added from the second wrong try on (see `report`).
    """
    _check_author_arguments(name, rtol, atol, hint, giveaways, forbidden_calls, second_hint)
    reason = forbidden_reason(forbidden_calls)
    if reason is None:
        try:
            reason = explain(answer, expected, rtol, atol)
            reason = _giveaway_reason(name, answer, expected, reason, giveaways, rtol, atol) or reason
        except Exception as err:
            reason = f"could not check the answer ({type(err).__name__})"
    return report(name, reason, hint, second_hint)


def check_function(name: str, func, cases, *, rtol: float = 1e-5, atol: float = 1e-6, hint: str = "",
                   giveaways: dict | None = None, forbidden_calls=(), second_hint: str | None = None) -> Verdict:
    """Call `func(*args)` for each (args, expected) in `cases`; report the first case that fails.

    `giveaways` maps a description to a function the learner might hand in instead of their own (the
    library's, the buggy one); `forbidden_calls` names helpers that must not be called, `second_hint` is
    added from the second wrong try on, as in `check`.
    """
    _check_author_arguments(name, rtol, atol, hint, giveaways, forbidden_calls, second_hint)
    if not isinstance(cases, list | tuple) or not cases or not all(
            isinstance(c, tuple) and len(c) == 2 and isinstance(c[0], tuple) for c in cases):
        # the cases come from the notebook's author, but a check must still answer, not crash
        return report(name, "this exercise's cases are malformed (expected a list of (args tuple, expected) "
                      "pairs): please report it", hint)
    reason = forbidden_reason(forbidden_calls)
    handed_in = [d for d, g in (giveaways or {}).items() if _is_same_object(func, g)]
    if reason is None and handed_in:
        reason = f"that is {handed_in[0]}, not {_asks(name)}; write the function yourself"
    if reason is not None:
        return report(name, reason, hint)
    if func is Ellipsis or func is None:
        return report(name, "define the function (replace the `...`) and run the cell again", hint)
    if not callable(func):
        return report(name, f"expected a function, got {_describe(func)}", hint, second_hint)
    for args, expected in cases:
        try:
            got = func(*args)
        except Exception as err:
            return report(name, f"calling it with {_short(args)} raised {type(err).__name__}: {err}", hint,
                          second_hint)
        problem = explain(got, expected, rtol, atol)  # never raises
        if problem:
            return report(name, f"with {_short(args)}: {problem}", hint, second_hint)
    return report(name, None, hint)


def used_names(source: str) -> set[str]:
    """The dotted names a cell's code uses, imports or calls, outside the arguments a check is given.

    Arguments of a `check...(...)` call other than its name and answer (the expected value, the
    giveaways, the forbidden calls) belong to the exercise's author, so they are left out.
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be a string, got {type(source).__name__}")
    try:
        tree = ast.parse(source)
    except SyntaxError:  # not Python (a magic IPython did not translate): every word counts
        return set(re.findall(r"[A-Za-z_][\w.]*", source))
    authors = {id(node) for call in ast.walk(tree) if isinstance(call, ast.Call) and _is_check_call(call)
               for node in _authors_arguments(call) for node in ast.walk(node)}
    names = set()
    for node in ast.walk(tree):
        if id(node) in authors:
            continue
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
            dotted = _dotted(node)
            if dotted:
                names.add(dotted)
        elif isinstance(node, ast.ImportFrom):
            names.update(f"{node.module}.{a.name}" for a in node.names)
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def _check_author_arguments(name, rtol, atol, hint, giveaways=None, forbidden_calls=(), second_hint=None) -> None:
    check_str("name", name)
    check_number("rtol", rtol, minimum=0)
    check_number("atol", atol, minimum=0)
    _check_hints(hint, second_hint)
    if giveaways is not None and not (isinstance(giveaways, dict) and all(
            isinstance(k, str) and k for k in giveaways)):
        raise TypeError(f"giveaways must be a dict {{description: value}} or None, got {giveaways!r:.80}")
    _check_names(forbidden_calls)


def _check_names(forbidden_calls) -> None:
    if isinstance(forbidden_calls, str) or not isinstance(forbidden_calls, list | tuple | set | frozenset) or not all(
            isinstance(f, str) and f.strip(".") for f in forbidden_calls):
        raise TypeError(f"forbidden_calls must be a list or tuple of names, got {forbidden_calls!r:.80}")


def _calling_cell_source() -> str | None:
    """The source of the notebook cell running now, or None outside IPython.

    A Jupyter kernel's request holds the cell's code; a bare IPython shell's last input is the cell.
    """
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            return None
        kernel = getattr(shell, "kernel", None)
        code = kernel.get_parent().get("content", {}).get("code") if kernel is not None else None
        if isinstance(code, str):
            return code
        history = shell.user_ns.get("_ih") or shell.user_ns.get("In")
        return history[-1] if history and isinstance(history[-1], str) else None
    except Exception:  # an unusual shell: nothing to check
        return None


def forbidden_reason(forbidden_calls, source: str | None = None) -> str | None:
    """Why a cell may not pass: it uses a helper that computes the answer (None when it does not).

    `source` defaults to the notebook cell running now; outside IPython nothing is checked.
    """
    _check_names(forbidden_calls)
    source = _calling_cell_source() if source is None else source
    if not forbidden_calls or not source:
        return None
    used = {n.rsplit(".", 1)[-1] for n in used_names(source)}
    for forbidden in forbidden_calls:
        if forbidden.rsplit(".", 1)[-1] in used:
            return (f"{forbidden} computes the answer for you; write it with your own code (the check "
                    "computes the right answer itself)")
    return None


def _giveaway_reason(name, answer, expected, reason, giveaways, rtol, atol) -> str | None:
    """What the answer is, when it is one of the author's named giveaways and not the right answer.

    A giveaway that differs from the right answer is matched within the tolerance (when the answer
    is wrong); one within tolerance of it only when the answer equals it exactly and the right answer
    does not (a NumPy reference handed in for a framework's float32 result).
    """
    if not giveaways or answer is Ellipsis or answer is None or _matches(answer, expected, 0, 0):
        return None
    for description, value in giveaways.items():
        close = _matches(value, expected, rtol, atol)
        if (not close and reason is not None and _matches(answer, value, rtol, atol)) or (
                close and _matches(answer, value, 0, 0)):
            return f"that is {description}, not {_asks(name)}; compute what the exercise asks with your own code"
    return None


def _matches(answer, value, rtol, atol) -> bool:
    try:
        return explain(answer, value, rtol, atol) is None
    except Exception:  # a value that cannot be compared is no match
        return False


def _is_same_object(func, giveaway) -> bool:
    return func is giveaway or getattr(func, "__wrapped__", None) is giveaway


def _asks(name: str) -> str:
    """What an exercise asks for, from its name ("1: the gradient" -> "the gradient")."""
    asks = name.split(":", 1)[1].strip() if ":" in name else ""
    return asks or "what the exercise asks for"


def _is_check_call(call: ast.Call) -> bool:
    dotted = _dotted(call.func)
    return bool(dotted) and dotted.rsplit(".", 1)[-1].startswith("check")


def _authors_arguments(call: ast.Call) -> list:
    """The arguments of a check call that its author wrote: everything except the name and the answer."""
    keep = {"name", "answer", "func", "hint"}
    return call.args[2:] + [k.value for k in call.keywords if k.arg not in keep]


def _dotted(node) -> str | None:
    """'a.b.c' for an attribute chain on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


class Verdict:
    """The outcome of a check: true when correct; `reason` says what is wrong."""

    def __init__(self, reason: str | None):
        self.reason = reason

    def __bool__(self) -> bool:
        return self.reason is None

    def _ipython_display_(self) -> None:  # the check already printed its line
        pass


_TRIES: dict[str, int] = {}  # wrong tries per exercise name in this kernel (a right answer starts again)


def report(name: str, reason: str | None, hint: str = "", second_hint: str | None = None) -> Verdict:
    """Print "Exercise <name>: correct" (reason None) or "... not yet: <reason>. Hint: ..."; the Verdict.

    From the second wrong try of the same exercise on, `second_hint` (a stronger hint) is added; an
    answer still left as `...` is no try.
    """
    check_str("name", name)
    _check_hints(hint, second_hint)
    if reason is None:
        _TRIES.pop(name, None)
        print(f"Exercise {name}: correct")
        return Verdict(None)
    tries = 0 if "`...`" in reason else _TRIES.get(name, 0) + 1
    _TRIES[name] = tries or _TRIES.get(name, 0)
    verdict = f"not yet: {reason}" + (f". Hint: {hint}" if hint else "")
    if second_hint and tries >= 2:
        verdict += f"{'' if verdict.endswith(('.', '?')) else '.'} A stronger hint, after {tries} tries: {second_hint}"
    print(f"Exercise {name}: {verdict}")
    return Verdict(reason)


def forget_tries() -> None:
    """Forget every exercise's wrong tries (a fresh kernel; used by the tests)."""
    _TRIES.clear()


def _check_hints(hint, second_hint) -> None:
    if not isinstance(hint, str):
        raise TypeError(f"hint must be a string, got {type(hint).__name__}")
    if second_hint is not None and not isinstance(second_hint, str):
        raise TypeError(f"second_hint must be a string or None, got {type(second_hint).__name__}")


def _short(args) -> str:
    text = ", ".join(f"array of shape {np.shape(a)}" if np.ndim(a) > 1 else repr(a) for a in args)
    return f"({text[:80]})"
