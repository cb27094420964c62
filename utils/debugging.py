"""What a learner sees when code fails, scored by code; and the checks that find bugs that do not fail.

Used by notebook 04.

    from utils import debugging
    seen = debugging.capture(some_function)        # exception type, message, the learner's line, lengths
    debugging.score(seen, bugs.SCORING["shape"])   # the error-message score below
    debugging.loss_curve_check(losses, classes=10)  # a Finding: flagged or not, and why

Stored outputs never hold a raw traceback: `capture` keeps the exception out of its printed form and
`clean` replaces folders with file names and memory addresses with `0x…`, so the text is the same on
every machine.

The error-message score, stated once (0-4 per planted bug; notebook 04's markdown repeats it):
- a **silent wrong result** (no exception, and the result is not the fixed code's, e.g. a history that
  holds one symbolic tensor instead of three numbers) scores 0, below any message: nothing tells you;
- the **right result** (no exception, and the fixed code's result: the framework handled the bug, e.g.
  a float64 batch cast to float32) scores 4: there is nothing to debug;
- an **exception** scores 1 for stopping at the bug, plus one point for each of:
  1. culprit: it names what is at fault, in any of the ways a learner can use: the layer's name, the
     operation's name as any framework spells it (`OPERATIONS`: "MatMul", "mat1 and mat2 ... multiplied"
     and "linear" all name a matrix product), the culprit's own shape (a layer's kernel, either
     orientation), or your own line: the deepest line of the learner's code (outside the standard library
     and installed packages) shown in the traceback or quoted in the message is the planted `# BUG:` line
     or calls the layer or operation;
  2. both sides: it shows both things that disagree (both sizes, two dtypes, the label and the classes);
  3. short: the learner reads at most `SHORT_LINES` lines (traceback and message together).
"""

from __future__ import annotations

import contextlib
import io
import linecache
import logging
import math
import pdb
import re
import sysconfig
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from utils.checks import check_int, check_number

SHORT_LINES = 20
LIBRARY_DIRS = tuple({str(Path(sysconfig.get_paths()[key]).resolve()) for key in ("stdlib", "purelib", "platlib")})
_PATH = re.compile(r"""(?:[A-Za-z]:)?(?:[\\/][^\s'"<>():,\\/]+)+[\\/]([^\s'"<>():,\\/]+)""")
_CELL = re.compile(r"""[^\s'"<>()]*ipykernel_\d+[\\/]\d+\.py""")  # a notebook cell's temporary file
_AUTOGRAPH = re.compile(r"__autograph_generated_file\w+\.py")  # AutoGraph's converted copy, random name
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")
_COUNTER = re.compile(r"(__inference_\w+?|_\w+?_device)_\d+\b")
_SHAPE = re.compile(r"\((?:None|\d+)(?:, ?(?:None|\d+))*,?\)|\[(?:\?|-?\d+)(?:, ?(?:\?|-?\d+))*\]|\b\d+x\d+\b")
_DTYPE = re.compile(r"\b(float16|float32|float64|bfloat16|int8|int32|int64|uint8|double|float|half|long|int)\b",
                    re.I)
_DTYPE_ALIASES = {"double": "float64", "float": "float32", "half": "float16", "long": "int64", "int": "int32"}
_NUMBER = re.compile(r"(?<![\d._A-WYZa-wyz])\d+(?![\d.])")  # a number, also in 32x64; not the 2 of dense2
_QUOTED_FILE = re.compile(r'File "([^"]+)", line (\d+)')


def clean(text: str) -> str:
    """`text` with folders removed from paths, memory addresses as `0x…` and run counters as `N`."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    text = _AUTOGRAPH.sub("__autograph_generated_file.py", _ANSI.sub("", text))
    text = _PATH.sub(lambda m: m.group(1), _CELL.sub("<cell>", text))
    text = _ADDRESS.sub("0x…", text)
    return _COUNTER.sub(lambda m: f"{m.group(1)}_N", text)


def is_learner_file(filename: str) -> bool:
    """True for a file of the learner's own code: not the standard library, not an installed package."""
    if filename.startswith("<frozen") or filename.startswith("<string"):
        return False
    if filename.startswith("<"):  # an interactive cell
        return True
    if _AUTOGRAPH.search(filename):  # TensorFlow's converted copy of a function, in a temporary folder
        return False
    resolved = str(Path(filename).resolve())
    return not any(resolved.startswith(d) for d in LIBRARY_DIRS)


