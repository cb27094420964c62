import numpy as np
import pytest

from utils import models
from utils.frameworks import COMPARED_IDS


@pytest.mark.parametrize("arch", models.ARCHITECTURES)
def test_equivalence_of_the_three_builders_forward(arch):
    import torch

    w = models.init_weights(arch, seed=1)
    x = np.random.default_rng(0).normal(size=(16, *models.input_shape(arch))).astype(np.float32)
    x_torch = np.moveaxis(x, -1, 1) if arch == "cnn" else x  # channels_last -> channels_first
    outputs = {
        "keras": np.asarray(models.keras_model(arch, w)(x)),
        "tensorflow": models.tf_model(arch, w)(x).numpy(),
        "torch": models.torch_model(arch, w)(torch.from_numpy(np.ascontiguousarray(x_torch))).detach().numpy(),
    }
    assert outputs["keras"].shape == (16, 10)
    for name in ("tensorflow", "torch"):
        np.testing.assert_allclose(outputs[name], outputs["keras"], atol=1e-5, err_msg=name)


@pytest.mark.parametrize("arch", models.ARCHITECTURES)
def test_get_weights_round_trips_through_every_framework(arch):
    w = models.init_weights(arch)
    for framework in COMPARED_IDS:
        got = models.get_weights(models.build_model(framework, arch, w))
        assert set(got) == set(w)
        assert all(np.array_equal(got[k], w[k]) for k in w), framework


def test_torch_input_is_channels_first_for_images_only():
    images = np.arange(2 * 8 * 8 * 1, dtype=np.float32).reshape(2, 8, 8, 1)
    first = models.to_torch_input("cnn", images)
    assert first.shape == (2, 1, 8, 8) and first[1, 0, 3, 5] == images[1, 3, 5, 0]
    rows = np.zeros((2, 64), np.float32)
    assert models.to_torch_input("mlp", rows) is rows
    with pytest.raises(ValueError, match="channels-last images"):
        models.to_torch_input("cnn", rows)
    with pytest.raises(ValueError, match="arch == "):
        models.to_torch_input("rnn", rows)


def test_layout_conversions_are_explicit_transposes_and_invert():
    w = models.init_weights("cnn")
    torch_w = models.to_torch_layout(w)
    assert torch_w["conv1/kernel"].shape == (8, 1, 3, 3)  # HWIO (3, 3, 1, 8) -> OIHW
    assert torch_w["dense/kernel"].shape == (10, 16)  # (in, out) -> (out, in)
    assert torch_w["conv2/kernel"][5, 3, 0, 2] == w["conv2/kernel"][0, 2, 3, 5]
    back = models.from_torch_layout(torch_w)
    assert all(np.array_equal(back[k], w[k]) for k in w)


def test_parameter_names_map_both_ways():
    assert models.torch_name("dense1/kernel") == "dense1.weight" and models.torch_name("conv2/bias") == "conv2.bias"
    assert models.canonical_name("dense1.weight") == "dense1/kernel"
    names = models.torch_model("cnn", models.init_weights("cnn")).state_dict()
    assert sorted(models.canonical_name(n) for n in names) == sorted(models.shapes("cnn"))


def test_weights_are_seeded_glorot_uniform():
    a, b = models.init_weights("mlp", seed=3), models.init_weights("mlp", seed=3)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    limit = np.sqrt(6 / (64 + 64))
    assert np.abs(a["dense1/kernel"]).max() <= limit and a["dense1/kernel"].dtype == np.float32
    assert models.init_weights("mlp", {"hidden": 32})["dense2/kernel"].shape == (32, 10)


@pytest.mark.parametrize("call, error, message", [
    (lambda: models.init_weights("rnn"), ValueError, "arch == 'rnn', must be one of"),
    (lambda: models.init_weights("mlp", {"width": 3}), ValueError, "unknown sizes"),
    (lambda: models.init_weights("mlp", {"hidden": 0}), ValueError, r"sizes\['hidden'\] == 0"),
    (lambda: models.init_weights("mlp", [64]), TypeError, "sizes must be a dict"),
    (lambda: models.init_weights("mlp", seed=-1), ValueError, "seed == -1"),
    (lambda: models.init_weights("mlp", {"hidden": 2.5}), TypeError, r"sizes\['hidden'\] must be an int"),
    (lambda: models.input_shape("cnn", layout="NCHW"), ValueError, "layout == 'NCHW'"),
    (lambda: models.build_model("caffe", "mlp", models.init_weights("mlp")), ValueError, "framework == 'caffe'"),
    (lambda: models.tf_model("mlp", models.init_weights("cnn")), ValueError, "must be exactly"),
    (lambda: models.tf_model("mlp", models.init_weights("mlp", {"hidden": 5})), ValueError, "weight shapes"),
    (lambda: models.to_torch_layout({"dense/kernel": [1.0]}), TypeError, "NumPy array"),
    (lambda: models.to_torch_layout({}), TypeError, "non-empty dict"),
    (lambda: models.get_weights(object()), TypeError, "expected a model"),
])
def test_bad_input_is_rejected_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_get_weights_reads_a_keras_model_on_the_torch_back_end():
    from utils.backends import run_in_backend

    def names_on_torch():
        import numpy as np

        from utils import models

        w = models.init_weights("mlp")
        got = models.get_weights(models.keras_model("mlp", w))
        return {"names": sorted(got), "same": all(np.array_equal(got[k], w[k]) for k in w)}

    assert run_in_backend("torch", names_on_torch) == {"names": sorted(models.shapes("mlp")), "same": True}
