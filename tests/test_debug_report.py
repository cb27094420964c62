"""utils.debug_report: tables, summary, the verdict from the one judge (utils.verdicts), loss figure, 04's checks."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from utils import bugs, debug_report, debugging, scenarios
from utils.frameworks import COMPARED, COMPARED_IDS


@pytest.fixture(scope="module", autouse=True)
def frameworks():
    from utils.setup import setup

    setup(report=False)


def _raise(error):
    raise error


def _captures():
    """Hand-made captures of the shape bug: Keras gives a wrong result silently, TensorFlow and PyTorch raise."""
    return {"shape": {
        "keras": debugging.capture(lambda: "absorbed"),
        "tensorflow": debugging.capture(_raise, ValueError("matmul: shapes (32, 64) and (48, 10) differ")),
        "torch": debugging.capture(_raise, RuntimeError("something went wrong")),
    }}


def _findings():
    flagged = debugging.Finding("gradient norm", True, "growing")
    passed = debugging.Finding("gradient norm", False, "steady")
    return {"accumulate": {fw: (flagged, passed) for fw in COMPARED_IDS}}


BUGS = ("shape", "dtype", "classes", "compiled")


def _result(scores):
    """A score_summary-shaped result from {framework name: [one score per bug of BUGS]}."""
    return {name: {"scores": dict(zip(BUGS, s, strict=False)), "mean_score": 0.0, "loud_raised": len(s),
                   "loud_right": 0, "loud_wrong": 0, "silent_planted": 5, "silent_flagged": ["accumulate"]}
            for name, s in scores.items()}


def _run(fw, bug, losses):
    outputs = np.zeros((2, 10), np.float32)
    return bugs.Run(fw, bug, list(losses), None, outputs, outputs, outputs)


def test_tables_and_summary_from_hand_made_captures():
    captures, findings = _captures(), _findings()
    table = debug_report.loud_table(captures)
    assert "silent wrong" in table and "Keras" in table and "0/4" in table
    assert "flagged" in debug_report.silent_table(findings)
    result = debug_report.score_summary(captures, findings)
    assert list(result) == [f.name for f in COMPARED]
    assert result["Keras"]["loud_wrong"] == 1 and result["Keras"]["scores"] == {"shape": 0}  # below any message
    assert result["TensorFlow"]["scores"]["shape"] > result["PyTorch"]["scores"]["shape"] > 0  # op and both sides
    assert result["PyTorch"]["silent_flagged"] == ["accumulate"] and result["PyTorch"]["silent_planted"] == 1
    assert "1/1" in debug_report.summary_table(result)


def test_the_verdict_is_the_judges_items_scenario_over_the_bugs():
    scores = {"Keras": [4, 4, 3, 3], "TensorFlow": [3, 3, 3, 0], "PyTorch": [3, 3, 3, 4]}
    verdict = debug_report.message_verdict(_result(scores))
    assert verdict == scenarios.items_scenario(scores, what=debug_report.WHAT, scale=4)
    text = debug_report.debugging_verdict(_result(scores), verdict)
    assert verdict["evidence"] in text and verdict["verdict"] in text
    assert all(why in text for why in verdict["comparisons"])


def test_the_verdict_with_one_bug_removed():
    four = {"Keras": [4, 4, 3, 3], "TensorFlow": [3, 3, 3, 0], "PyTorch": [3, 3, 3, 4]}
    verdict = debug_report.message_verdict(_result(four))
    assert not verdict["decided"] and "TensorFlow" in verdict["verdict"]  # the silent wrong result: +1.25, unsure
    without_compiled = debug_report.message_verdict(_result({n: s[:3] for n, s in four.items()}))
    assert without_compiled["decided"] and without_compiled["verdict"] == "all three"  # 1 point apart at most
    apart = {"Keras": [1, 1, 1, 1], "TensorFlow": [1, 1, 1, 1], "PyTorch": [4, 4, 4, 4]}
    for dropped in range(4):
        fewer = debug_report.message_verdict(_result({n: s[:dropped] + s[dropped + 1:] for n, s in apart.items()}))
        assert fewer["verdict"] == "PyTorch" and fewer["decided"]  # one bug fewer cannot flip a clear lead
    two = debug_report.message_verdict(_result({n: s[:2] for n, s in apart.items()}))
    assert not two["decided"]  # two bugs are too few for an interval


@pytest.mark.parametrize(("scores", "words"), [
    ({"Keras": [1, 1, 1, 1], "TensorFlow": [1, 1, 1, 1], "PyTorch": [4, 4, 4, 4]}, "holds: PyTorch leads"),
    ({"Keras": [4, 4, 4, 4], "TensorFlow": [1, 1, 1, 1], "PyTorch": [4, 4, 4, 4]},
     "holds in part: PyTorch shares the lead with Keras"),
    ({"Keras": [4, 4, 4, 4], "TensorFlow": [4, 4, 4, 3], "PyTorch": [1, 1, 1, 1]}, "does not hold: Keras and "
                                                                                    "TensorFlow lead"),
    ({"Keras": [4, 4, 4, 0], "TensorFlow": [2, 2, 2, 2], "PyTorch": [4, 0, 4, 4]}, "cannot tell"),
    ({"Keras": [4, 4, 4, 4], "TensorFlow": [4, 1, 4, 2], "PyTorch": [1, 1, 1, 1]}, "does not hold: PyTorch is behind"),
])
def test_the_2019_claim_is_computed_from_the_verdict(scores, words):
    verdict = debug_report.message_verdict(_result(scores))
    assert f"PyTorch is easier to debug: {words}" in debug_report.debugging_verdict(_result(scores), verdict)


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
    (lambda: debug_report.message_verdict(_result({"Keras": [1, 2]})), ValueError, "at least two"),
    (lambda: debug_report.message_verdict(_result({"Keras": [1, 2], "PyTorch": [1]})), ValueError, "same bugs"),
    (lambda: debug_report.message_verdict(_result({"Keras": [1, 5], "PyTorch": [1, 1]})), ValueError,
     r"scores'\] must hold scores from 0 to 4, got \{'dtype': 5\}"),
    (lambda: debug_report.message_verdict(_result({"Keras": [1, None], "PyTorch": [1, 1]})), ValueError, "score"),
    (lambda: debug_report.message_verdict({"Keras": {**_result({"Keras": [1]})["Keras"], "scores": [1]},
                                           "PyTorch": _result({"PyTorch": [1]})["PyTorch"]}), TypeError, "scores"),
    (lambda: debug_report.debugging_verdict(_result({"Keras": [1], "PyTorch": [2]}), {"verdict": "x"}), ValueError,
     "verdict lacks"),
    (lambda: debug_report.debugging_verdict(_result({"Keras": [1], "PyTorch": [2]}), []), TypeError, "verdict"),
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
