"""Readability numbers counted from source code (never by hand): lines, tokens, branches, framework API names.

Used by notebooks 01 (level of API) and 03 (architecture and readability).

    from utils import code_metrics
    code_metrics.measure(MyBlock)                        # a class, function or method (notebook cells work too)
    code_metrics.measure("y = tf.nn.relu(x)")            # or a source string
    code_metrics.measure([Dense, Block, build_model])    # or several pieces, measured as one snippet
    code_metrics.measure_each({"Keras": KerasBlock, "PyTorch": TorchBlock})   # a table, one row per snippet
    code_metrics.source(MyBlock)                         # the source text itself (works where inspect
                                                         # fails: classes defined in notebook cells)

The rule for measuring a version of a job (notebooks 01 and 03 both apply it, through `measure_job`):
RULE below. Model code defines the network; training code trains it and predicts with it; harness code
only makes the versions comparable (loading the series' shared weights, checking results) and is shown,
never counted, since a project written in one framework would not need it.

    code_metrics.measure_jobs({"PyTorch": {"model": [TorchMLP], "training": [train_torch],
                                           "harness": [load_torch]}})

What is counted (docstrings, comments and blank lines never count):
- lines: physical lines that hold code (a statement split over 3 lines is 3 lines).
- tokens: Python tokens (names, operators, brackets, numbers, strings; one string literal, f-strings
  included, is one token; NEWLINE/INDENT/DEDENT bookkeeping tokens are not counted).
- branches: the places where control flow can go more than one way, one each for: `if`, `elif`, a
  conditional expression (`a if c else b`), `for`, `while`, each `except` clause, `with` (its exit may
  swallow an exception), each `case` of a `match`, each `for` and each `if` clause in a comprehension,
  and each `and`/`or` operator (`a and b or c` counts 2).
- API names: the distinct dotted names rooted at an imported framework module or alias, resolved to
  the full module path: `tf.nn.relu` -> `tensorflow.nn.relu`, `nn.Linear` -> `torch.nn.Linear`. Aliases
  come from the snippet's own imports and from `aliases` (DEFAULT_ALIASES unless given). Frameworks are
  keras, tensorflow, torch, jax and numpy, plus any module named in `aliases` (`import math` is not one). Attributes
  reached through an object (`x.sum()`, `tape.gradient(...)`) are not counted: their owner is only
  known when the code runs. Names are grouped by framework (the first part: keras, tensorflow, ...).
"""

from __future__ import annotations

import ast
import inspect
import io
import linecache
import textwrap
import tokenize
from dataclasses import dataclass

from utils.checks import check_choice, check_dict, check_str
from utils.frameworks import IDS
from utils.tables import text_table

# The conventional aliases of the series' notebooks (`import tensorflow as tf`, `from torch import nn`, ...).
DEFAULT_ALIASES = {
    "keras": "keras",
    "tf": "tensorflow",
    "tensorflow": "tensorflow",
    "torch": "torch",
    "nn": "torch.nn",
    "F": "torch.nn.functional",
    "jax": "jax",
    "jnp": "jax.numpy",
    "np": "numpy",
    "numpy": "numpy",
}
RULE = ("Model code defines the network; training code trains it and predicts with it; harness code (loading "
        "the series' shared weights, checking results) only makes the versions comparable: it is shown, not counted.")
PARTS = ("model", "training", "harness")
_FRAMEWORK_ORDER = IDS  # the series' order, from utils.frameworks
_NOT_TOKENS = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
               tokenize.ENDMARKER, tokenize.ENCODING}


@dataclass(frozen=True)
class CodeMetrics:
    """The numbers for one snippet; `api_names` maps a framework to the sorted distinct names it uses."""

    name: str
    lines: int
    tokens: int
    branches: int
    api_names: dict[str, tuple[str, ...]]

    @property
    def api_count(self) -> int:
        """Distinct framework API names, all frameworks together."""
        return sum(len(names) for names in self.api_names.values())

    @property
    def api_counts(self) -> dict[str, int]:
        """Distinct framework API names per framework."""
        return {framework: len(names) for framework, names in self.api_names.items()}

    def __repr__(self) -> str:
        per = ", ".join(f"{framework} {count}" for framework, count in self.api_counts.items())
        return (f"CodeMetrics({self.name!r}: {self.lines} lines, {self.tokens} tokens, {self.branches} "
                f"branches, {self.api_count} API names" + (f" ({per}))" if per else ")"))