@dataclass
class Capture:
    """What a learner sees after running a function: the exception (if any), cleaned of machine details."""

    raised: bool
    type: str | None  # the exception's class name
    message: str  # the exception's text, cleaned
    where: str | None  # "file.py:LINE in function: source" of the deepest line of the learner's own code
    frames: int  # the traceback's length (frames below the captured call)
    lines: int  # lines the learner reads: the formatted traceback, chained exceptions and message
    seen: str = field(repr=False)  # the whole cleaned text the learner reads
    returned: str | None = None  # what the function returned, as text, when it did not raise
    value: object = field(default=None, repr=False)  # what it returned, as is
    warnings: list[str] = field(default_factory=list)  # first lines of warnings and log records, cleaned
    error: BaseException | None = field(default=None, repr=False)  # for pdb; never printed

    def summary(self, width: int = 100) -> str:
        """One or two lines for a table: the type and the message's first line (or what came back)."""
        check_int("width", width, minimum=20)
        if not self.raised:
            return _shorten(f"no exception; {self.returned}", width)
        line = headline(self.message)
        return _shorten(line if line.startswith(f"{self.type}:") else f"{self.type}: {line}", width)


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@contextlib.contextmanager
def _collect_logs(prefixes=("torch", "tensorflow", "keras", "absl")):
    """Route the frameworks' log records into a list (and away from the cell's stderr) for the duration."""
    handler, saved = _Records(), {}
    names = [n for n, logger in logging.Logger.manager.loggerDict.items()
             if isinstance(logger, logging.Logger) and logger.handlers and n.split(".")[0] in prefixes]
    for name in dict.fromkeys([*prefixes, *names]):
        logger = logging.getLogger(name)
        saved[name] = (logger.handlers[:], logger.propagate)
        logger.handlers, logger.propagate = [handler], False
    try:
        yield handler.lines
    finally:
        for name, (handlers, propagate) in saved.items():
            logging.getLogger(name).handlers, logging.getLogger(name).propagate = handlers, propagate


def capture(func, *args, **kwargs) -> Capture:
    """Run `func(*args, **kwargs)` and return what the learner would see, cleaned (never raises).

    Warnings and framework log records raised meanwhile are collected (their first lines), not printed.
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    with warnings.catch_warnings(record=True) as caught, _collect_logs() as logged:
        warnings.simplefilter("always")
        try:
            result = func(*args, **kwargs)
        except Exception as err:  # the point: keep what the learner would see
            error = err
        else:
            error = None
    notes = [str(w.message) for w in caught] + logged
    notes = list(dict.fromkeys(clean(n.strip().splitlines()[0]) for n in notes if n.strip()))
    if error is None:
        return Capture(False, None, "", None, 0, 0, "", _shorten(clean(str(result)), 200), result, notes)
    tb = error.__traceback__.tb_next  # drop this function's own frame
    seen = clean("".join(traceback.format_exception(type(error), error, tb)))
    return Capture(True, type(error).__name__, clean(str(error)), _learner_line(error, tb),
                   len(traceback.extract_tb(tb)), len(seen.splitlines()), seen, None, None, notes, error)


def _learner_line(error, tb) -> str | None:
    """The deepest learner-code location: traceback frames first, then any quoted in the message."""
    where = None
    for frame in traceback.extract_tb(tb):
        if is_learner_file(frame.filename):
            where = (frame.filename, frame.lineno, frame.name, frame.line or "")
    for filename, line in _QUOTED_FILE.findall(str(error)):  # traced code quotes the user's lines
        if is_learner_file(filename):
            where = (filename, int(line), "", linecache.getline(filename, int(line)).strip())
    if where is None:
        return None
    filename, line, name, source = where
    return clean(f"{Path(filename).name}:{line}{' in ' + name if name else ''}: {source.strip()}")


def headline(message: str) -> str:
    """The line of a message that says what went wrong (TensorFlow puts it after a header and a trace)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if not lines:
        return ""
    alarms = [line for line in lines if line.startswith("!!!")]  # tf.debugging.enable_check_numerics
    if alarms:
        return alarms[0].strip("! ")
    if lines[0] in ("in user code:", "Graph execution error:"):
        body = [line for line in lines[1:] if not line.startswith(("File ", "Detected at", "[["))]
        return body[-1] if body else lines[0]
    return lines[0]


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


