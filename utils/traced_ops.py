"""Traced graphs summarised: the operations a tracer captured, counted by kind instead of listed.

Used by notebook 03 (the Keras layer on each back end).

    kinds = op_kinds(["aten._assert_tensor_metadata.default", "aten.to.dtype_layout", "aten.matmul.default"])
    # {"compute": ["matmul"], "conversions": ["to"], "checks": ["_assert_tensor_metadata"], "bookkeeping": []}
    print(op_table({"torch": ops}))

An op is named as its tracer prints it: `MatMul` (a tf.function graph), `dot_general` (a jaxpr),
`aten.matmul.default` (a torch.export or torch.fx graph: its short name is `matmul`). Its kind:
- conversions change a tensor's dtype or device: `to`, `_to_copy` (ATen), `Cast` (TensorFlow),
  `convert_element_type` (JAX);
- checks only assert a property of a tensor: `_assert_tensor_metadata` and the other `_assert*` ATen ops,
  `Assert`, `CheckNumerics` (TensorFlow);
- bookkeeping moves values without computing: `ReadVariableOp`, `Identity`, `NoOp`, `Placeholder`, `Const`;
- compute is every other op: the arithmetic.
"""

from __future__ import annotations

from collections import Counter

from utils.checks import check_dict, check_int
from utils.tables import text_table

KINDS = ("compute", "conversions", "checks", "bookkeeping")
CONVERSIONS = frozenset({"to", "_to_copy", "Cast", "convert_element_type"})
CHECKS = frozenset({"Assert", "CheckNumerics"})
BOOKKEEPING = frozenset({"ReadVariableOp", "Identity", "NoOp", "Placeholder", "Const"})


def op_name(op: str) -> str:
    """The short name of a traced op: "aten.matmul.default" -> "matmul"; "MatMul" and "dot_general" unchanged."""
    if not isinstance(op, str) or not op:
        raise TypeError(f"op must be a non-empty string (an op as its tracer prints it), got {op!r:.60}")
    parts = op.split(".")
    return parts[1] if len(parts) > 2 and parts[0] in ("aten", "prims", "torch") else parts[-1]


def op_kind(op: str) -> str:
    """The kind of a traced op, one of KINDS (see the module's docstring for the rule)."""
    name = op_name(op)
    if name in CONVERSIONS:
        return "conversions"
    if name in CHECKS or name.startswith("_assert"):
        return "checks"
    return "bookkeeping" if name in BOOKKEEPING else "compute"


def op_kinds(ops) -> dict[str, list[str]]:
    """Each kind of KINDS -> the short names of `ops` of that kind, in their order in the graph."""
    if isinstance(ops, str) or not isinstance(ops, list | tuple):
        raise TypeError(f"ops must be a list of op names, got {type(ops).__name__}")
    kinds = {kind: [] for kind in KINDS}
    for op in ops:
        kinds[op_kind(op)].append(op_name(op))
    return kinds


def op_table(graphs: dict, columns: dict | None = None, examples: int = 3) -> str:
    """One row per graph, its ops counted by kind; then a few compute ops by name, and the others counted.

    Args:
        graphs: a name (a back end) -> the list of ops its tracer captured.
        columns: a name -> {column: text} shown first in its row (the tensor type, the tracer).
        examples: how many distinct compute ops to name per graph (the rest are counted, not listed).

    Returns:
        The table, then a line per graph naming up to `examples` of its distinct compute ops and
        counting its other ops by name.
    """
    check_dict("graphs", graphs)
    if not graphs:
        raise ValueError("graphs must name at least one graph, got {}")
    columns = check_dict("columns", columns or {})
    examples = check_int("examples", examples, minimum=1)
    rows, lines = [], []
    for name, ops in graphs.items():
        kinds = op_kinds(ops)
        rows.append({"graph": name, **columns.get(name, {}), "ops": len(ops), **{k: len(kinds[k]) for k in KINDS}})
        distinct = list(dict.fromkeys(kinds["compute"]))
        more = f" (+{len(distinct) - examples} more)" if len(distinct) > examples else ""
        counted = Counter(op for kind in KINDS[1:] for op in kinds[kind])
        lines.append(f"{name}: compute {', '.join(distinct[:examples]) or 'none'}{more}; other ops "
                     + (", ".join(f"{op} x{n}" for op, n in counted.items()) or "none"))
    keys = list(dict.fromkeys(k for row in rows for k in row))
    return "\n".join([text_table(rows, keys), *lines])
