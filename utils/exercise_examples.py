"""Every exercise check of the series, called in a valid context built from small synthetic data.

Used by tests/test_exercise_checks.py (no notebook uses it). Each builder, registered for its checks with
`@example_of(check)`, returns `Example`s; the test calls every check with wrong answers of each kind and
wants a "not yet" that explains and never shows the expected answer. A new exercise check (a public
function of utils named check* or *_exercise that takes the learner's `answer`, `func` or `make_pipeline`)
needs a builder here: the test fails naming it until it has one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from utils import (
    checkpoints,
    debug_report,
    defaults,
    deployment_report,
    equivalence,
    exercises,
    intro,
    popularity,
    porting,
    recommender,
    streaming,
    verdicts,
)
from utils.bench import lesson
from utils.bench.configs import CONFIGS


@dataclass(frozen=True)
class Example:
    """One exercise check in a valid context.

    `call(answer)` checks one answer and returns its Verdict; `right` passes; `secrets` are texts of the
    expected answer that no wrong answer's message may contain, once `shown` (texts the question shows,
    such as its list of choices) are taken out; `wrong` are wrong answers of the right kind; `slow`
    marks a right answer that takes seconds to check (a timed pipeline).
    """

    call: object
    right: object
    secrets: tuple = ()
    shown: tuple = ()
    wrong: tuple = ()
    slow: bool = False


EXAMPLES: dict = {}  # "module.function" of each exercise check -> a function returning its Examples


def example_of(*checks):
    """Decorator: register the decorated function as the builder of the Examples of each of `checks`."""
    def register(build):
        for check in checks:
            EXAMPLES[f"{check.__module__}.{check.__qualname__}"] = build
        return build
    return register


def _shown(choices) -> tuple:
    return (str(list(choices)),)


@example_of(exercises.check)
def _check():
    def on(expected):
        return lambda answer: exercises.check("1: a value", answer, expected)

    return [Example(on([3.25, 12.5, 27.75]), [3.25, 12.5, 27.75], ("3.25", "12.5", "27.75"),
                    wrong=([3.25, 12.5, 27.0], [-3.25, -12.5, -27.75], [3.25, 12.5])),
            Example(on(3925), 3925, ("3925",), wrong=(3924, 3925.5, 3926)),
            Example(on("tensorflow"), "tensorflow", ("tensorflow",), wrong=("pytorch", "jax")),
            Example(on(False), False, ("False",), ("True or False",), wrong=(True,))]


@example_of(exercises.check_function)
def _check_function():
    def call(func):
        return exercises.check_function("2: cube", func, [((1.5,), 3.375), ((-2.0,), -8.0)])

    return [Example(call, lambda x: x**3, ("3.375", "-8.0"), wrong=(lambda x: x**2, lambda x: x * abs(x) ** 2 + 1))]


@example_of(intro.check_exercise)
def _intro():
    import keras

    backend = keras.backend.backend()
    right_3 = {"nn.Linear(3, 2)": "error", "nn.Linear(3, 3)": "different outputs"}
    return [Example(lambda a: intro.check_exercise("1: gradient of sum(x**3)", a), np.array([3.0, 12.0, 27.0]),
                    ("12.", "27."), wrong=(np.array([1.0, 4.0, 9.0]), [3.0, 12.0, 26.0], [-3.0, -12.0, -27.0])),
            Example(lambda a: intro.check_exercise("2: the back end", a), backend, (backend,),
                    _shown(intro.BACKENDS), tuple(b for b in intro.BACKENDS if b != backend)),
            Example(lambda a: intro.check_exercise("3: port", a), right_3, ("'error'", "'different outputs'"),
                    _shown(intro.OUTCOMES), ({**right_3, "nn.Linear(3, 3)": "same outputs"},
                                             {**right_3, "nn.Linear(3, 2)": "same outputs"}))]


@example_of(equivalence.check_models)
def _models():
    import tensorflow as tf

    from utils import models

    weights = models.init_weights("mlp")
    x = np.random.default_rng(0).normal(size=(8, 64)).astype(np.float32)
    expected = equivalence.dense_stack(weights, x)
    right = {"Keras": models.keras_model("mlp", weights), "TensorFlow": models.tf_model("mlp", weights),
             "PyTorch": models.torch_model("mlp", weights)}
    return [Example(lambda a: equivalence.check_models("1: models", a, weights, x), right,
                    tuple(f"{v:.4f}" for v in expected.ravel()[:4]),
                    wrong=({**right, "PyTorch": lambda t: expected}, {**right, "TensorFlow": lambda t: -tf.constant(
                        expected)}, {**right, "Keras": lambda t: tf.zeros((8, 10))}, {"Keras": right["Keras"]}))]


@example_of(defaults.check_settings)
def _settings():
    import keras

    port = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, strides=2, padding="same"),
                             keras.layers.BatchNormalization(), keras.layers.Flatten(), keras.layers.Dense(10)])
    port.compile(optimizer=keras.optimizers.Adam(), loss="mse")
    must = {"Adam epsilon", "BatchNorm epsilon", "BatchNorm momentum", "'same' padding at stride 2", "shuffling"}
    return [Example(lambda a: defaults.check_settings("2: port", a, port, {}, loads_weights=True), must,
                    (str(sorted(must)),), wrong=(must - {"shuffling"}, set(defaults.SETTINGS), {"shuffle"}))]


@example_of(porting.check_port)
def _port():
    import keras

    model = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                              keras.layers.Dense(5)])
    right = {"conv kernel": lambda k: k.transpose(3, 2, 0, 1), "permute before flatten": True,
             "dense kernel": lambda k: k.T}
    return [Example(lambda a: porting.check_port("2b: the port's layouts", a, model), right,
                    ("(3, 2, 0, 1)", "(4, 2, 3, 3)", "(5, 36)"),
                    wrong=({**right, "conv kernel": lambda k: k.reshape(4, 2, 3, 3)},
                           {**right, "conv kernel": lambda k: k.T}, {**right, "permute before flatten": False},
                           {**right, "dense kernel": lambda k: k}))]


@example_of(verdicts.check_judgement)
def _judgement():
    sizes = {"Keras": 147, "TensorFlow": 318}
    return [Example(lambda a: verdicts.check_judgement("3: size", a, sizes, "TensorFlow", "Keras"), "larger",
                    ("'larger'",), _shown(verdicts.WORDS), ("smaller", "about the same"))]


@example_of(streaming.check_fast_pipeline)
def _fast_pipeline():
    import tensorflow as tf

    def fast(paths, batch_size, record_bytes, header_bytes, n_features):  # notebook 05's solution
        def decode(raw):
            values = tf.reshape(tf.io.decode_raw(raw, tf.float32), (-1, n_features + 1))
            return values[:, :-1], tf.cast(values[:, -1], tf.int64)

        return (tf.data.Dataset.from_tensor_slices(paths)
                .interleave(lambda p: tf.data.FixedLengthRecordDataset(p, record_bytes * batch_size,
                                                                       header_bytes=header_bytes),
                            cycle_length=2, num_parallel_calls=tf.data.AUTOTUNE)
                .map(decode, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE))

    def one_shard(paths, *args):
        return fast(paths[:1], *args)

    return [Example(lambda a: streaming.check_fast_pipeline("1: a fast pipeline", a), fast,
                    wrong=(streaming.slow_pipeline, one_shard, len), slow=True)]


@example_of(streaming.check_exercise)
def _streaming():
    memory = {"megabytes": 6 * 8 * 8192 * 65 * 4 / 1e6, "grows_with_dataset": False}
    batch = {"global_batch_size": 4 * 32, "step_too_large_by": 4.0}
    return [Example(lambda a: streaming.check_exercise("2: memory", a), memory, ("8.5", "False"),
                    wrong=({**memory, "megabytes": 4 * memory["megabytes"]}, {**memory, "grows_with_dataset": True},
                           {"megabytes": memory["megabytes"]})),
            Example(lambda a: streaming.check_exercise("3: the global batch", a), batch, ("128", "4.0"),
                    wrong=({**batch, "global_batch_size": 32}, {**batch, "step_too_large_by": 0.25}))]


@example_of(popularity.check_exercise)
def _popularity():
    table = popularity.scores(popularity.load_figures())
    ranking = popularity.weighted_ranking(table, popularity.EXERCISE_WEIGHTS)
    first = sorted(popularity.can_be_first(table))
    return [Example(lambda a: popularity.check_exercise(1, a), ranking, (str(ranking),),
                    wrong=(ranking[::-1], ranking[:2], [ranking[0]] * 3, set(ranking))),
            Example(lambda a: popularity.check_exercise(2, a), first, (str(first),),
                    wrong=(["keras"], sorted(table["github_stars"]), first[:1])),
            Example(lambda a: popularity.check_exercise(3, a), "B", ("'B'",), _shown("AB"), ("A",))]


@example_of(debug_report.check_keras_evaluate, debug_report.check_tf_loss, debug_report.check_torch_step)
def _debugging():
    import tensorflow as tf

    def step(model, optimizer, x, y, clear=True):
        import torch

        if clear:
            optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    def loss(logits, labels):
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))

    right_3 = {"check": "gradient norm", "step": step}
    return [Example(lambda a: debug_report.check_keras_evaluate("1", a), lambda m, x: m(x, training=False),
                    wrong=(lambda m, x: m(x, training=True), lambda m, x: np.zeros((64, 10)))),
            Example(lambda a: debug_report.check_tf_loss("2", a), loss,
                    wrong=(lambda logits, labels: loss(tf.nn.softmax(logits), labels), lambda logits, labels: 1.0)),
            Example(lambda a: debug_report.check_torch_step("3", a), right_3, ("'gradient norm'", "'loss curve'"),
                    _shown(debug_report.CHECK_NAMES),
                    ({**right_3, "check": "repeatable evaluation"}, {**right_3, "step": lambda *a: step(*a, False)},
                     {**right_3, "step": None}))]


@example_of(recommender.scorecard_exercise)
def _scorecard():
    from utils import scorecard

    card = scorecard.build_scorecard(references_only=True)  # the committed reference results, none of the learner's
    start = recommender.recommend(recommender.EXERCISE_2[0], card)["leader"]
    weight = next(w / 2 for w in range(1, 21) if recommender.recommend(
        {**recommender.EXERCISE_2[0], recommender.EXERCISE_2[1]: w / 2}, card)["leader"] != start)
    def second(answer):
        recommender._CALLED.clear()  # a fresh kernel: the learner has not called the helper that computes it
        return recommender.scorecard_exercise(2, answer, card)

    return [Example(lambda a: recommender.scorecard_exercise(1, a, card), "TensorFlow and PyTorch",
                    ("'TensorFlow and PyTorch'",), _shown(recommender.VERDICT_WORDS),
                    ("PyTorch", "cannot tell", "all three", "Keras and PyTorch")),
            Example(second, weight, (str(weight),),
                    wrong=(weight + 1.5, weight + 0.25, 10.0))]


def _bench_record(medians: dict) -> dict:
    """A quiet benchmark record of the mlp at batch 32: {config: median seconds (2% spread) or "failed"}."""
    from utils import bench, models
    from utils.bench import runner

    cells = []
    for config, median in medians.items():
        cell = runner._cell(config, "mlp", 32, models.resolve_sizes("mlp"))
        if median == "failed":
            cell.fail("RuntimeError: planted")
        else:
            cell.samples_s, cell.rounds = [median * (1 + 0.02 * f) for f in (-2, -1, 0, 1, 2)], list(range(5))
            cell.cpu_share, cell.first_step_s, cell.first_loss, cell.steps, cell.device = [1.0] * 5, 0.5, 2.3, 10, "cpu"
        cells.append(cell)
    record = {"schema": bench.SCHEMA, "created": "2026-11-23T00:00:00+00:00", "versions": {}, "workers": {},
              "settings": {"threads_requested": None, "repeats": 5, "max_spread": bench.MAX_SPREAD,
                           "configs": list(medians)}, "calibration_s": 1e-3, "wall_s": 1.0,
              "machine": {"cpu": "synthetic", "cpu_count": 2, "usable_cpus": 2},
              "rounds": [{"efficiency": 0.95, "slowdown": 1.0, "pressure": None, "contended": False} for _ in range(5)]}
    runner.finish(record, cells, {"numpy": {"median_gflops": 100.0, "best_gflops": 110.0}})
    return bench.validate(record)


@example_of(lesson.check_can_tell, lesson.check_payback, lesson.check_best_share)
def _bench():
    record = _bench_record({"keras-tf": 2e-3, "tf-function": 1e-3, "torch-eager": "failed"})
    words = ("faster", "slower", "about as fast", "cannot tell")

    def payback(compile_s, slow_ms, fast_ms):
        return math.inf if fast_ms >= slow_ms else math.ceil(1e3 * compile_s / (slow_ms - fast_ms))

    return [Example(lambda a: lesson.check_can_tell(record, "keras-tf", "tf-function", "mlp", 32, a), "slower",
                    ("'slower'",), _shown(words), ("faster", "about as fast", "cannot tell")),
            Example(lesson.check_payback, payback, ("10000",),
                    wrong=(lambda c, s, f: 1e3 * c / (s - f), lambda c, s, f: math.ceil(c / (s - f)))),
            Example(lambda a: lesson.check_best_share(record, "mlp", 32, a), "tf-function", ("'tf-function'",),
                    _shown(CONFIGS), ("keras-tf", "torch-eager", "keras-torch"))]


@example_of(deployment_report.check_choice_of_path)
def _choice_of_path():
    def row(path, runtime, kb, same=1.0):
        return {"path": path, "runtime": deployment_report.RUNTIMES[runtime].name, "exports": True,
                "size_bytes": kb * 1000, "same_class": same}

    rows = [row("TF → LiteRT", "litert", 21), row("TF → LiteRT int8", "litert", 9), row("PT → ONNX", "onnxruntime", 8),
            row("TF → LiteRT 4-bit", "litert", 5, same=0.9), {"path": "K → OpenVINO", "exports": False}]
    return [Example(lambda a: deployment_report.check_choice_of_path("1: a path", a, rows, "litert", 15),
                    "TF → LiteRT int8", ("'TF → LiteRT int8'",),
                    wrong=("TF → LiteRT", "PT → ONNX", "TF → LiteRT 4-bit", "K → OpenVINO"))]


@example_of(deployment_report.check_serving)
def _serving():
    import torch

    from utils import models

    model = models.torch_model("mlp", models.init_weights("mlp")).eval()
    x = np.random.default_rng(0).normal(size=(4, 64)).astype(np.float32)

    def serve(path, x):  # notebook 08's solution
        import onnxruntime

        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        return session.run(None, {session.get_inputs()[0].name: x})[0]

    def other_model(path, x):
        return models.torch_model("mlp", models.init_weights("mlp", seed=1))(torch.from_numpy(x)).detach().numpy()

    return [Example(lambda a: deployment_report.check_serving("2: serve", a, model, x), serve,
                    wrong=(other_model, lambda path, x: x[:, :10]))]


@example_of(checkpoints.check_prediction)
def _prediction():
    def word(answer):
        return checkpoints.check_prediction("checkpoint: a second backward()", answer, checkpoints.second_backward,
                                            checkpoints.SECOND_BACKWARD, why="worth another thought")

    def number(answer):
        return checkpoints.check_prediction("checkpoint: a count", answer, lambda: 7, why="worth another thought")

    return [Example(word, "twice the gradient", ("'twice the gradient'",), _shown(checkpoints.SECOND_BACKWARD),
                    ("the same", "zero")),
            Example(number, 7, ("7",), wrong=(6, 8, 7.5))]
