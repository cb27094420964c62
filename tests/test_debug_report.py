"""utils.debug_report: tables, summary, the verdict's 1-point margin, the loss figure, notebook 04's checks."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from utils import bugs, debug_report, debugging
from utils.frameworks import COMPARED, COMPARED_IDS


@pytest.fixture(scope="module", autouse=True)
def frameworks():
    from utils.setup import setup

    setup(report=False)


def _raise(error):
    raise error


def _captures():
    """Hand-made captures of the shape bug: Keras absorbs it, TensorFlow and PyTorch raise."""
    return {"shape": {
        "keras": debugging.capture(lambda: "absorbed"),
        "tensorflow": debugging.capture(_raise, ValueError("matmul: shapes (32, 64) and (32, 10) differ")),
        "torch": debugging.capture(_raise, RuntimeError("something went wrong")),
    }}


def _findings():
    flagged = debugging.Finding("gradient norm", True, "growing")
    passed = debugging.Finding("gradient norm", False, "steady")
    return {"accumulate": {fw: (flagged, passed) for fw in COMPARED_IDS}}


def _result(means):
    return {f.name: {"loud_raised": 3, "loud_absorbed": 1, "mean_score": m, "silent_planted": 5,
                     "silent_flagged": ["accumulate"]} for f, m in zip(COMPARED, means, strict=True)}


def _run(fw, bug, losses):
    outputs = np.zeros((2, 10), np.float32)
    return bugs.Run(fw, bug, list(losses), None, outputs, outputs, outputs)


def test_tables_and_summary_from_hand_made_captures():
    captures, findings = _captures(), _findings()
    table = debug_report.loud_table(captures)
    assert "no exception; absorbed" in table and "Keras" in table and "4/4" not in table
    assert "flagged" in debug_report.silent_table(findings)
    result = debug_report.score_summary(captures, findings)
    assert list(result) == [f.name for f in COMPARED]
    assert result["Keras"]["loud_absorbed"] == 1 and result["Keras"]["mean_score"] is None
    assert result["TensorFlow"]["mean_score"] > result["PyTorch"]["mean_score"]  # names matmul and both shapes
    assert result["PyTorch"]["silent_flagged"] == ["accumulate"] and result["PyTorch"]["silent_planted"] == 1
    assert "1/1" in debug_report.summary_table(result)


@pytest.mark.parametrize(("means", "cannot_tell"), [((2.5, 3.0, 2.1), True), ((2.67, 3.0, 2.0), False),
                                                    ((2.0, 2.0, 2.0), True), ((3.0, 2.5, 3.49), True),
                                                    ((3.0, 2.0, 2.5), False)])
def test_verdict_says_cannot_tell_inside_the_margin(means, cannot_tell):
    text = debug_report.debugging_verdict(_result(means))
    assert ("cannot tell" in text) is cannot_tell
    assert ("PyTorch's messages are not measurably the best" in text) or not cannot_tell


def test_verdict_names_the_best_and_worst_outside_the_margin():
    text = debug_report.debugging_verdict(_result((2.0, 1.5, 3.0)))
    assert "PyTorch's messages scored best" in text and "TensorFlow's worst" in text
    assert "TensorFlow's messages are the worst" in text and "PyTorch's messages are the best" in text


def test_loss_figure_has_a_title_and_labelled_axes_with_units():
    runs = {fw: {None: _run(fw, None, np.linspace(2.3, 0.8, 40)), "shuffled_labels": _run(fw, "x", [2.3] * 40)}
            for fw in COMPARED_IDS}
    runs["torch"][None] = debugging.capture(lambda: runs["keras"][None])  # a Capture holding a Run works too
    fig, ax = debug_report.loss_figure(runs, "shuffled_labels")
    assert fig.get_suptitle() and "(" in ax.get_xlabel() and "(nats)" in ax.get_ylabel()
    assert len(ax.get_lines()) == 2 * len(COMPARED_IDS) + 1  # two curves per framework and chance level
    assert "ln(10)" in ax.get_legend_handles_labels()[1][-1]
    plt.close(fig)


@pytest.mark.parametrize(("call", "error", "argument"), [
    (lambda: debug_report.loud_table([]), TypeError, "captures"),
    (lambda: debug_report.loud_table({}), ValueError, "captures"),
    (lambda: debug_report.loud_table({"typo": {}}), ValueError, "captures"),
    (lambda: debug_report.loud_table({"shape": {"jax": None}}), ValueError, "captures"),
    (lambda: debug_report.loud_table({"shape": {"torch": "text"}}), TypeError, "captures"),
    (lambda: debug_report.silent_table({"accumulate": {"torch": (1, 2)}}), TypeError, "findings"),
    (lambda: debug_report.silent_table({"shape": {}}), ValueError, "findings"),
    (lambda: debug_report.score_summary({"shape": {"torch": _captures()["shape"]["torch"]}}, {}), ValueError,
     "captures"),
    (lambda: debug_report.score_summary(_captures(), None), TypeError, "findings"),
    (lambda: debug_report.summary_table("result"), TypeError, "result"),
    (lambda: debug_report.debugging_verdict({"Keras": {"mean_score": 2.0}}), ValueError, "result"),
    (lambda: debug_report.debugging_verdict({"JAX": {}}), ValueError, "result"),
    (lambda: debug_report.debugging_verdict(_result((None, None, None))), ValueError, "result"),
    (lambda: debug_report.loss_figure([], "nan_lr"), TypeError, "runs"),
    (lambda: debug_report.loss_figure({"torch": {None: _run("torch", None, [1.0])}}, "nan_lr"), ValueError, "runs"),
    (lambda: debug_report.loss_figure({"torch": {None: 1, "nan_lr": 2}}, "nan_lr"), TypeError, "runs"),
    (lambda: debug_report.loss_figure({}, "shape"), ValueError, "bug"),
    (lambda: debug_report.loss_figure({}, "nan_lr", classes=1), ValueError, "classes"),
    (lambda: debug_report.loss_figure({}, "nan_lr", classes=2.5), TypeError, "classes"),
    (lambda: debug_report.eager_cost(2), ValueError, "steps"),
    (lambda: debug_report.eager_cost("30"), TypeError, "steps"),
    (lambda: debug_report.check_keras_evaluate(1, None), TypeError, "name"),
    (lambda: debug_report.check_tf_loss("", None), ValueError, "name"),
    (lambda: debug_report.check_torch_step(None, {}), TypeError, "name"),
])
def test_bad_arguments_name_the_argument(call, error, argument):
    with pytest.raises(error, match=argument):
        call()


def _line(capsys, verdict):
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out  # exactly one line, whatever was passed
    return bool(verdict), out.strip()


def test_keras_evaluate_check(capsys):
    import keras

    check = debug_report.check_keras_evaluate
    assert _line(capsys, check("1", lambda model, x: model(x, training=False))) == (True, "Exercise 1: correct")
    ok, text = _line(capsys, check("1", lambda model, x: model(x, training=True)))
    assert not ok and "dropout is still in training mode" in text
    ok, text = _line(capsys, check("1", lambda model, x: keras.ops.zeros((64, 10))))
    assert not ok and "not the model's inference outputs" in text
    assert _line(capsys, check("1", ...))[1].startswith("Exercise 1: not yet: define the function")
    ok, text = _line(capsys, check("1", debug_report.check_keras_evaluate))
    assert not ok and "series' own helpers" in text


def test_tf_loss_check(capsys):
    import tensorflow as tf

    check = debug_report.check_tf_loss
    right = lambda logits, labels: tf.reduce_mean(  # noqa: E731
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
    assert _line(capsys, check("2", right)) == (True, "Exercise 2: correct")
    ok, text = _line(capsys, check("2", lambda logits, labels: right(tf.nn.softmax(logits), labels)))
    assert not ok and "double softmax" in text
    ok, text = _line(capsys, check("2", lambda logits, labels: 1.0))
    assert not ok and "not the mean cross-entropy" in text
    assert _line(capsys, check("2", ...))[1].startswith("Exercise 2: not yet: define the function")


def _fixed_step(model, optimizer, x, y):
    import torch

    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()


def _buggy_step(model, optimizer, x, y):
    import torch

    torch.nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()


def test_torch_step_check(capsys):
    check = debug_report.check_torch_step
    assert _line(capsys, check("3", {"check": "gradient norm", "step": _fixed_step})) == (True, "Exercise 3: correct")
    ok, text = _line(capsys, check("3", {"check": "repeatable evaluation", "step": _fixed_step}))
    assert not ok and "does not flag this bug" in text
    ok, text = _line(capsys, check("3", {"check": "gradient norm", "step": _buggy_step}))
    assert not ok and "weights differ" in text
    ok, text = _line(capsys, check("3", {"check": "gradient norm", "step": debug_report._reference_step}))
    assert not ok and "series' own helpers" in text
    finding = debugging.Finding("gradient norm", True, "growing")
    ok, text = _line(capsys, check("3", {"check": finding, "step": _fixed_step}))
    assert not ok and "decide without running them" in text
    assert "replace the `...`" in _line(capsys, check("3", {"check": ..., "step": ...}))[1]


@pytest.mark.parametrize("answer", [None, ..., 3, "text", [1, 2], {"f": 1}, np.zeros(3), lambda: 1,
                                    lambda model, x: "text", lambda model, x: _raise(KeyError("k")),
                                    {"check": ["gradient norm"], "step": 1}, {"check": "gradient norm", "step": 1},
                                    {"check": "gradient norm", "step": lambda *a: _raise(MemoryError)}])
def test_malformed_answers_never_raise(answer, capsys):
    for check, name in ((debug_report.check_keras_evaluate, "1"), (debug_report.check_tf_loss, "2"),
                        (debug_report.check_torch_step, "3")):
        ok, text = _line(capsys, check(name, answer))
        assert not ok and text.startswith(f"Exercise {name}: not yet: ")


def test_verdict_says_when_the_ranking_is_the_reverse_of_the_claim():
    text = debug_report.debugging_verdict(_result((2.67, 3.0, 2.0)))
    assert "TensorFlow's messages are the best, the reverse of the claim" in text
    assert "PyTorch's messages are the worst, the reverse of the claim" in text
