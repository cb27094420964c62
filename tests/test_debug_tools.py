"""utils.debug_tools: overfit one batch, and the compiled-step tools of each framework (notebook 04)."""

import pytest

from utils import debug_tools


@pytest.mark.parametrize("framework", ["keras", "tensorflow", "torch"])
def test_one_batch_is_memorised_in_each_framework(framework):
    losses = debug_tools.overfit_one_batch(framework)
    assert len(losses) == debug_tools.OVERFIT_STEPS
    assert losses[0] > 2.0 and losses[-1] < debug_tools.NEAR_ZERO


def test_a_step_too_small_does_not_memorise():
    losses = debug_tools.overfit_one_batch("torch", steps=5, learning_rate=0.01)
    assert losses[-1] > debug_tools.NEAR_ZERO


def test_without_dropout_the_three_fixed_runs_agree():
    finals = [debug_tools.train_without_dropout(fw, steps=10)[-1] for fw in ("keras", "tensorflow", "torch")]
    assert max(finals) - min(finals) < 1e-5


def test_dynamo_explain_finds_the_item_graph_break():
    found = debug_tools.torch_graph_breaks()
    assert found["graphs"] == 2 and found["breaks"] == 1
    assert "item()" in found["reasons"][0][0] and found["reasons"][0][1].startswith("debug_tools.py:")


def test_eager_switch_lets_python_see_values_at_every_call():
    assert debug_tools.tf_python_side(eager=False) == ["SymbolicTensor"]
    assert debug_tools.tf_python_side(eager=True) == [1.0, 2.0, 3.0]
    import tensorflow as tf

    assert not tf.config.functions_run_eagerly()


@pytest.fixture(scope="module")
def on_jax():
    return debug_tools.jax_compiled_step()  # one child process for the three tests below


def test_jax_debug_print_runs_every_call_and_debug_nans_catches_log_of_minus_one(on_jax):
    found = on_jax
    assert sum(line.startswith("print sees:") for line in found["printed"]) == 1
    assert sum(line.startswith("jax.debug.print sees:") for line in found["printed"]) == 2
    assert found["nan_error"].startswith("FloatingPointError") and "nan" in found["nan_error"]


def test_keras_on_jax_eager_switch_runs_call_on_arrays_at_every_step(on_jax):
    sees = on_jax["keras_sees"]
    assert "ArrayImpl" not in sees["jit_compile=True"] and sees["jit_compile=True"]  # traced only
    for switch in ("run_eagerly=True", "jax.disable_jit()"):
        assert sees[switch]["ArrayImpl"] == 3  # one run per train_on_batch step, on real arrays


def test_keras_on_jax_post_mortem_lands_on_the_failing_line_with_a_tracer(on_jax):
    assert on_jax["failing_line"].startswith("bugs.py:") and "float(keras.ops.mean(loss))" in on_jax["failing_line"]
    assert "logged_loss()" in on_jax["post_mortem"] and "('DynamicJaxprTracer', (32,))" in on_jax["post_mortem"]


@pytest.mark.parametrize(("call", "match"), [
    (lambda: debug_tools.overfit_one_batch("mxnet"), "framework"),
    (lambda: debug_tools.overfit_one_batch("torch", batch_size=0), "batch_size"),
    (lambda: debug_tools.tf_python_side(eager="yes"), "eager"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()
