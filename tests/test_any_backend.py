"""Notebooks 01 and 03 run top to bottom whatever Keras back end the learner set (issue 22).

Each run executes the whole notebook in a fresh kernel whose `KERAS_BACKEND` names JAX or PyTorch; the
default back end (TensorFlow) is what nbval runs. About a minute per notebook on 2 cores: marked slow.
"""

import pytest

from utils.execution import run_notebook
from utils.workshop import notebook_paths


def _errors(nb) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.output_type == "error"]


def _printed(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
@pytest.mark.parametrize("name", ["01_level_of_api", "03_architecture"])
def test_the_notebook_runs_on_another_keras_backend(name, backend, monkeypatch, tmp_path):
    path = next(p for p in notebook_paths() if p.stem == name)
    monkeypatch.setenv("KERAS_BACKEND", backend)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    monkeypatch.setenv("KVTVP_RESULTS", str(tmp_path))  # the recorded results of this run stay out of results/
    nb = run_notebook(path)  # raises on the first cell that fails
    assert not _errors(nb)
    assert f"back end {backend}" in _printed(nb), "the kernel's Keras ran on the back end asked for"