def _named(items, name: str, kind: str):
    """The item of `items` whose .name is `name` (KeyError listing the names)."""
    for item in items:
        if item.name == name:
            return item
    raise KeyError(f"no {kind} named {name!r}: the names are {[item.name for item in items]}")


@dataclass(frozen=True)
class MetricsTable:
    """Several snippets' metrics side by side; str() is a text table, rows() a list of dicts."""

    metrics: tuple[CodeMetrics, ...]

    def __getitem__(self, name: str) -> CodeMetrics:
        return _named(self.metrics, name, "snippet")

    @property
    def frameworks(self) -> list[str]:
        """Every framework any snippet uses, in the series' order (unknown ones last, sorted)."""
        used = {framework for m in self.metrics for framework in m.api_names}
        return [f for f in _FRAMEWORK_ORDER if f in used] + sorted(used - set(_FRAMEWORK_ORDER))

    def rows(self) -> list[dict]:
        """One dict per snippet: name, lines, tokens, branches, API names, then one count per framework."""
        return [{"snippet": m.name, "lines": m.lines, "tokens": m.tokens, "branches": m.branches,
                 "API names": m.api_count, **{f"{f} names": m.api_counts.get(f, 0) for f in self.frameworks}}
                for m in self.metrics]

    def __str__(self) -> str:
        return text_table(self.rows(), align={"snippet": "<"})

    __repr__ = __str__


def measure(code, name: str | None = None, aliases: dict[str, str] | None = None) -> CodeMetrics:
    """Count the metrics of a function, class, method or source string (see the module docstring).

    A list or tuple of those is measured as one snippet (their sources joined), named "A + B" by default.

    aliases: name -> module path, e.g. {"tf": "tensorflow", "nn": "torch.nn"}; default DEFAULT_ALIASES;
    pass {} to rely on the snippet's own imports only. The snippet's imports win over `aliases`.
    """
    source, default_name = _source_of(code)
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    aliases = _check_aliases(DEFAULT_ALIASES if aliases is None else aliases)
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise ValueError(f"not valid Python source: {err.msg} (line {err.lineno}): {err.text!r}") from err
    docstrings = _docstring_lines(tree)
    code_lines, tokens = _lines_and_tokens(source, docstrings)
    if not code_lines:
        raise ValueError("the source holds no code (only blank lines, comments or docstrings)")
    frameworks = set(_FRAMEWORK_ORDER) | {module.split(".")[0] for module in aliases.values()}
    imported = {k: v for k, v in _imported_aliases(tree).items() if v.split(".")[0] in frameworks}
    names = _api_names(tree, {**aliases, **imported})
    grouped: dict[str, list[str]] = {}
    for dotted in sorted(names):
        grouped.setdefault(dotted.split(".")[0], []).append(dotted)
    order = [f for f in _FRAMEWORK_ORDER if f in grouped] + sorted(set(grouped) - set(_FRAMEWORK_ORDER))
    return CodeMetrics(name=name or default_name, lines=len(code_lines), tokens=tokens,
                       branches=_branches(tree), api_names={f: tuple(grouped[f]) for f in order})


def measure_each(snippets, aliases: dict[str, str] | None = None) -> MetricsTable:
    """measure() each of several named snippets: a dict {name: code} or a list of (name, code) pairs."""
    if isinstance(snippets, dict):
        pairs = list(snippets.items())
    elif isinstance(snippets, list | tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in snippets):
        pairs = list(snippets)
    else:
        raise TypeError("snippets must be a dict {name: function, class or source} or a list of (name, code) "
                        f"pairs, got {type(snippets).__name__}")
    if not pairs:
        raise ValueError("snippets is empty: give at least one named snippet")
    return MetricsTable(tuple(measure(code, name=name, aliases=aliases) for name, code in pairs))


