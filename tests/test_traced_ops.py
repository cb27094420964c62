"""utils.traced_ops: a traced graph's ops counted by kind, in a short table instead of a wall of names."""

import pytest

from utils import traced_ops

TORCH = ["aten._assert_tensor_metadata.default", "aten.to.dtype_layout", "aten.matmul.default",
         "aten._assert_tensor_metadata.default", "aten.to.dtype_layout", "aten.add.Tensor", "aten.relu.default"]
TF = ["ReadVariableOp", "MatMul", "ReadVariableOp", "BiasAdd", "Relu", "Cast", "Identity", "NoOp"]
JAX = ["dot_general", "broadcast_in_dim", "add", "convert_element_type", "custom_jvp_call"]


@pytest.mark.parametrize("op, name, kind", [
    ("aten.matmul.default", "matmul", "compute"), ("aten.to.dtype_layout", "to", "conversions"),
    ("aten._to_copy.default", "_to_copy", "conversions"), ("aten._assert_scalar.default", "_assert_scalar", "checks"),
    ("aten._assert_tensor_metadata.default", "_assert_tensor_metadata", "checks"), ("MatMul", "MatMul", "compute"),
    ("Cast", "Cast", "conversions"), ("CheckNumerics", "CheckNumerics", "checks"),
    ("ReadVariableOp", "ReadVariableOp", "bookkeeping"), ("dot_general", "dot_general", "compute"),
    ("convert_element_type", "convert_element_type", "conversions"),
])
def test_each_op_is_named_short_and_sorted_into_its_kind(op, name, kind):
    assert traced_ops.op_name(op) == name and traced_ops.op_kind(op) == kind


def test_op_kinds_keeps_the_graphs_order_and_every_op():
    kinds = traced_ops.op_kinds(TORCH)
    assert kinds == {"compute": ["matmul", "add", "relu"], "conversions": ["to", "to"],
                     "checks": ["_assert_tensor_metadata"] * 2, "bookkeeping": []}
    assert sum(map(len, traced_ops.op_kinds(TF).values())) == len(TF)


def test_op_table_is_short_counts_by_kind_and_names_few_ops():
    many = TORCH * 5
    table = traced_ops.op_table({"torch": many, "tensorflow": TF, "jax": JAX},
                                {"torch": {"traced by": "torch.export graph"}}, examples=2)
    lines = table.splitlines()
    assert len(lines) == 1 + 3 + 3  # a header, a row and a line per graph, however long the graphs
    assert lines[0].split()[:4] == ["graph", "traced", "by", "ops"]
    assert lines[1].split()[:5] == ["torch", "torch.export", "graph", "35", "15"]
    assert "torch: compute matmul, add (+1 more); other ops to x10, _assert_tensor_metadata x10" in lines
    assert "jax: compute dot_general, broadcast_in_dim (+2 more); other ops convert_element_type x1" in lines
    assert table.count("_assert_tensor_metadata") == 1 and max(map(len, lines)) < 110


@pytest.mark.parametrize("call, error, match", [
    (lambda: traced_ops.op_name(""), TypeError, "op"),
    (lambda: traced_ops.op_kinds("MatMul"), TypeError, "ops"),
    (lambda: traced_ops.op_table([]), TypeError, "graphs"),
    (lambda: traced_ops.op_table({}), ValueError, "graphs"),
    (lambda: traced_ops.op_table({"tf": TF}, examples=0), ValueError, "examples"),
    (lambda: traced_ops.op_table({"tf": TF}, columns=[1]), TypeError, "columns"),
])
def test_bad_arguments_are_rejected_with_their_name(call, error, match):
    with pytest.raises(error, match=match):
        call()
