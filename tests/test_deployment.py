"""utils.deployment: every export path that works here reproduces the original model; those that fail say why."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from utils import deployment, deployment_report, models  # noqa: E402

WEIGHTS = models.init_weights("mlp")
X = np.random.default_rng(0).normal(size=(8, 64)).astype(np.float32)


@pytest.fixture(scope="module")
def built():
    import keras
    import tensorflow as tf
    import torch

    kmodel, tmodel, pmodel = (models.build_model(f, "mlp", WEIGHTS) for f in ("keras", "tensorflow", "torch"))
    pmodel.eval()
    original = {"keras": keras.ops.convert_to_numpy(kmodel(X)), "tensorflow": tmodel(X).numpy(),
                "torch": pmodel(torch.from_numpy(X)).detach().numpy()}
    return {"keras": kmodel, "tensorflow": tmodel, "torch": pmodel, "original": original, "tf": tf, "torch_": torch}


def _tf_saved_model(model, path):
    import tensorflow as tf

    class Serving(tf.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        @tf.function(input_signature=[tf.TensorSpec([None, 64], tf.float32)])
        def serve(self, x):
            return self.model(x)

    tf.saved_model.save(Serving(), path)


def _torch_pt2(model, path):
    import torch

    program = torch.export.export(model, (torch.zeros(2, 64),), dynamic_shapes=({0: torch.export.Dim("batch")},))
    torch.export.save(program, path)


def _torch_onnx(model, path):
    import torch

    torch.onnx.export(model, (torch.zeros(2, 64),), path, dynamo=True, external_data=False, verbose=False,
                      dynamic_shapes=({0: torch.export.Dim("batch")},))


def _keras(fmt):
    def export(model, path):
        model.export(path, format=fmt, verbose=False)
    return export


WORKING = [  # (name, framework, model key, export, runtime)
    ("Keras (TF) → SavedModel", "Keras", "keras", _keras("tf_saved_model"), "saved_model"),
    ("Keras (TF) → LiteRT", "Keras", "keras", _keras("litert"), "litert"),
    ("Keras (TF) → ONNX", "Keras", "keras", _keras("onnx"), "onnxruntime"),
    ("TensorFlow → SavedModel", "TensorFlow", "tensorflow", _tf_saved_model, "saved_model"),
    ("PyTorch → .pt2", "PyTorch", "torch", _torch_pt2, "pt2"),
    ("PyTorch → ONNX", "PyTorch", "torch", _torch_onnx, "onnxruntime"),
]


@pytest.mark.parametrize("name, framework, key, export, runtime", WORKING, ids=[w[0] for w in WORKING])
def test_every_working_path_reproduces_the_original_within_the_tolerance(built, tmp_path, name, framework, key,
                                                                         export, runtime):
    row = deployment.measure_path(name, framework, export, built[key], runtime, X, built["original"][key], tmp_path,
                                  repeats=3)
    assert row["exports"], row["error"]
    assert row["max_difference"] <= deployment.TOLERANCE and row["within_tolerance"] and row["same_class"] == 1.0
    assert row["size_bytes"] > 0 and row["load_s"] > 0 and row["lines"] >= 3
    assert set(row["latency"]) == set(deployment.BATCHES) and row["latency"][32]["n"] == 3
    raced = deployment_report.race([row], rounds=3, calls=2)  # a server runtime races; LiteRT serves phones
    if runtime in deployment_report.SERVER_RUNTIMES:
        assert list(raced) == [framework] and len(raced[framework]["race_s"]) == 3
    else:
        assert raced == {}


def test_a_failing_path_fails_with_its_explained_message_not_a_traceback(built, tmp_path):
    row = deployment.measure_path("Keras (TF) → torch", "Keras", _keras("torch"), built["keras"], "pt2", X,
                                  built["original"]["keras"], tmp_path)
    assert not row["exports"] and row["stage"] == "export"
    assert row["error"].startswith("ValueError: Torch export requires PyTorch backend. -> this format is written "
                                   "by torch.export")
    assert deployment.status(row) == "does not export here"
    assert "does not export here: ValueError" in deployment_report.agreement([row])


def test_a_missing_package_is_explained(built, tmp_path):
    row = deployment.measure_path("Keras (TF) → openvino", "Keras", _keras("openvino"), built["keras"], "openvino",
                                  X, built["original"]["keras"], tmp_path, filename="model.xml")
    assert not row["exports"] and "`openvino` package is not installed" in row["error"]


def test_a_path_that_changes_the_numbers_is_reported_not_hidden(built, tmp_path):
    def wrong(model, path):  # a file that serves other weights
        _torch_onnx(models.torch_model("mlp", models.init_weights("mlp", seed=1)), path)

    row = deployment.measure_path("PyTorch → ONNX (other weights)", "PyTorch", wrong, built["torch"], "onnxruntime",
                                  X, built["original"]["torch"], tmp_path, repeats=3)
    assert row["exports"] and not row["within_tolerance"]
    assert "CHANGES THE NUMBERS" in deployment_report.agreement([row])


def test_keras_on_the_torch_back_end_exports_onnx_and_explains_the_rest(built, tmp_path):
    written = deployment.export_keras_elsewhere("torch", "mlp", WEIGHTS, tmp_path, ["onnx", "litert", "torch"])
    formats = written["formats"]
    assert written["backend"] == "torch" and formats["onnx"]["error"] is None
    assert "litert-torch" in formats["litert"]["error"] and "series does not install" in formats["litert"]["error"]
    row = deployment.measure_path("Keras (torch) → onnx", "Keras", None, None, "onnxruntime", X,
                                  built["original"]["keras"], tmp_path, file=formats["onnx"]["file"], repeats=3)
    assert row["exports"] and row["within_tolerance"]
    pt2 = deployment.measure_path("Keras (torch) → torch", "Keras", None, None, "pt2", X, built["original"]["keras"],
                                  tmp_path, file=formats["torch"]["file"], repeats=3)
    if not pt2["exports"]:  # Keras 3.15 captures a static batch: explained, at the stage where it fails
        assert pt2["stage"] == "predict" and "batch size it was captured with" in pt2["error"]


def test_explain_error_reads_the_cause_and_never_invents_one():
    explained = deployment.explain_error(RuntimeError("in user code:\n\nValueError: boom"))
    assert "in user code: ... ValueError: boom" in explained
    assert "no explanation recorded" in deployment.explain_error(KeyError("something new"))
    with pytest.raises(TypeError, match="err must be an exception"):
        deployment.explain_error("not an error")


def _row(name, framework, runtime, size, ms, within=True, same=1.0):
    samples = list(np.random.default_rng(len(name)).normal(ms, ms * 0.02, 50).clip(ms / 2) / 1e3)
    lat = {b: {"median_s": float(np.median(samples)), "iqr_s": 0.0, "n": 50, "samples_s": samples} for b in (1, 32)}
    return {"path": name, "framework": framework, "runtime": deployment.RUNTIMES[runtime].name, "exports": True,
            "error": None, "tolerance": 1e-4, "size_bytes": size, "load_s": 0.001, "lines": 5,
            "max_difference": 0.0 if within else 0.01, "within_tolerance": within, "same_class": same, "latency": lat}


ROWS = [_row("Keras → ONNX", "Keras", "onnxruntime", 20_000, 0.01),
        _row("Keras → LiteRT", "Keras", "litert", 21_000, 0.02),
        _row("TensorFlow → SavedModel", "TensorFlow", "saved_model", 40_000, 0.3),
        _row("TensorFlow → LiteRT", "TensorFlow", "litert", 20_000, 0.02),
        _row("TensorFlow → LiteRT int8", "TensorFlow", "litert", 9_000, 0.02, within=False),
        _row("PyTorch → ONNX", "PyTorch", "onnxruntime", 23_000, 0.01),
        deployment.failed_row("Keras → OpenVINO", "Keras", "openvino", "ModuleNotFoundError: ... -> not installed")]


def test_the_verdict_counts_formats_that_keep_the_numbers_and_says_what_is_documented_only():
    rng = np.random.default_rng(0)
    for row, ms in ((ROWS[0], 0.01), (ROWS[2], 0.3), (ROWS[5], 0.01)):  # each framework's server path, raced
        row["race_s"] = list(ms / 1e3 * (1 + 0.01 * rng.normal(size=15)))
    text, key = deployment_report.deployment_verdict(ROWS)
    assert key["formats"] == {"Keras": ["LiteRT", "ONNX"], "TensorFlow": ["LiteRT", "SavedModel"], "PyTorch": ["ONNX"]}
    assert key["mobile_measured"] == ["Keras", "TensorFlow"] and key["browser_measured"] is False
    assert "a reading of sources, not measured" in text and "PyTorch: not measured here" in text
    assert key["server_comparisons"][0]["word"] == "about the same"  # Keras's ONNX vs PyTorch's ONNX, same runtime
    assert key["server_comparisons"][1]["leader"] == "PyTorch"  # a SavedModel 30x slower than ONNX
    claims = key["claims"]
    assert set(claims) == {"functionality", "mobile", "server", "browser"}
    assert claims["functionality"]["word"] == "holds only in part" and claims["browser"]["measured"] is False
    assert claims["mobile"]["documented_only"] == ["PyTorch"] and claims["server"]["word"] == "mixed"
    assert "Keras 2 ≈ TensorFlow 2" in key["functionality_ranking"]
    scenarios = key["verdicts"]  # what notebook 07 reads
    assert scenarios["functionality"]["verdict"] == "Keras and TensorFlow"
    mobile = scenarios["deployment (mobile, browser)"]
    assert mobile["verdict"] == "Keras and TensorFlow (mobile)" and mobile["scores"] == {"Keras": 1, "TensorFlow": 1}
    assert mobile["from_sources"].startswith("PyTorch on mobile, and every framework in the browser")


def test_check_choice_of_path_never_shows_the_answer(capsys):
    assert deployment_report.check_choice_of_path("1: phone", "TensorFlow → LiteRT int8", ROWS, "litert", 15)
    for answer, why in [("Keras → ONNX", "not served by the LiteRT"), ("TensorFlow → LiteRT", "over 15 kB"),
                        ("Keras → OpenVINO", "does not run here"), ("nope", "exactly as the table"), (3, "exactly")]:
        assert not deployment_report.check_choice_of_path("1: phone", answer, ROWS, "litert", 15)
        out = capsys.readouterr().out
        assert why in out and "int8" not in out


def test_check_serving_accepts_a_server_and_refuses_a_wrong_one(built, capsys):
    def serve(path, x):
        import onnxruntime

        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        return session.run(None, {session.get_inputs()[0].name: x})[0]

    assert deployment_report.check_serving("2: serve", serve, built["torch"], X[:4])
    zeros = lambda path, x: np.zeros((4, 10), np.float32)  # noqa: E731
    assert not deployment_report.check_serving("2: serve", zeros, built["torch"], X[:4])
    assert not deployment_report.check_serving("2: serve", ..., built["torch"], X[:4])
    assert "correct" in capsys.readouterr().out


def test_the_serving_code_is_printable_and_bad_arguments_are_refused(tmp_path):
    code = deployment.serving_code()
    assert "def load_onnx" in code and "def predict_pt2" in code
    with pytest.raises(ValueError, match="runtime"):
        deployment.serving_code(("openvino",))
    with pytest.raises(ValueError, match="framework"):
        deployment.measure_path("x", "JAX", None, None, "pt2", X, X, tmp_path)
    with pytest.raises(ValueError, match="same examples"):
        deployment.measure_path("x", "PyTorch", None, None, "pt2", X, X[:3], tmp_path)
    with pytest.raises(ValueError, match="formats"):
        deployment.export_keras_elsewhere("torch", "mlp", WEIGHTS, tmp_path, ["pdf"])
    assert deployment.size_bytes(Path(__file__)) > 0


# ---- the CNN: the same main paths, on a batch of 8x8 one-channel images ------------------------------------------

CNN_WEIGHTS = models.init_weights("cnn")
IMAGES = np.random.default_rng(1).normal(size=(8, 8, 8, 1)).astype(np.float32)


def _tf_image_module(model):
    import tensorflow as tf

    class ImageServing(tf.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        @tf.function(input_signature=[tf.TensorSpec([None, 8, 8, 1], tf.float32)])
        def serve(self, x):
            return self.model(x)

    return ImageServing()


def _tf_cnn_saved_model(model, path):
    import tensorflow as tf

    tf.saved_model.save(_tf_image_module(model), path)


def _tf_cnn_litert(model, path):
    import tensorflow as tf

    module = _tf_image_module(model)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([module.serve.get_concrete_function()], module)
    Path(path).write_bytes(converter.convert())


def _tf_cnn_onnx(model, path):
    import tf2onnx

    module = _tf_image_module(model)
    tf2onnx.convert.from_function(module.serve, input_signature=module.serve.input_signature, output_path=path)


def _torch_cnn(to_onnx):
    def export(model, path):
        import torch

        example, dims = (torch.zeros(2, 1, 8, 8),), ({0: torch.export.Dim("batch")},)
        if to_onnx:
            torch.onnx.export(model, example, path, dynamo=True, external_data=False, verbose=False,
                              dynamic_shapes=dims)
        else:
            torch.export.save(torch.export.export(model, example, dynamic_shapes=dims), path)
    return export


@pytest.fixture(scope="module")
def built_cnn():
    import keras
    import torch

    kmodel, tmodel, pmodel = (models.build_model(f, "cnn", CNN_WEIGHTS) for f in ("keras", "tensorflow", "torch"))
    pmodel.eval()
    torch_images = models.to_torch_input("cnn", IMAGES)
    inputs = {"keras": IMAGES, "tensorflow": IMAGES, "torch": torch_images}
    original = {"keras": keras.ops.convert_to_numpy(kmodel(IMAGES)), "tensorflow": tmodel(IMAGES).numpy(),
                "torch": pmodel(torch.from_numpy(torch_images)).detach().numpy()}
    return {"keras": kmodel, "tensorflow": tmodel, "torch": pmodel, "original": original, "inputs": inputs}


CNN_WORKING = [  # notebook 08's CNN paths: (name, framework, model key, export, runtime)
    ("Keras (TF) → tf_saved_model", "Keras", "keras", _keras("tf_saved_model"), "saved_model"),
    ("Keras (TF) → litert", "Keras", "keras", _keras("litert"), "litert"),
    ("Keras (TF) → onnx", "Keras", "keras", _keras("onnx"), "onnxruntime"),
    ("TensorFlow → SavedModel", "TensorFlow", "tensorflow", _tf_cnn_saved_model, "saved_model"),
    ("TensorFlow → LiteRT", "TensorFlow", "tensorflow", _tf_cnn_litert, "litert"),
    ("TensorFlow → ONNX", "TensorFlow", "tensorflow", _tf_cnn_onnx, "onnxruntime"),
    ("PyTorch → .pt2", "PyTorch", "torch", _torch_cnn(False), "pt2"),
    ("PyTorch → ONNX", "PyTorch", "torch", _torch_cnn(True), "onnxruntime"),
]


@pytest.mark.parametrize("name, framework, key, export, runtime", CNN_WORKING, ids=[w[0] for w in CNN_WORKING])
def test_every_cnn_path_reproduces_the_original_cnn_within_the_tolerance(built_cnn, tmp_path, name, framework, key,
                                                                         export, runtime):
    row = deployment.measure_path(name, framework, export, built_cnn[key], runtime, built_cnn["inputs"][key],
                                  built_cnn["original"][key], tmp_path, repeats=3, arch="cnn")
    assert row["exports"], row["error"]
    assert row["arch"] == "cnn" and row["max_difference"] <= deployment.TOLERANCE and row["within_tolerance"]
    assert row["same_class"] == 1.0 and row["size_bytes"] > 0 and set(row["latency"]) == set(deployment.BATCHES)


def test_a_failing_cnn_path_fails_with_its_explained_message_not_a_traceback(built_cnn, tmp_path):
    row = deployment.measure_path("Keras (TF) → torch", "Keras", _keras("torch"), built_cnn["keras"], "pt2", IMAGES,
                                  built_cnn["original"]["keras"], tmp_path, arch="cnn")
    assert not row["exports"] and row["stage"] == "export" and row["arch"] == "cnn"
    assert "-> this format is written by torch.export" in row["error"]
    assert "does not export here: ValueError" in deployment_report.agreement([row])


def test_a_format_counts_only_if_it_works_for_both_models():
    cnn = [dict(r, arch="cnn") for r in ROWS if r["path"] != "Keras → LiteRT"]  # Keras's LiteRT: MLP only
    cnn[0] = dict(cnn[0], within_tolerance=False)  # Keras's ONNX changes the CNN's numbers
    formats = deployment_report.formats_per_framework(ROWS + cnn)
    assert formats == {"Keras": [], "TensorFlow": ["LiteRT", "SavedModel"], "PyTorch": ["ONNX"]}
    assert deployment_report.formats_per_framework(ROWS)["Keras"] == ["LiteRT", "ONNX"]
    text, key = deployment_report.deployment_verdict(ROWS + cnn)
    assert key["models"] == ["cnn", "mlp"] and "for MLP and CNN alike" in text
    assert key["mobile_measured"] == ["TensorFlow"] and key["mobile_smallest_bytes"] == {"TensorFlow": 20_000}
