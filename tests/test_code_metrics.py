"""Each expected number below was counted by hand from the snippet, following utils/code_metrics.py's rules."""

import linecache

import numpy as np
import pytest

from utils.code_metrics import RULE, measure, measure_each, measure_jobs, source

TORCH_SNIPPET = '''
import torch
from torch import nn


def relu_sum(x):
    """Docstring line one.

    line three of docstring.
    """
    # a comment
    y = torch.relu(x)

    return nn.functional.softplus(y).sum()
'''

BRANCHY = '''
def f(xs, flag):
    if flag and xs or not xs:
        return [x for x in xs if x > 0 if x < 9]
    elif len(xs) > 3:
        y = 1 if flag else 2
    else:
        y = 0
    for x in xs:
        while x > 0:
            x -= 1
    try:
        pass
    except ValueError:
        pass
    except TypeError:
        pass
    finally:
        pass
    with open("f") as fh:
        pass
    return {k: v for k, v in zip(xs, xs)}
'''

ALIASED = '''
import tensorflow as tf
from keras import layers
from keras.layers import Dense as D
import numpy
import math


@tf.function
def g(x):
    h = layers.Dense(3)(x) + D(2)(x)
    msg = f"{x} and {h}"
    return tf.nn.relu(
        h
    ) * numpy.pi * math.pi + tf.nn.relu(x)
'''


def plain(x):
    """Only the two code lines count."""
    return np.tanh(x)


class Block:
    """A class whose method is measured on its own."""

    def call(self, x):
        return np.maximum(x, 0.0) if x is not None else x


def test_lines_tokens_and_names_of_a_small_torch_function():
    m = measure(TORCH_SNIPPET)
    # 5 code lines: 2 imports, def, assignment, return (docstring, comment and blank lines excluded).
    # tokens: import torch (2) + from torch import nn (4) + def relu_sum(x): (6) + y = torch.relu(x) (8)
    #         + return nn . functional . softplus ( y ) . sum ( ) (13) = 33
    assert (m.lines, m.tokens, m.branches) == (5, 33, 0)
    # `.sum()` is called on a tensor, not reached from a module: not counted.
    assert m.api_names == {"torch": ("torch.nn.functional.softplus", "torch.relu")}
    assert m.api_count == 2 and m.api_counts == {"torch": 2}
    assert m.name == "snippet"


def test_branches_follow_the_documented_rules():
    m = measure(BRANCHY)
    # if 1 + `and`,`or` 2 + list comprehension (for 1 + two ifs 2) + elif 1 + conditional expression 1
    # + for 1 + while 1 + two except clauses 2 + with 1 + dict comprehension 1 = 14
    assert m.branches == 14
    assert m.lines == 21  # every line of the function holds code
    assert m.api_names == {}


def test_aliases_imports_multiline_statements_and_fstrings():
    m = measure(ALIASED)
    assert m.lines == 12  # 5 imports, decorator, def, 2 assignments, a return over 3 lines
    # 20 (imports) + 4 (@tf.function) + 6 (def) + 19 (h = ...) + 3 (msg = f-string) + 7 + 1 + 18 (return) = 78
    assert m.tokens == 78
    # layers.Dense and D are the same name; math is not a framework; tf.nn.relu twice is one name.
    assert m.api_names == {"keras": ("keras.layers.Dense",),
                           "tensorflow": ("tensorflow.function", "tensorflow.nn.relu"),
                           "numpy": ("numpy.pi",)}
    assert list(m.api_counts) == ["keras", "tensorflow", "numpy"]


def test_alias_map_from_the_caller_and_from_the_snippet():
    assert measure("y = K.ops.relu(x)").api_names == {}
    assert measure("y = K.ops.relu(x)", aliases={"K": "keras"}).api_names == {"keras": ("keras.ops.relu",)}
    assert measure("y = tf.nn.relu(x)", aliases={}).api_names == {}
    assert measure("y = tf.nn.relu(x)").api_names == {"tensorflow": ("tensorflow.nn.relu",)}
    # the snippet's own import wins over the default `np` -> numpy
    assert measure("import jax.numpy as np\ny = np.sum(x)").api_names == {"jax": ("jax.numpy.sum",)}
    # `import torch.nn` binds the name torch
    assert measure("import torch.nn\nm = torch.nn.Linear(2, 3)", aliases={}).api_names == {
        "torch": ("torch.nn.Linear",)}
    # assigning to a name that happens to be an alias is not using the framework
    assert measure("F = 3").api_names == {}