@dataclass(frozen=True)
class JobMetrics:
    """One version of a job measured by RULE: `total` counts model + training code; harness lines are shown only."""

    name: str
    model_lines: int
    training_lines: int
    harness_lines: int
    total: CodeMetrics

    def row(self) -> dict:
        return {"version": self.name, "model lines": self.model_lines, "training lines": self.training_lines,
                "lines": self.total.lines, "tokens": self.total.tokens, "branches": self.total.branches,
                "API names": self.total.api_count, "harness lines (not counted)": self.harness_lines}


_ZERO_DROPPABLE = ("training lines", "branches")  # counts that can be 0 everywhere (no training code, no branches)


@dataclass(frozen=True)
class JobsTable:
    """Several versions of one job side by side; str() is a text table, `jobs[name]` one JobMetrics."""

    jobs: tuple[JobMetrics, ...]

    def __getitem__(self, name: str) -> JobMetrics:
        return _named(self.jobs, name, "version")

    def column(self, key: str) -> dict:
        """{version: value} of one column of the table, e.g. column("tokens")."""
        rows = [job.row() for job in self.jobs]
        check_choice("key", key, list(rows[0]))
        return {row["version"]: row[key] for row in rows}

    def __str__(self) -> str:
        """The table; a count column that is 0 for every version says nothing there, so it is named under it."""
        rows = [job.row() for job in self.jobs]
        zero = [k for k in rows[0] if k in _ZERO_DROPPABLE and not any(row[k] for row in rows)]
        table = text_table([{k: v for k, v in row.items() if k not in zero} for row in rows], align={"version": "<"})
        return table + (f"\n(left out: {' and '.join(zero)}, 0 in every version)" if zero else "")

    __repr__ = __str__


def measure_job(name: str, parts: dict, aliases: dict[str, str] | None = None) -> JobMetrics:
    """Measure one version of a job by RULE: `parts` maps "model", "training", "harness" to code (any of
    measure()'s inputs); model and training are counted together, harness lines are reported only.
    """
    check_str("name", name)
    check_dict("parts", parts)
    unknown = sorted(set(parts) - set(PARTS))
    if unknown or not ({"model", "training"} & set(parts)):
        raise ValueError(f"parts must map some of {PARTS} to code, with a model or a training part; "
                         f"got keys {sorted(parts)}")
    pieces = {part: list(code) if isinstance(code, list | tuple) else [code] for part, code in parts.items()}

    def lines(part):
        return measure(pieces[part], aliases=aliases).lines if part in pieces else 0

    counted = pieces.get("model", []) + pieces.get("training", [])
    return JobMetrics(name, lines("model"), lines("training"), lines("harness"),
                      measure(counted, name=name, aliases=aliases))


def measure_jobs(versions: dict, aliases: dict[str, str] | None = None) -> JobsTable:
    """measure_job() each version of a job: {name: {"model": ..., "training": ..., "harness": ...}}."""
    check_dict("versions", versions)
    if not versions:
        raise ValueError("versions is empty: give at least one {name: parts} entry")
    return JobsTable(tuple(measure_job(name, parts, aliases) for name, parts in versions.items()))


def source(code) -> str:
    """The dedented source of a function, class or method (or of a list of them, joined), as measured."""
    return _source_of(code)[0]