MAX_SCORE = 4  # the score's range is 0-4


OPERATIONS = {  # an operation, as each framework's messages spell it (its op name, or the words it uses)
    "matmul": r"(?i)\bmat_?mul|\bmat[12]\b|\bmultipl(?:y|ied)\b|\baddmm\b|\blinear\b",
    "cross-entropy": r"(?i)cross_?entropy|\bnll_?loss",
    "float()": r"(?i)\bfloat\(\)|__float__|\.item\(\)",
}


@dataclass(frozen=True)
class Culprit:
    """What a planted bug's message can name (see the score in the module docstring).

    layer: the name the learner gave the thing at fault (a layer, "dense2"; a list, "history");
    op: the failing operation, a key of OPERATIONS; shape: the culprit's own shape (a layer's kernel), or
    None; sides: how a message shows both sides: "dtypes" (two different dtypes), or a tuple whose ints
    must each appear as a number (the two sizes that disagree) and whose strings are regular expressions
    that must each match.
    """

    layer: str
    op: str
    shape: tuple[int, ...] | None = None
    sides: str | tuple = ()

    def __post_init__(self):
        if not isinstance(self.layer, str) or not self.layer:
            raise TypeError(f"layer must be a layer's name, got {self.layer!r}")
        if self.op not in OPERATIONS:
            raise ValueError(f"op must be one of {sorted(OPERATIONS)}, got {self.op!r}")
        if self.shape is not None and not (isinstance(self.shape, tuple) and all(type(d) is int for d in self.shape)):
            raise TypeError(f"shape must be None or a tuple of ints, got {self.shape!r}")
        if self.sides != "dtypes" and not (isinstance(self.sides, tuple) and self.sides and all(
                isinstance(x, int | str) and not isinstance(x, bool) for x in self.sides)):
            raise ValueError(f"sides must be 'dtypes' or a tuple of sizes (ints) and regular expressions, "
                             f"got {self.sides!r}")


@dataclass(frozen=True)
class Score:
    """One planted bug's error-message score (see the module docstring): what it names, and the total.

    outcome: "raised", "right" (no exception, the fixed code's result) or "wrong" (no exception, a wrong
    result); named: how the message names the culprit ("layer", "operation", "shape", "your line").
    """

    outcome: str
    named: tuple[str, ...] = ()
    both_sides: int = 0
    short: int = 0
    lines: int = 0

    @property
    def culprit(self) -> int:
        return int(bool(self.named))

    @property
    def total(self) -> int:
        wrong_or_right = MAX_SCORE if self.outcome == "right" else 0
        return 1 + self.culprit + self.both_sides + self.short if self.outcome == "raised" else wrong_or_right


def _shapes(text: str) -> set[tuple[int, ...]]:
    return {tuple(int(d) for d in re.findall(r"\d+", s)) for s in _SHAPE.findall(text)}