def test_functions_methods_and_classes_are_read_with_inspect():
    m = measure(plain)
    assert (m.name, m.lines, m.tokens, m.branches) == ("plain", 2, 13, 0)  # def plain(x): 6, return ... 7
    assert m.api_names == {"numpy": ("numpy.tanh",)}
    method = measure(Block().call)
    assert (method.name, method.lines, method.branches) == ("Block.call", 2, 1)
    whole = measure(Block)
    assert (whole.name, whole.lines, whole.branches) == ("Block", 3, 1)


def test_source_is_the_dedented_text_that_is_measured():
    assert source(Block().call) == "def call(self, x):\n    return np.maximum(x, 0.0) if x is not None else x\n"
    assert source(["x = 1", "y = 2"]) == "x = 1\n\ny = 2"
    with pytest.raises(TypeError, match="source string, a function"):
        source(3)


def test_a_list_of_pieces_is_one_snippet():
    m = measure([plain, Block])
    assert m.name == "plain + Block"
    assert (m.lines, m.branches) == (2 + 3, 0 + 1)
    assert m.api_names == {"numpy": ("numpy.maximum", "numpy.tanh")}  # distinct over the whole snippet
    assert measure(("x = np.ones(2)", "y = np.ones(3)")).api_count == 1


def test_a_class_defined_in_a_notebook_cell_is_found_through_its_methods():
    # IPython keeps cell sources in linecache; inspect.getsource(cls) fails for such classes.
    cell = "import torch\n\nclass Cell(torch.nn.Module):\n    def forward(self, x):\n        return x\n"
    filename = "<notebook cell 1>"
    linecache.cache[filename] = (len(cell), None, cell.splitlines(True), filename)
    namespace = {"__name__": "not_an_imported_module"}
    exec(compile(cell, filename, "exec"), namespace)
    m = measure(namespace["Cell"])
    assert (m.name, m.lines, m.api_names) == ("Cell", 3, {"torch": ("torch.nn.Module",)})
    assert source(namespace["Cell"]) == cell[cell.index("class"):]


def test_repr_is_readable():
    assert repr(measure(TORCH_SNIPPET, name="torch")) == (
        "CodeMetrics('torch': 5 lines, 33 tokens, 0 branches, 2 API names (torch 2))")
    assert repr(measure("x = 1")) == "CodeMetrics('snippet': 1 lines, 3 tokens, 0 branches, 0 API names)"


def test_compare_builds_rows_and_a_text_table():
    table = measure_each({"torch fn": TORCH_SNIPPET, "tf line": "y = tf.nn.relu(x)"})
    assert table.rows() == [
        {"snippet": "torch fn", "lines": 5, "tokens": 33, "branches": 0, "API names": 2,
         "tensorflow names": 0, "torch names": 2},
        {"snippet": "tf line", "lines": 1, "tokens": 10, "branches": 0, "API names": 1,
         "tensorflow names": 1, "torch names": 0},
    ]
    assert str(table).splitlines() == [
        "snippet   lines  tokens  branches  API names  tensorflow names  torch names",
        "torch fn      5      33         0          2                 0            2",
        "tf line       1      10         0          1                 1            0",
    ]
    assert table["tf line"].tokens == 10
    assert measure_each([("one", "x = 1")]).rows()[0]["lines"] == 1