def _source_of(code) -> tuple[str, str]:
    """(dedented source, default name) of a source string, a function/class/method, or a list of those."""
    if isinstance(code, list | tuple):
        if not code:
            raise ValueError("an empty list of code pieces: give at least one function, class or source string")
        pieces = [_source_of(piece) for piece in code]
        return "\n\n".join(source for source, _ in pieces), " + ".join(name for _, name in pieces)
    if isinstance(code, str):
        if not code.strip():
            raise ValueError("the source string is empty")
        return textwrap.dedent(code), "snippet"
    target = inspect.unwrap(code.__func__ if inspect.ismethod(code) else code)
    if not (inspect.isfunction(target) or inspect.isclass(target)):
        raise TypeError("code must be a source string, a function, a method or a class (or a list of them), "
                        f"got {type(code).__name__}")
    try:
        source = inspect.getsource(target)
    except (OSError, TypeError):
        source = _class_source_from_methods(target) if inspect.isclass(target) else None
    if source is None:
        raise TypeError(f"cannot read the source of {target.__qualname__}: it must be defined in a file "
                        "or a notebook cell (not built in, not typed at a plain Python prompt)")
    return textwrap.dedent(source), target.__qualname__


def _class_source_from_methods(cls) -> str | None:
    """A class's source found through one of its methods (inspect cannot find classes defined in notebooks)."""
    for member in vars(cls).values():
        func = inspect.unwrap(getattr(member, "__func__", member))
        code = getattr(func, "__code__", None)
        if code is None or getattr(func, "__qualname__", "").rsplit(".", 1)[0] != cls.__qualname__:
            continue
        lines = linecache.getlines(code.co_filename)
        try:
            tree = ast.parse("".join(lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.ClassDef) and node.name == cls.__name__
                    and node.lineno <= code.co_firstlineno <= node.end_lineno):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                return "".join(lines[start - 1:node.end_lineno])
    return None


def _check_aliases(aliases) -> dict[str, str]:
    if not isinstance(aliases, dict) or not all(isinstance(k, str) and k.isidentifier() and isinstance(v, str)
                                                and v for k, v in aliases.items()):
        raise TypeError(f"aliases must be a dict of name -> module path, e.g. {{'tf': 'tensorflow'}}, got {aliases!r}")
    return aliases


def _docstring_lines(tree: ast.Module) -> set[int]:
    """Line numbers taken by docstrings (of the module, classes and functions)."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


def _lines_and_tokens(source: str, docstrings: set[int]) -> tuple[set[int], int]:
    """The set of physical lines holding code tokens, and the number of code tokens."""
    lines, count, fstring_depth = set(), 0, 0
    fstring_start = getattr(tokenize, "FSTRING_START", None)  # Python 3.12+ splits f-strings into parts
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in _NOT_TOKENS or tok.start[0] in docstrings:
            continue
        lines.update(range(tok.start[0], tok.end[0] + 1))
        if tok.type == fstring_start:
            fstring_depth += 1
            count += fstring_depth == 1
        elif tok.type == fstring_end:
            fstring_depth -= 1
        elif fstring_depth == 0:
            count += 1
    return lines, count


def _branches(tree: ast.AST) -> int:
    """Branch points as defined in the module docstring."""
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.If | ast.IfExp | ast.For | ast.AsyncFor | ast.While | ast.ExceptHandler
                      | ast.With | ast.AsyncWith | ast.match_case):
            count += 1  # an `elif` is an ast.If nested in the parent's orelse, so it counts here too
        elif isinstance(node, ast.comprehension):
            count += 1 + len(node.ifs)
        elif isinstance(node, ast.BoolOp):
            count += len(node.values) - 1
    return count


def _imported_aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> full module path, from the snippet's own import statements."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:  # `import torch.nn` binds `torch`; `import torch.nn as nn` binds `nn`
                found[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                if a.name != "*":
                    found[a.asname or a.name] = f"{node.module}.{a.name}"
    return found


def _api_names(tree: ast.AST, aliases: dict[str, str]) -> set[str]:
    """Distinct full dotted names rooted at an alias, longest chain only (`tf.nn.relu`, not also `tf.nn`)."""
    names: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_Attribute(self, node: ast.Attribute) -> None:
            parts, inner = [node.attr], node.value
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id in aliases:
                names.add(".".join([aliases[inner.id], *reversed(parts)]))
            else:
                self.generic_visit(node)

        def visit_Name(self, node: ast.Name) -> None:
            if isinstance(node.ctx, ast.Load) and node.id in aliases:
                names.add(aliases[node.id])

    Visitor().visit(tree)
    return names