def score_text(message: str, culprit: Culprit, where: str | None = None, lines: int | None = None) -> Score:
    """Score one exception's message (see the module docstring): what it names, and whether it is short.

    Args:
        message: the exception's text.
        culprit: what the planted bug's message can name (a `Culprit`).
        where: the learner's deepest line as `Capture.where` gives it (None: none is shown).
        lines: how many lines the learner reads (default: the message's own lines).
    """
    if not isinstance(message, str):
        raise TypeError(f"message must be a string, got {type(message).__name__}")
    if not isinstance(culprit, Culprit):
        raise TypeError(f"culprit must be a debugging.Culprit (e.g. bugs.SCORING[bug]), got {type(culprit).__name__}")
    if where is not None and not isinstance(where, str):
        raise TypeError(f"where must be None or a string (Capture.where), got {type(where).__name__}")
    lines = len(message.splitlines()) if lines is None else check_int("lines", lines, minimum=0)
    layer = re.compile(rf"(?i)(?<![\w]){re.escape(culprit.layer)}(?!\w)")
    op = re.compile(OPERATIONS[culprit.op])
    shapes = {culprit.shape, culprit.shape[::-1]} if culprit.shape else set()
    source = (where or "").split(": ", 1)[-1]
    named = tuple(name for name, found in (
        ("layer", bool(layer.search(message))),
        ("operation", bool(op.search(message))),
        ("shape", bool(shapes & _shapes(message))),
        ("your line", bool(where) and ("# BUG" in source.upper() or bool(layer.search(source) or op.search(source)))),
    ) if found)
    if culprit.sides == "dtypes":
        both = len({_DTYPE_ALIASES.get(d.lower(), d.lower()) for d in _DTYPE.findall(message)}) >= 2
    else:
        numbers = {int(n) for n in _NUMBER.findall(message)}
        both = all(x in numbers if isinstance(x, int) else re.search(x, message) for x in culprit.sides)
    return Score("raised", named, int(both), int(lines <= SHORT_LINES), lines)


def score(seen: Capture, culprit: Culprit, right: bool = False) -> Score:
    """Score a captured run of a planted bug: its message when it raised, else its result.
    Args:
        right: when it did not raise, whether it returned the fixed code's result (utils.bugs.right_result).
    """
    if not isinstance(seen, Capture):
        raise TypeError(f"seen must be a Capture from debugging.capture, got {type(seen).__name__}")
    if not isinstance(right, bool):
        raise TypeError(f"right must be True or False (did it return the fixed code's result?), got {right!r}")
    if not seen.raised:
        return Score("right" if right else "wrong")
    return score_text(seen.message, culprit, seen.where, seen.lines)


# ---- checks that flag silent bugs -------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    """A check's verdict: `flagged` True (something is wrong), False (passed) or None (could not check)."""

    check: str
    flagged: bool | None
    reason: str

    def __str__(self) -> str:
        mark = {True: "FLAGGED", False: "passed", None: "cannot check"}[self.flagged]
        return f"{self.check}: {mark}: {self.reason}"


def loss_curve_check(losses, classes: int, window: int = 5) -> Finding:
    """Is the model learning? Flags a NaN/Inf loss, a rising loss, or one that stays near chance level.

    Chance level is ln(classes), the loss of a uniform guess; "learning" means the mean of the last
    `window` losses is below 0.9 x chance and below the mean of the first `window`.
    """
    check_int("classes", classes, minimum=2)
    check_int("window", window, minimum=1)
    losses = [float(v) for v in losses]
    if len(losses) < 2 * window:
        raise ValueError(f"losses must hold at least 2 x window = {2 * window} values, got {len(losses)}")
    name, chance = "loss curve", math.log(classes)
    bad = [i for i, v in enumerate(losses) if not math.isfinite(v)]
    if bad:
        return Finding(name, True, f"diverged: the loss is {losses[bad[0]]} from step {bad[0]}")
    first, last = np.mean(losses[:window]), np.mean(losses[-window:])
    if last > first:
        return Finding(name, True, f"rising: mean loss {first:.2f} over the first {window} steps, "
                                   f"{last:.2f} over the last")
    if last > 0.9 * chance:
        return Finding(name, True, f"not learning: mean loss {last:.2f} stays near chance level "
                                   f"ln({classes}) = {chance:.2f}")
    return Finding(name, False, f"learning: mean loss {first:.2f} -> {last:.2f} (chance level {chance:.2f})")