@pytest.mark.parametrize("bad, error, message", [
    (42, TypeError, "source string, a function, a method or a class"),
    (None, TypeError, "source string, a function, a method or a class"),
    (print, TypeError, "source string, a function, a method or a class"),
    (np.ndarray, TypeError, "cannot read the source of ndarray"),
    ("", ValueError, "empty"),
    ("   \n\n", ValueError, "empty"),
    ("the weights, then the loss", ValueError, "not valid Python source"),
    ("def f(:\n    pass", ValueError, "not valid Python source"),
    ("# only a comment\n", ValueError, "holds no code"),
    ('"""only a docstring"""', ValueError, "holds no code"),
    ([], ValueError, "empty list"),
    ([plain, 3], TypeError, "source string, a function, a method or a class"),
])
def test_bad_code_is_rejected_with_a_clear_error(bad, error, message):
    with pytest.raises(error, match=message):
        measure(bad)


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        measure("x = 1", name="")
    with pytest.raises(TypeError, match="aliases must be a dict"):
        measure("x = 1", aliases=["tf"])
    with pytest.raises(TypeError, match="aliases must be a dict"):
        measure("x = 1", aliases={"not a name": "tensorflow"})
    with pytest.raises(TypeError, match="snippets must be a dict"):
        measure_each("x = 1")
    with pytest.raises(ValueError, match="at least one named snippet"):
        measure_each({})
    with pytest.raises(KeyError, match="no snippet named 'jax'"):
        measure_each({"tf": "x = 1"})["jax"]



def load_weights(model, weights):
    """Harness: shown, not counted."""
    model.set(np.transpose(weights["w"]))
    model.check()


def test_a_job_counts_model_and_training_code_and_only_shows_the_harness():
    table = measure_jobs({"tiny": {"model": TORCH_SNIPPET, "training": plain, "harness": load_weights},
                          "no harness": {"model": "y = tf.nn.relu(x)"}})
    tiny = table["tiny"]
    assert (tiny.model_lines, tiny.training_lines, tiny.harness_lines) == (5, 2, 3)
    assert (tiny.total.lines, tiny.total.tokens) == (5 + 2, 33 + 13)  # the harness adds nothing
    assert tiny.total.api_names == {"torch": ("torch.nn.functional.softplus", "torch.relu"),
                                    "numpy": ("numpy.tanh",)}
    assert table.column("lines") == {"tiny": 7, "no harness": 1}
    assert table.column("harness lines (not counted)") == {"tiny": 3, "no harness": 0}
    assert str(table).splitlines()[0].split("  ")[0] == "version"
    assert "harness" in RULE and "not counted" in RULE


@pytest.mark.parametrize("versions, error, message", [
    ({}, ValueError, "versions is empty"),
    ([("a", {"model": "x = 1"})], TypeError, "versions must be a dict"),
    ({"a": "x = 1"}, TypeError, "parts must be a dict"),
    ({"a": {"modle": "x = 1"}}, ValueError, "parts must map some of"),
    ({"a": {"harness": "x = 1"}}, ValueError, "with a model or a training part"),
    ({"": {"model": "x = 1"}}, ValueError, "name must not be empty"),
])
def test_bad_jobs_are_rejected(versions, error, message):
    with pytest.raises(error, match=message):
        measure_jobs(versions)


def test_unknown_versions_and_columns_are_named():
    with pytest.raises(KeyError, match="no version named 'b'"):
        measure_jobs({"a": {"model": "x = 1"}})["b"]
    with pytest.raises(ValueError, match="key"):
        measure_jobs({"a": {"model": "x = 1"}}).column("colour")


def test_a_jobs_table_names_the_counts_that_are_zero_in_every_version_instead_of_printing_them():
    same = measure_jobs({"A": {"model": "x = 1"}, "B": {"model": "y = 2"}})
    text = str(same)
    assert "branches" not in text.splitlines()[0] and "training lines" not in text.splitlines()[0]
    assert text.splitlines()[-1] == "(left out: training lines and branches, 0 in every version)"
    assert same.column("branches") == {"A": 0, "B": 0}  # still there for whoever asks
    varied = str(measure_jobs({"A": {"model": "x = 1", "training": "for i in y:\n    pass"},
                                            "B": {"model": "y = 2"}}))
    assert "branches" in varied.splitlines()[0] and "left out" not in varied
