"""Export paths of notebook 08: write a model to a file, reload it in the runtime that serves it, measure.

Used by notebook 08 (deployment).

    from utils import deployment
    row = deployment.measure_path("PyTorch → .pt2", "PyTorch", export_pt2, torch_mlp, "pt2", x, reference, folder)
    print(deployment_report.paths_table(rows))

A *path* is one export function `export(model, path)` (written in the notebook, one per framework and format)
and one *runtime* that reloads the file and predicts: onnxruntime for ONNX, the LiteRT interpreter
(`ai-edge-litert`) for `.tflite`, `tf.saved_model.load` for a SavedModel, `torch.export.load` for `.pt2`.
The runtime's code is here, once (`RUNTIMES`), because it does not depend on which framework wrote the file.
`measure_path` reports whether the path exports here (else the error, explained by `explain_error`), its lines of
code (export + load + predict, counted by `utils.code_metrics`), the file's size, the time to load it, the
latency per prediction at batch 1 and 32 (median and IQR of repeated calls, one thread) and the largest
difference from the original model's outputs on a fixed batch.

Keras on its other back ends runs in a child process (one back end per process): `export_keras_elsewhere`.
Tables, the verdict, the figure and the exercise checks are in `utils.deployment_report`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from utils.checks import check_choice, check_int, check_number, check_str
from utils.processes import keep_out, muted_stderr
from utils.tables import _power

TOLERANCE = 1e-4  # float32 paths: the same arithmetic, reordered; logits of the trained models are ~1-10
BATCHES = (1, 32)  # latency is measured at these batch sizes
REPEATS = 200  # timed calls per batch size (after WARMUP untimed ones)
WARMUP = 10
LOADS = 3  # the file is loaded this many times; the median load time is reported
TOLERANCE_TEXT = _power(TOLERANCE)  # "1e-4", as the notebook prints it
QUIET_LOGGERS = ("absl", "torch.onnx", "torch.export", "torch._export", "onnxscript", "tf2onnx")
KERAS_FORMATS = {"tf_saved_model": ("saved_model", "saved_model"), "litert": ("litert", "model.tflite"),
                 "onnx": ("onnxruntime", "model.onnx"), "openvino": ("openvino", "model.xml"),
                 "torch": ("pt2", "model.pt2")}  # Keras format -> (runtime, file name)


# ---- the runtimes: reload a file, predict a NumPy batch ----------------------------------------------------------

def load_onnx(path):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def predict_onnx(session, x):
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def load_litert(path):
    from ai_edge_litert.interpreter import Interpreter
    interpreter = Interpreter(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    return interpreter


def predict_litert(interpreter, x):
    given = interpreter.get_input_details()[0]
    if tuple(given["shape"]) != x.shape:  # a new batch size: resize the input, plan the memory again
        interpreter.resize_tensor_input(given["index"], x.shape)
        interpreter.allocate_tensors()
    interpreter.set_tensor(given["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def load_saved_model(path):
    import tensorflow as tf
    return tf.saved_model.load(str(path))


def predict_saved_model(loaded, x):
    return loaded.serve(x).numpy()


def load_pt2(path):
    import torch
    return torch.export.load(str(path)).module()


def predict_pt2(module, x):
    import torch
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


@dataclass(frozen=True)
class Runtime:
    """What serves one kind of file: its name as printed, how to load it and how to predict with it."""

    name: str
    load: object
    predict: object


RUNTIMES = {
    "onnxruntime": Runtime("onnxruntime", load_onnx, predict_onnx),
    "litert": Runtime("LiteRT interpreter", load_litert, predict_litert),
    "saved_model": Runtime("tf.saved_model.load", load_saved_model, predict_saved_model),
    "pt2": Runtime("torch.export.load", load_pt2, predict_pt2),
    "openvino": Runtime("OpenVINO", None, None),  # not installed here: its paths report why
}


def serving_code(runtimes=("onnxruntime", "litert", "saved_model", "pt2")) -> str:
    """The source of each runtime's load and predict functions, as the notebook prints it."""
    from utils import code_metrics

    parts = []
    for key in runtimes:
        runtime = RUNTIMES[check_choice("runtime", key, [k for k, r in RUNTIMES.items() if r.load])]
        parts.append(f"# {runtime.name}\n" + code_metrics.source(runtime.load) + "\n"
                     + code_metrics.source(runtime.predict))
    return "\n\n".join(parts)