def gradient_check(norms, factor: float = 3.0, window: int = 5) -> Finding:
    """Do gradient norms grow? Flags a median norm over the last `window` steps > `factor` x the first's."""
    check_number("factor", factor, minimum=1, inclusive=False)
    check_int("window", window, minimum=1)
    name = "gradient norm"
    if norms is None:
        return Finding(name, None, "no gradient norms: this training loop does not expose them")
    norms = [float(v) for v in norms]
    if len(norms) < 2 * window:
        raise ValueError(f"norms must hold at least 2 x window = {2 * window} values, got {len(norms)}")
    first, last = np.median(norms[:window]), np.median(norms[-window:])
    if not math.isfinite(last) or last > factor * first:
        return Finding(name, True, f"growing: median norm {first:.3g} at the start, {last:.3g} at the end")
    return Finding(name, False, f"steady: median norm {first:.3g} at the start, {last:.3g} at the end")


def repeatability_check(first, second, atol: float = 1e-6) -> Finding:
    """Does evaluating the same batch twice give the same outputs? Flags randomness left on (dropout)."""
    check_number("atol", atol, minimum=0)
    first, second = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    if first.shape != second.shape:
        raise ValueError(f"first and second must have the same shape, got {first.shape} and {second.shape}")
    diff = float(np.max(np.abs(first - second))) if first.size else 0.0
    if diff > atol:
        return Finding("repeatable evaluation", True, f"two evaluations of one batch differ by up to {diff:.3g}")
    return Finding("repeatable evaluation", False, "two evaluations of one batch agree")


def logits_check(outputs, atol: float = 1e-4) -> Finding:
    """Are the outputs fed to a from-logits loss already probabilities (rows >= 0 that sum to 1)?"""
    check_number("atol", atol, minimum=0, inclusive=False)
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim != 2:
        raise ValueError(f"outputs must be a 2-D batch of scores, got shape {outputs.shape}")
    probabilities = bool(np.all(outputs >= 0) and np.allclose(outputs.sum(axis=1), 1.0, atol=atol))
    if probabilities:
        return Finding("logits, not probabilities", True, "every row is >= 0 and sums to 1: a softmax was applied")
    return Finding("logits, not probabilities", False, "the outputs are raw scores (logits)")


# ---- pdb, non-interactively -------------------------------------------------------------------------

def pdb_session(seen: Capture, commands, max_lines: int = 30) -> str:
    """Run pdb's post-mortem on a captured error with scripted `commands`; return its cleaned output."""
    check_int("max_lines", max_lines, minimum=1)
    if not isinstance(seen, Capture) or seen.error is None:
        raise TypeError("seen must be a Capture of a function that raised")
    if not isinstance(commands, list | tuple) or not all(isinstance(c, str) for c in commands):
        raise TypeError("commands must be a list of pdb commands as strings, e.g. ['where', 'p x.shape']")
    out = io.StringIO()
    debugger = pdb.Pdb(stdin=io.StringIO("\n".join([*commands, "quit"]) + "\n"), stdout=out, nosigint=True)
    debugger.use_rawinput, debugger.prompt = False, "(Pdb) "  # IPython's debugger says "ipdb> " otherwise
    debugger.reset()
    debugger.interaction(None, seen.error.__traceback__.tb_next)
    parts = _ANSI.sub("", out.getvalue()).split("(Pdb) ")  # stdin is not echoed: add each command after its prompt
    typed = [*commands, "quit"]
    text = parts[0] + "".join(f"(Pdb) {typed[i]}\n{part}" for i, part in enumerate(parts[1:]) if i < len(typed))
    lines = clean(text).splitlines()
    more = [f"... ({len(lines) - max_lines} more lines)"] if len(lines) > max_lines else []
    return "\n".join(lines[:max_lines] + more)


def frames(seen: Capture) -> list[dict]:
    """The Python frames pdb can step through: file name, function, and whether it is the learner's code."""
    if not isinstance(seen, Capture) or seen.error is None:
        raise TypeError("seen must be a Capture of a function that raised")
    return [{"file": clean(Path(f.filename).name), "function": f.name, "yours": is_learner_file(f.filename)}
            for f in traceback.extract_tb(seen.error.__traceback__.tb_next)]

