"""utils.debugging: capture cleans what a learner sees; the scoring rules on hand-written messages; checks."""

import math

import numpy as np
import pytest

from utils import debugging
from utils.debugging import Capture, Culprit, capture, clean, headline, score, score_text


def _fails(values):
    total = sum(values)
    return values[total]  # an IndexError in "the learner's" code


def test_clean_removes_folders_addresses_cells_and_counters():
    text = ('File "/home/ada/venv/lib/python3.11/site-packages/torch/nn/functional.py", line 3 '
            'at 0x7f3a2b1c9d80 in /tmp/ipykernel_4242/3141592.py [Op:__inference_step_1234] C:\\Users\\ada\\x.py')
    cleaned = clean(text)
    assert "functional.py" in cleaned and "/home" not in cleaned and "site-packages" not in cleaned
    assert "0x…" in cleaned and "7f3a" not in cleaned
    assert "<cell>" in cleaned and "3141592" not in cleaned
    assert "__inference_step_N" in cleaned and "Users" not in cleaned


def test_capture_of_an_error_names_the_learners_line_without_paths():
    seen = capture(_fails, [1, 2])
    assert seen.raised and seen.type == "IndexError" and seen.message == "list index out of range"
    assert seen.where.startswith("test_debugging.py:") and "values[total]" in seen.where
    assert seen.frames == 1 and seen.lines == len(seen.seen.splitlines())
    assert "/" not in seen.seen and "IndexError" in seen.summary()
    assert "seen" not in repr(seen) and "Traceback" not in repr(seen)  # never a raw traceback when printed


def test_capture_of_a_success_keeps_the_value_and_warnings():
    import warnings

    def noisy():
        warnings.warn("watch out /home/ada/secret.py", stacklevel=2)
        return 42

    seen = capture(noisy)
    assert not seen.raised and seen.value == 42 and seen.returned == "42"
    assert seen.warnings == ["watch out secret.py"] and seen.summary() == "no exception; 42"
    assert score(seen, SHAPE).outcome == "wrong" and score(seen, SHAPE).total == 0  # a silent wrong result
    assert score(seen, SHAPE, right=True).total == debugging.MAX_SCORE  # the bug handled: nothing to debug


def test_headline_finds_the_line_that_says_what_went_wrong():
    traced = 'in user code:\n\n    File "a.py", line 3, in f  *\n        y = g(x)\n\n    ValueError: bad shapes\n'
    assert headline(traced) == "ValueError: bad shapes"
    graph = ("Graph execution error:\n\nDetected at node X defined at:\n  File \"a.py\", line 1\n\n"
             "Received a label value of 9\n\t [[{{node X}}]]")
    assert headline(graph) == "Received a label value of 9"
    assert headline("plain\nsecond") == "plain" and headline("") == ""


# ---- the error-message score on hand-written messages ----

SHAPE = Culprit("dense2", "matmul", shape=(48, 10), sides=(64, 48))


def test_a_message_naming_nothing_scores_one_for_raising_and_one_for_being_short():
    s = score_text("Something went wrong.", SHAPE)
    assert (s.culprit, s.both_sides, s.short) == (0, 0, 1) and s.named == () and s.total == 2


@pytest.mark.parametrize(("message", "named"), [
    ("mat1 and mat2 shapes cannot be multiplied (32x64 and 48x10)", ("operation", "shape")),
    ("Dimensions must be equal, but are 64 and 48 for '{{node MatMul_1}}' with input shapes: [32,64], [48,10].",
     ("operation", "shape")),
    ("Input 0 of layer 'dense2' is incompatible: expected axis -1 to have value 48, but received shape (None, 64)",
     ("layer",)),
    ("got a (10, 48) weight", ("shape",)),  # the kernel named in either orientation
    ("Target 7 is out of bounds.", ()),
])
def test_the_culprit_is_judged_from_what_the_message_names(message, named):
    s = score_text(message, SHAPE)
    assert s.named == named and s.culprit == int(bool(named))


def test_the_mat1_mat2_message_scores_for_the_culprit_and_both_sides():
    s = score_text("mat1 and mat2 shapes cannot be multiplied (32x64 and 48x10)", SHAPE, lines=26)
    assert (s.culprit, s.both_sides, s.short, s.total) == (1, 1, 0, 3)


def test_your_line_names_the_culprit_when_it_is_the_planted_line_or_calls_it():
    def named(where):
        return score_text("m", SHAPE, where=where).named

    assert named("bugs.py:3 in f: return model.fit(x)") == ()
    assert named("bugs.py:3 in f: w = 1  # BUG: here") == ("your line",)
    assert named("models.py:9: return tf.matmul(x, w)") == ("your line",)
    assert named(None) == ()


@pytest.mark.parametrize(("message", "sides"), [
    ("mat1 and mat2 shapes cannot be multiplied (32x64 and 48x10)", 1),
    ("expected axis -1 to have value 48, but received shape (None, 64)", 1),
    ("shape (32, 64) is wrong", 0),  # one side only
    ("layer dense2 and MatMul_1 failed", 0),  # the 2 of dense2 and the 1 of MatMul_1 are not sizes
])
def test_both_sides_are_both_sizes_that_disagree(message, sides):
    assert score_text(message, SHAPE).both_sides == sides