# ---- errors, explained -------------------------------------------------------------------------------------------

# (text in the error's message, explanation): the first match explains a failed export
EXPLANATIONS = (
    ("requires PyTorch backend", "this format is written by torch.export, which only sees a model built on "
     "Keras's PyTorch back end: export from a process with KERAS_BACKEND=torch"),
    ("No module named 'openvino'", "the `openvino` package is not installed here (the series does not pin it: "
     "its runtime targets Intel hardware and adds a large download for one more format)"),
    ("litert-torch", "on the PyTorch back end Keras converts to LiteRT with the `litert-torch` package, which "
     "the series does not install; the TensorFlow back end converts with TensorFlow's own converter"),
    ("jax2onnx", "on the JAX back end Keras converts to ONNX with the `jax2onnx` package, which the series does "
     "not install; the TensorFlow and PyTorch back ends export ONNX here"),
    ("LiteRT export requires TensorFlow or PyTorch", "LiteRT needs a TensorFlow or PyTorch graph to convert; a "
     "JAX model goes through a SavedModel first (jax2tf), then TensorFlow's converter"),
    ("mismatch between the structure of `inputs` and `dynamic_shapes`", "Keras 3.15 writes a SavedModel from the "
     "PyTorch back end by capturing the model with torch.export, and the dynamic batch size it declares does "
     "not match the functional model's input structure: a bug of this version, not a missing package"),
    ("filepath to end with '.xml'", "OpenVINO writes an .xml graph and a .bin file of weights: name the file "
     "model.xml"),
    ("Guard failed", "the file was written, but the program inside runs only at the batch size it was captured "
     "with: torch.export fixes every dimension it is not told is dynamic, and Keras 3.15's format='torch' "
     "declares none by default (pass dynamic_shapes= to model.export)"),
    ("never called", "Keras reads the input shapes from a first call: run the model once (predict) before "
     "exporting"),
)


def explain_error(err: BaseException) -> str:
    """One line: the error's type and first line, then why it happens (from EXPLANATIONS) or a pointer."""
    if not isinstance(err, BaseException):
        raise TypeError(f"err must be an exception, got {type(err).__name__}")
    message = str(err).strip()
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    first = lines[0][:160] if lines else "(no message)"
    if first.endswith(":") and len(lines) > 1:  # "in user code:" and the like: the cause is on the last line
        first = f"{first} ... {lines[-1][:160]}"
    why = next((text for key, text in EXPLANATIONS if key in message), "no explanation recorded: read the message "
               "and the format's documentation")
    return f"{type(err).__name__}: {first} -> {why}"


@contextlib.contextmanager
def quiet():
    """Exporters' and runtimes' chatter off: Python warnings, their loggers below ERROR, C++ lines on stderr."""
    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings(), muted_stderr():
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


# ---- measuring one path ------------------------------------------------------------------------------------------

