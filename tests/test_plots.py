import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from utils import plots  # noqa: E402


def test_each_framework_has_its_own_colour():
    names = ["Keras", "TensorFlow", "PyTorch", "JAX"]
    assert len({plots.color(n) for n in names}) == 4
    assert plots.color("pytorch") == plots.color("PyTorch eager") == plots.COLORS["PyTorch"]


def test_unknown_or_non_string_names_are_rejected():
    with pytest.raises(ValueError, match="no colour for 'Caffe'"):
        plots.color("Caffe")
    with pytest.raises(TypeError, match="as a string"):
        plots.color(3)


def test_figure_is_titled_and_labelled():
    fig, ax = plots.figure("Loss", xlabel="step", ylabel="loss")
    assert fig._suptitle.get_text() == "Loss" and ax.get_xlabel() == "step" and ax.get_ylabel() == "loss"
    fig, axes = plots.figure("Two", xlabel="x (units)", ylabel="y (units)", ncols=2)
    assert [a.get_ylabel() for a in axes] == ["y (units)"] * 2
    assert matplotlib.rcParams["axes.spines.top"] is False


@pytest.mark.parametrize("kwargs", [{"title": ""}, {"xlabel": "  "}, {"ylabel": None}])
def test_unlabelled_figures_are_refused(kwargs):
    args = {"title": "t", "xlabel": "x", "ylabel": "y", **kwargs}
    with pytest.raises(ValueError, match="must be a non-empty string"):
        plots.figure(**args)


def test_bad_column_count_is_refused():
    with pytest.raises(ValueError, match="ncols == 0, must be >= 1"):
        plots.figure("t", "x", "y", ncols=0)


def test_speed_bars_and_crossover_mark_noisy_and_failed_cells():
    from test_bench import fake_record

    record = fake_record({"torch-eager": (1.0e-3, 0.2), "tf-function": "failed", "keras-tf": (2e-3, 0.01)})
    fig, ax = plots.speed_bars(record, "mlp", 32)
    texts = [t.get_text() for t in ax.texts]
    assert any("! noisy 40%" in t for t in texts) and any("failed" in t for t in texts)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["PyTorch eager", "tf.function", "Keras/TF"]
    legend = ax.get_legend()  # colour: the API (Keras on any back end); hatching: how the step runs
    assert [t.get_text() for t in legend.get_texts()] == ["PyTorch", "Keras", "eager", "graph"]
    assert [h.get_hatch() for h in legend.legend_handles[2:]] == [None, ".."]
    bars = [p for p in ax.patches if p.get_width() > 0]
    assert [b.get_hatch() for b in bars] == [None, ".."], "PyTorch eager plain, Keras/TF (a graph) dotted"
    assert bars[1].get_facecolor() != bars[0].get_facecolor()
    fig, ax = plots.crossover(record)
    assert ax.get_xscale() == "log" and [t.get_text() for t in ax.get_legend().get_texts()] == [
        "PyTorch", "Keras", "eager", "graph"]
    assert {t.get_text() for t in ax.texts} == {"PyTorch eager", "Keras/TF"}, "each line named at its end"
    other = fake_record({"torch-eager": (1.0e-3, 0.2)})
    other["peak"] = {**other["peak"], "gflops": 1.0}
    with pytest.raises(ValueError, match="peak"):
        plots.crossover(record, extra=other)
    with pytest.raises(ValueError, match="batch 64"):
        plots.speed_bars(record, "mlp", 64)
    with pytest.raises(ValueError, match="workload"):
        plots.crossover(record, "rnn")
    with pytest.raises(TypeError, match="record"):
        plots.speed_bars([], "mlp", 32)