@pytest.mark.parametrize(("message", "sides"), [
    ("mat1 and mat2 must have the same dtype, but got Double and Float", 1),
    ("expected a float64 tensor but got float32", 1),
    ("expected double, got float64", 0),  # two names of one dtype
    ("wrong type", 0),
])
def test_dtypes_count_aliases_as_one(message, sides):
    assert score_text(message, Culprit("dense1", "matmul", sides="dtypes")).both_sides == sides


def test_evidence_patterns_must_all_match_and_long_messages_lose_the_short_point():
    classes = Culprit("dense2", "cross-entropy", sides=(r"label value of [5-9]", r"\[0, 5\)"))
    assert score_text("Received a label value of 9 outside [0, 5)", classes).both_sides == 1
    assert score_text("Target 7 is out of bounds.", classes).both_sides == 0
    long = score_text("x\n" * (debugging.SHORT_LINES + 1), SHAPE)
    assert long.short == 0 and long.lines == debugging.SHORT_LINES + 1


def test_a_silent_wrong_result_scores_below_any_message():
    worst_message = score_text("x\n" * (debugging.SHORT_LINES + 1), SHAPE)
    assert worst_message.total == 1
    assert debugging.Score("wrong").total == 0 < worst_message.total
    assert debugging.Score("right").total == debugging.MAX_SCORE


def test_scoring_rejects_bad_arguments():
    with pytest.raises(TypeError, match="message"):
        score_text(None, SHAPE)
    with pytest.raises(TypeError, match="culprit"):
        score_text("m", ("dense2",))
    with pytest.raises(ValueError, match="op"):
        Culprit("dense2", "conv")
    with pytest.raises(ValueError, match="sides"):
        Culprit("dense2", "matmul", sides="sizes")
    with pytest.raises(TypeError, match="shape"):
        Culprit("dense2", "matmul", shape=[48, 10], sides=(1,))
    with pytest.raises(ValueError, match="lines"):
        score_text("m", SHAPE, lines=-1)
    with pytest.raises(TypeError, match="seen"):
        score("not a capture", SHAPE)
    with pytest.raises(TypeError, match="right"):
        score(capture(lambda: 1), SHAPE, right="yes")
    with pytest.raises(TypeError, match="func"):
        capture(3)
    with pytest.raises(TypeError, match="text"):
        clean(3)


# ---- checks for silent bugs ----

def test_loss_curve_check_verdicts():
    learning = [2.3 - 0.05 * i for i in range(20)]
    assert debugging.loss_curve_check(learning, classes=10).flagged is False
    flat = [2.31, 2.29] * 10
    assert "not learning" in debugging.loss_curve_check(flat, classes=10).reason
    rising = [1.0 + 0.1 * i for i in range(20)]
    assert "rising" in debugging.loss_curve_check(rising, classes=10).reason
    nan = learning[:5] + [math.nan] * 15
    found = debugging.loss_curve_check(nan, classes=10)
    assert found.flagged and "from step 5" in found.reason and "FLAGGED" in str(found)
    with pytest.raises(ValueError, match="losses"):
        debugging.loss_curve_check([1.0, 2.0], classes=10)
    with pytest.raises(ValueError, match="classes"):
        debugging.loss_curve_check(learning, classes=1)


def test_gradient_check_flags_growth_only():
    assert debugging.gradient_check([1.0] * 5 + [1.2] * 5).flagged is False
    assert debugging.gradient_check([1.0] * 5 + [4.0] * 5).flagged is True
    assert debugging.gradient_check(None).flagged is None
    with pytest.raises(ValueError, match="factor"):
        debugging.gradient_check([1.0] * 10, factor=1)


def test_repeatability_and_logits_checks():
    a = np.arange(6.0).reshape(2, 3)
    assert debugging.repeatability_check(a, a).flagged is False
    assert debugging.repeatability_check(a, a + 0.1).flagged is True
    assert debugging.logits_check(np.array([[0.2, 0.8], [0.5, 0.5]])).flagged is True
    assert debugging.logits_check(np.array([[2.0, -1.0], [0.5, 0.5]])).flagged is False
    with pytest.raises(ValueError, match="outputs"):
        debugging.logits_check(np.ones(3))
    with pytest.raises(ValueError, match="first and second"):
        debugging.repeatability_check(np.ones(2), np.ones(3))


def test_pdb_session_runs_scripted_commands_on_a_captured_error():
    seen = capture(_fails, [1, 2])
    text = debugging.pdb_session(seen, ["p total", "p len(values)"])
    assert "(Pdb) p total\n3\n(Pdb) p len(values)\n2\n(Pdb) quit" in text and "/" not in text
    assert debugging.frames(seen) == [{"file": "test_debugging.py", "function": "_fails", "yours": True}]
    with pytest.raises(TypeError, match="seen"):
        debugging.pdb_session(Capture(False, None, "", None, 0, 0, ""), ["where"])
    with pytest.raises(TypeError, match="commands"):
        debugging.pdb_session(seen, "where")