def size_bytes(path) -> int:
    """The bytes of a file, or of every file under a folder (a SavedModel is a folder)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def latency(predict, loaded, x, repeats: int = REPEATS, warmup: int = WARMUP) -> dict:
    """Seconds per call of predict(loaded, x): median, IQR (q3 - q1) and n, after `warmup` untimed calls."""
    check_int("repeats", repeats, minimum=3)
    check_int("warmup", warmup, minimum=0)
    for _ in range(warmup):
        predict(loaded, x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict(loaded, x)
        times.append(time.perf_counter() - start)
    q1, median, q3 = np.percentile(times, [25, 50, 75])
    return {"median_s": float(median), "iqr_s": float(q3 - q1), "n": repeats, "samples_s": [float(t) for t in times]}


def measure_path(name: str, framework: str, export, model, runtime: str, x, reference, folder, *,
                 filename: str | None = None, tolerance: float = TOLERANCE, repeats: int = REPEATS,
                 code=None, file=None, arch: str = "mlp") -> dict:
    """Export `model` with `export(model, path)`, reload it in `runtime`, predict `x`, measure (see the module).

    Args:
        name: the path's label ("PyTorch → ONNX"); framework: "Keras", "TensorFlow" or "PyTorch".
        export: a function (model, path) -> None, or None when the file was written already (another process).
        runtime: a key of RUNTIMES; x: the fixed batch, in the file's input layout; reference: the original
            model's outputs on x; folder: where the file goes (its own subfolder, named after `name`).
        code: what to count as the export code (default: `export`).
        file: with export=None, the file another process wrote (default: where `export` would write it).
        arch: which of the series' models was exported ("mlp" or "cnn"), recorded in the row.
    Returns:
        A dict: exports (bool), error (explained, or None), lines, size_bytes, export_s, load_s, latency
        ({batch: latency dict}), max_difference, within_tolerance, same_class (share of argmax agreeing).
    """
    check_str("name", name)
    check_choice("framework", framework, ("Keras", "TensorFlow", "PyTorch"))
    check_choice("runtime", runtime, list(RUNTIMES))
    check_number("tolerance", tolerance, minimum=0, inclusive=False)
    check_int("repeats", repeats, minimum=3)
    check_choice("arch", arch, ("mlp", "cnn"))
    x, reference = np.ascontiguousarray(x, dtype=np.float32), np.asarray(reference)
    if len(x) != len(reference):
        raise ValueError(f"x and reference must hold the same examples, got {len(x)} and {len(reference)}")
    filename = filename or {"onnxruntime": "model.onnx", "litert": "model.tflite", "saved_model": "saved_model",
                            "pt2": "model.pt2", "openvino": "model.xml"}[runtime]
    path = Path(file) if file is not None else Path(folder) / _slug(name) / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    row = {"path": name, "framework": framework, "arch": arch, "runtime": RUNTIMES[runtime].name, "file": filename,
           "exports": False, "error": None, "tolerance": tolerance}
    start, stage = time.perf_counter(), "export"
    try:
        if export is not None:
            with quiet():
                export(model, str(path))
        if not path.exists():
            raise FileNotFoundError(f"the export wrote no {filename}")
        row["export_s"] = time.perf_counter() - start
        runtime_, stage = RUNTIMES[runtime], "load"
        loads = []
        with quiet():
            for _ in range(LOADS):
                start = time.perf_counter()
                loaded = runtime_.load(path)
                loads.append(time.perf_counter() - start)
            stage = "predict"
            out = np.asarray(runtime_.predict(loaded, x))
    except Exception as err:  # a path that fails here is a finding: say why, never a traceback
        row.update(error=explain_error(err), stage=stage)
        return row
    row.update(exports=True, size_bytes=size_bytes(path.parent), load_s=float(np.median(loads)),
               lines=_lines(code if code is not None else export, runtime_))
    row["max_difference"] = float(np.abs(out - reference).max())
    row["within_tolerance"] = row["max_difference"] <= tolerance
    row["same_class"] = float(np.mean(out.argmax(-1) == reference.argmax(-1)))
    row["latency"] = {b: latency(runtime_.predict, loaded, _batch(x, b), repeats) for b in BATCHES}
    row["_served"] = (runtime_.predict, loaded, _batch(x, 32))  # kept in memory for `race` (not recorded)
    return row


def failed_row(name: str, framework: str, runtime: str, error: str) -> dict:
    """A path that did not export (in another process: the MLP's): the row measure_path would have given."""
    return {"path": name, "framework": framework, "arch": "mlp", "runtime": RUNTIMES[runtime].name, "exports": False,
            "error": error, "stage": "export", "tolerance": TOLERANCE}


def status(row: dict) -> str:
    """'runs' or where the path stopped: 'does not export here', 'exported; does not load' or '... run'."""
    if row["exports"]:
        return "runs"
    return {"export": "does not export here", "load": "exported; does not load",
            "predict": "exported; does not run at batch 32"}[row.get("stage", "export")]


def _lines(code, runtime: Runtime) -> int | None:
    from utils import code_metrics

    pieces = [p for p in (code if isinstance(code, list | tuple) else [code]) if p is not None]
    return code_metrics.measure([*pieces, runtime.load, runtime.predict]).lines


def _batch(x: np.ndarray, size: int) -> np.ndarray:
    reps = -(-size // len(x))
    return np.ascontiguousarray(np.concatenate([x] * reps)[:size])


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).strip("_").lower()


# ---- Keras on another back end, in a child process ---------------------------------------------------------------

def export_keras_elsewhere(backend: str, arch: str, weights: dict, folder, formats, timeout: float = 300) -> dict:
    """Export the Keras model (`utils.models`, these weights) on another back end, in a child process.

    Returns {format: {"file": path or None, "error": explained error or None}}; the kernel then reloads each
    file with `measure_path(..., export=None)`.
    """
    from utils.processes import child_environment, run_module

    check_choice("backend", backend, ("tensorflow", "jax", "torch"))
    check_number("timeout", timeout, minimum=0, inclusive=False)
    unknown = sorted(set(formats) - set(KERAS_FORMATS))
    if unknown:
        raise ValueError(f"formats must be among {sorted(KERAS_FORMATS)}, got {unknown}")
    folder = Path(folder) / f"keras_{backend}"
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "weights.npz", **weights)
    env = {**child_environment(1), "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    payload = {"arch": arch, "folder": str(folder), "formats": list(formats)}
    return run_module("utils.deployment", payload, env, timeout, f"Keras on {backend}", RuntimeError)


def keras_export(model, path, fmt):
    """Keras's whole export: one call, the format chosen by name (the child's code; the notebook shows it)."""
    model.export(path, format=fmt, verbose=False)


def _child(payload: dict) -> dict:
    if os.environ.get("KERAS_BACKEND") == "torch":  # Keras imports JAX when it is installed (an Orbax callback's
        keep_out("jax")  # check, which tolerates its absence): 150 MB a PyTorch child never uses
    import keras

    from utils import models

    folder = Path(payload["folder"])
    weights = dict(np.load(folder / "weights.npz"))
    model = models.keras_model(payload["arch"], weights)
    model.predict(np.zeros((2, *models.input_shape(payload["arch"])), "float32"), verbose=0)  # Keras reads shapes
    out = {}
    for fmt in payload["formats"]:
        path = folder / fmt / KERAS_FORMATS[fmt][1]
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with quiet():
                keras_export(model, path, fmt)
            out[fmt] = {"file": str(path), "error": None}
        except Exception as err:
            out[fmt] = {"file": None, "error": explain_error(err)}
    return {"backend": keras.backend.backend(), "formats": out}


# ---- the models, trained briefly ---------------------------------------------------------------------------------

def train_one_epoch(framework: str, arch: str, weights: dict, dataset, batch_size: int = 64,
                    learning_rate: float = 0.1):
    """The series' model in one framework from `weights`, trained one epoch on the series' fixed batches.

    The same weights and batches in each framework give the same trained weights (float32 round-off apart),
    so notebook 08 trains each framework's model in its own section. A PyTorch model comes back in eval
    mode; its CNN takes channels-first images (`utils.models.to_torch_input`).
    """
    from utils import data, models, training

    check_choice("framework", framework, ("keras", "tensorflow", "torch"))
    check_choice("arch", arch, ("mlp", "cnn"))
    check_int("batch_size", batch_size, minimum=1)
    check_number("learning_rate", learning_rate, minimum=0, inclusive=False)
    x = dataset.x_train if arch == "mlp" else data.as_images(dataset.x_train)
    model = models.build_model(framework, arch, weights)
    if framework == "keras":
        import keras

        model.compile(optimizer=keras.optimizers.SGD(learning_rate),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(data.keras_batches(x, dataset.y_train, batch_size), epochs=1, shuffle=False, verbose=0)
    elif framework == "tensorflow":
        step = training.tensorflow_step(model, "sgd", learning_rate=learning_rate, mode="graph")
        for bx, by in data.tf_batches(x, dataset.y_train, batch_size):
            step(bx, by)
    else:
        step = training.torch_step(model, "sgd", learning_rate=learning_rate)
        for bx, by in data.torch_batches(models.to_torch_input(arch, x), dataset.y_train, batch_size):
            step(bx, by)
        model.eval()
    return model


def weight_gap(model, reference) -> float:
    """The largest absolute difference between two models' weights (canonical layout, utils.models)."""
    from utils import models

    mine, theirs = models.get_weights(model), models.get_weights(reference)
    return max(float(np.abs(mine[k] - theirs[k]).max()) for k in theirs)


if __name__ == "__main__":  # the child process of export_keras_elsewhere
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from utils.processes import print_result

    print_result(_child(json.loads(sys.stdin.read())))
    sys.stdout.flush()
