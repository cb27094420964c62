"""utils.bugs: each loud bug raises (or not) what notebook 04 shows; each silent bug is flagged, its fix passes."""

import sys
from pathlib import Path

import pytest

from utils import bugs, debugging
from utils.frameworks import COMPARED_IDS

ROOT = Path(__file__).resolve().parents[1]
# What notebook 04 shows for each loud bug (None: the framework absorbs it without an exception).
EXPECTED_TYPES = {
    "shape": {"keras": "ValueError", "tensorflow": "ValueError", "torch": "RuntimeError"},
    "dtype": {"keras": None, "tensorflow": "TypeError", "torch": "RuntimeError"},
    "classes": {"keras": "InvalidArgumentError", "tensorflow": "InvalidArgumentError", "torch": "IndexError"},
    "compiled": {"keras": "TypeError", "tensorflow": None, "torch": None},
}


@pytest.fixture(scope="module", autouse=True)
def frameworks():
    from utils.setup import setup

    setup(report=False)


@pytest.mark.parametrize("framework", COMPARED_IDS)
@pytest.mark.parametrize("bug", [b for b in bugs.LOUD_BUGS if b != "compiled"])
def test_loud_bug_raises_what_the_notebook_shows(bug, framework):
    seen = debugging.capture(bugs.LOUD[bug][framework])
    assert seen.type == EXPECTED_TYPES[bug][framework], seen.summary()
    for folder in (ROOT, sys.prefix, sys.base_prefix, "site-packages"):  # no machine path in what is shown
        assert str(folder) not in seen.seen


@pytest.mark.parametrize("framework", COMPARED_IDS)
def test_side_effect_in_a_compiled_step(framework):
    seen = debugging.capture(bugs.LOUD["compiled"][framework])
    assert seen.type == EXPECTED_TYPES["compiled"][framework]
    if framework == "tensorflow":  # traced once: the list got one symbolic tensor, silently
        assert seen.returned == "history after 3 steps: 1 entry of type SymbolicTensor"
    if framework == "torch":  # a graph break: the line runs in Python at every step, with a warning
        assert seen.returned == "history after 3 steps: 3 entries of type float"
        assert any("Graph break" in w for w in seen.warnings)


def test_loud_bug_scores_follow_the_rules():
    seen = debugging.capture(bugs.LOUD["shape"]["keras"])
    result = debugging.score(seen, bugs.SCORING["shape"])
    assert result.named == ("layer", "your line") and result.both_sides == 1  # 'dense2', value 48 and (None, 64)
    torch_shape = debugging.score(debugging.capture(bugs.LOUD["shape"]["torch"]), bugs.SCORING["shape"])
    assert {"operation", "shape"} <= set(torch_shape.named)  # "mat1 and mat2 ... multiplied (32x64 and 48x10)"
    torch_classes = debugging.score(debugging.capture(bugs.LOUD["classes"]["torch"]), bugs.SCORING["classes"])
    assert (torch_classes.named, torch_classes.both_sides) == (("your line",), 0)  # "Target 7 is out of bounds."


@pytest.mark.parametrize(("bug", "framework", "right"), [("dtype", "keras", True), ("compiled", "torch", True),
                                                         ("compiled", "tensorflow", False)])
def test_a_bug_that_raises_nothing_is_judged_by_its_result(bug, framework, right):
    seen = debugging.capture(bugs.LOUD[bug][framework])
    assert not seen.raised and bugs.right_result(bug, framework, seen.value) is right
    assert debugging.score(seen, bugs.SCORING[bug], right).total == (debugging.MAX_SCORE if right else 0)


def test_right_result_rejects_what_is_not_the_fixed_result():
    assert not bugs.right_result("dtype", "keras", 123.0) and not bugs.right_result("dtype", "keras", "text")
    assert not bugs.right_result("shape", "torch", 1.0)  # no fixed code computes the shape bug
    with pytest.raises(ValueError, match="bug"):
        bugs.right_result("typo", "torch", 1.0)


@pytest.mark.parametrize("framework", COMPARED_IDS)
@pytest.mark.parametrize("bug", bugs.SILENT_BUGS)
def test_silent_bug_is_flagged_and_its_fix_passes(bug, framework):
    buggy = bugs.detect(bug, bugs.train(framework, bug))
    fixed = bugs.detect(bug, bugs.train(framework, None))
    if (bug, framework) in bugs.NOT_PLANTABLE:
        assert buggy.flagged is None and fixed.flagged is None  # nothing to plant, nothing to measure
        return
    assert buggy.flagged is True, str(buggy)
    assert fixed.flagged is False, str(fixed)


def test_nan_learning_rate_gives_a_nan_loss_in_every_framework():
    for framework in COMPARED_IDS:
        assert "diverged" in bugs.detect("nan_lr", bugs.train(framework, "nan_lr")).reason


def test_train_rejects_bad_arguments():
    with pytest.raises(ValueError, match="framework"):
        bugs.train("jax")
    with pytest.raises(ValueError, match="bug"):
        bugs.train("torch", "shape")
    with pytest.raises(ValueError, match="steps"):
        bugs.train("torch", steps=1)
    with pytest.raises(TypeError, match="run"):
        bugs.detect("eval_mode", "a run")


def test_batch_is_the_first_digits_in_the_dtype_asked_for():
    x, y = bugs.batch()
    assert x.shape == (bugs.BATCH, 64) and x.dtype == "float32" and y.shape == (bugs.BATCH,)
    assert bugs.batch("float64")[0].dtype == "float64"
    with pytest.raises(TypeError, match="dtype"):
        bugs.batch(64)
    with pytest.raises(ValueError, match="dtype"):
        bugs.batch("int8")
