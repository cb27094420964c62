"""utils.scorecard and utils.recommender: verdicts from synthetic results, fallbacks, the recommender."""

import json

import pytest

from utils import recommender, results, scorecard
from utils.scorecard import NOT_MEASURED_02, SOURCE_NOTE


def _synthetic(folder, speed=None):
    """Write one synthetic results file per measuring notebook into `folder`."""
    results.record("01_level_of_api", {"lines": {"Keras Sequential": 10, "Keras Functional": 10, "Keras subclassed": 12,
                                                 "Keras custom train_step": 18, "TensorFlow": 20, "PyTorch": 20}},
                   folder=folder)
    results.record("03_architecture", {"tokens": {"Keras": 100, "TensorFlow": 300, "PyTorch": 200},
                                       "keras_backends_same_outputs": ["tensorflow", "jax", "torch"]}, folder=folder)
    results.record("04_debugging", {n: {"mean_score": s} for n, s in
                                    (("Keras", 1.0), ("TensorFlow", 1.5), ("PyTorch", 3.5))}, folder=folder)
    results.record("05_datasets", {"keras_limited_to_small_data": False, "memory": [
        {"pipeline": "TensorFlow tf.data", "flat": True}, {"pipeline": "PyTorch DataLoader", "flat": True},
        {"pipeline": "Keras fit on PyDataset", "flat": True}, {"pipeline": "NumPy in memory", "flat": False}]},
        folder=folder)
    if speed is not None:
        results.record("02_speed", {"ms_per_step": speed}, folder=folder)


def _rows(card):
    return {r["scenario"]: r for r in card}


@pytest.fixture
def synthetic(tmp_path):
    own, reference = tmp_path / "own", tmp_path / "reference"
    _synthetic(own, speed={"Keras": 2.0, "TensorFlow": 1.0, "PyTorch": 1.05})
    reference.mkdir()
    return own, reference


def test_synthetic_results_give_the_expected_verdicts(synthetic):
    rows = _rows(scorecard.build_scorecard(*synthetic))
    assert rows["rapid prototyping"]["verdict"] == "Keras"
    assert rows["flexibility"]["verdict"] == "Keras"
    assert rows["multiple back ends"]["verdict"] == "Keras"
    assert rows["debugging"]["verdict"] == "PyTorch"  # 2 points ahead, margin 1
    assert rows["small datasets"]["verdict"] == rows["large datasets"]["verdict"] == "all three"
    assert rows["high performance"]["verdict"] == "cannot tell: TensorFlow or PyTorch"  # 5% apart, CLOSE is 10%
    assert all(r["source"] == "own" for r in rows.values() if r["kind"] == "measured")
    for name in ("functionality", "object detection", "deployment (mobile, browser)"):
        assert rows[name]["kind"] == SOURCE_NOTE and SOURCE_NOTE in rows[name]["evidence"]
        assert rows[name]["link"] is None
    assert rows["debugging"]["link"] == "notebooks/04_debugging.ipynb#Verdict"


def test_debugging_within_notebook_04s_margin_is_cannot_tell(tmp_path):
    results.record("04_debugging", {n: {"mean_score": s} for n, s in
                                    (("Keras", 2.5), ("TensorFlow", 3.0), ("PyTorch", 2.0))}, folder=tmp_path)
    rows = _rows(scorecard.build_scorecard(tmp_path, tmp_path))
    assert rows["debugging"]["verdict"] == "cannot tell: Keras or TensorFlow"  # PyTorch is exactly 1 point behind


def test_a_missing_own_file_falls_back_to_the_reference_with_a_reason(synthetic, tmp_path):
    own, _ = synthetic
    empty = tmp_path / "nothing"
    empty.mkdir()
    rows = _rows(scorecard.build_scorecard(empty, own))  # the synthetic files play the references
    assert rows["rapid prototyping"]["source"] == "reference"
    assert "run notebook 01" in rows["rapid prototyping"]["reason"]
    assert rows["rapid prototyping"]["verdict"] == "Keras"


def test_a_malformed_own_file_falls_back_with_a_reason(synthetic):
    own, reference = synthetic
    _synthetic(reference)
    (own / "01_level_of_api.json").write_text("{not json")
    (own / "04_debugging.json").write_text(json.dumps({"schema": "other"}))
    rows = _rows(scorecard.build_scorecard(own, reference))
    for name in ("rapid prototyping", "debugging"):
        assert rows[name]["source"] == "reference" and "could not be used" in rows[name]["reason"]


def test_no_file_anywhere_or_a_wrong_shape_is_a_stated_not_measured_never_a_crash(tmp_path):
    (tmp_path / "own").mkdir()
    (tmp_path / "ref").mkdir()
    results.record("02_speed", {"something_else": {"Keras": 1.0}}, folder=tmp_path / "own")
    results.record("03_architecture", {"tokens": "many"}, folder=tmp_path / "own")
    rows = _rows(scorecard.build_scorecard(tmp_path / "own", tmp_path / "ref"))
    assert rows["rapid prototyping"]["scores"] is None and "not measured" in rows["rapid prototyping"]["verdict"]
    assert rows["high performance"]["scores"] is None and "per-framework time" in rows["high performance"]["reason"]
    assert rows["flexibility"]["scores"] is None and rows["flexibility"]["source"] == "own"
    assert "02" in scorecard.provenance_table(list(rows.values()))


def test_without_notebook_02_the_speed_rows_say_run_it(tmp_path):
    rows = _rows(scorecard.build_scorecard(tmp_path, tmp_path))
    assert rows["high performance"]["verdict"] == rows["short training duration"]["verdict"] == NOT_MEASURED_02


def test_a_02_record_from_another_machine_changes_the_speed_verdict(tmp_path):
    before = _rows(scorecard.build_scorecard(tmp_path, tmp_path))["high performance"]["verdict"]
    path = results.record("02_speed", {"ms_per_step": {"keras": 0.5, "tensorflow": 1.0, "torch": 0.9}},
                          folder=tmp_path)
    payload = json.loads(path.read_text())
    payload["machine"] = {"cpu": "another machine, 64 cores", "usable_cpus": 64, "os": "Linux", "python": "3.11"}
    path.write_text(json.dumps(payload))
    after = _rows(scorecard.build_scorecard(tmp_path, tmp_path))
    assert before == NOT_MEASURED_02 and after["high performance"]["verdict"] == "Keras"
    assert after["short training duration"]["verdict"] == "Keras"
    assert recommender.speed_record_verdict({"Keras": 3.0, "TensorFlow": 2.0, "PyTorch": 1.0}) == "PyTorch"


def test_speed_times_reads_names_ids_and_medians():
    assert scorecard.speed_times({"median_ms": {"keras": {"median": 1}, "TensorFlow": 2.0, "torch": 3}}) == {
        "Keras": 1.0, "TensorFlow": 2.0, "PyTorch": 3.0}


def test_recommender_follows_the_weights_and_is_deterministic(synthetic):
    card = scorecard.build_scorecard(*synthetic)
    assert recommender.recommend({"debugging": 1}, card)["leader"] == "PyTorch"
    assert recommender.recommend({"prototyping": 1}, card)["leader"] == "Keras"
    mixed = {"prototyping": 1, "debugging": 3, "popularity": 0.5}
    first = recommender.recommend(mixed, card)
    assert first == recommender.recommend(dict(reversed(list(mixed.items()))), card)
    assert [r["framework"] for r in first["ranking"]][0] == "PyTorch"
    for entry in first["ranking"]:  # every reason points at a scorecard row
        assert all(any(r["scenario"] in reason for r in card) for reason in entry["reasons"])
    assert "Recommendation: PyTorch" in recommender.recommendation_text(first)


def test_recommender_lists_what_it_could_not_count(tmp_path):
    card = scorecard.build_scorecard(tmp_path, tmp_path)
    out = recommender.recommend({"speed": 1}, card)
    assert out["leader"].startswith("cannot tell") and "speed" in out["not_counted"][0]
    assert NOT_MEASURED_02 in out["not_counted"][0]


def test_weight_where_leader_changes(synthetic):
    card = scorecard.build_scorecard(*synthetic)
    weight = recommender.weight_where_leader_changes({"prototyping": 1.0}, "debugging", card)
    assert weight is not None
    below = recommender.recommend({"prototyping": 1.0, "debugging": weight - 0.5}, card)["leader"]
    assert below == "Keras" != recommender.recommend({"prototyping": 1.0, "debugging": weight}, card)["leader"]


def test_exercise_checks_never_raise_and_catch_the_helpers_output(synthetic, capsys):
    card = scorecard.build_scorecard(*synthetic)
    for answer in (..., None, 3, "PyTorch", [1], {"a": 1}, object()):
        assert not recommender.scorecard_exercise(1, answer, card)
        recommender.scorecard_exercise(2, answer, card)
    assert recommender.scorecard_exercise(1, " Cannot Tell ", card)
    assert not recommender.scorecard_exercise(1, recommender.speed_record_verdict(recommender.EXERCISE_1), card)
    assert "predict it yourself" in capsys.readouterr().out.splitlines()[-1]
    helper_answer = recommender.weight_where_leader_changes(*recommender.EXERCISE_2, card)
    assert not recommender.scorecard_exercise(2, helper_answer, card)
    assert "computed that for you" in capsys.readouterr().out


def test_the_figure_and_tables_build(synthetic):
    card = scorecard.build_scorecard(*synthetic)
    fig = scorecard.scorecard_figure(card)
    assert fig.axes[0].get_xlabel() and fig.axes[0].get_ylabel()
    assert "](01_level_of_api.ipynb#Verdict)" in scorecard.scenario_markdown(card)
    assert "2019 pick" in scorecard.scenario_table(card)
    assert "holds" in scorecard.claim_check(card)
    assert recommender.recommender_widget(card) is not None


@pytest.mark.parametrize(("call", "error", "argument"), [
    (lambda c: scorecard.build_scorecard(results_folder=3), TypeError, "results_folder"),
    (lambda c: scorecard.build_scorecard(reference_folder=3), TypeError, "reference_folder"),
    (lambda c: scorecard.verdict_of("x"), TypeError, "scores"),
    (lambda c: scorecard.verdict_of({"Keras": 1.0}), ValueError, "scores"),
    (lambda c: scorecard.verdict_of({"Keras": 1, "TensorFlow": 1, "PyTorch": 1}, margin="x"), TypeError, "margin"),
    (lambda c: scorecard.verdict_of({"Keras": 1, "TensorFlow": 1, "PyTorch": 1}, margin=-1), ValueError, "margin"),
    (lambda c: scorecard.speed_times([]), TypeError, "key_results"),
    (lambda c: scorecard.speed_times({}), ValueError, "key_results"),
    (lambda c: scorecard.scenario_markdown("x"), TypeError, "card"),
    (lambda c: scorecard.scenario_table([]), ValueError, "card"),
    (lambda c: scorecard.provenance_table([1]), ValueError, "card"),
    (lambda c: scorecard.claim_check(None), TypeError, "card"),
    (lambda c: scorecard.scorecard_figure({}), TypeError, "card"),
    (lambda c: recommender.recommend([], c), TypeError, "weights"),
    (lambda c: recommender.recommend({"nope": 1}, c), ValueError, "weights"),
    (lambda c: recommender.recommend({"speed": -1}, c), ValueError, "weights"),
    (lambda c: recommender.recommend({"speed": "1"}, c), TypeError, "weights"),
    (lambda c: recommender.recommend({"speed": 0}, c), ValueError, "weights"),
    (lambda c: recommender.recommend({"speed": 1}, "card"), TypeError, "card"),
    (lambda c: recommender.recommendation_text("x"), TypeError, "recommendation"),
    (lambda c: recommender.recommendation_text({}), ValueError, "recommendation"),
    (lambda c: recommender.recommender_widget(None), TypeError, "card"),
    (lambda c: recommender.weight_where_leader_changes({"speed": 1}, "nope", c), ValueError, "priority"),
    (lambda c: recommender.weight_where_leader_changes(3, "speed", c), TypeError, "base"),
    (lambda c: recommender.speed_record_verdict(3), TypeError, "ms_per_step"),
    (lambda c: recommender.scorecard_exercise(3, 1, c), ValueError, "number"),
    (lambda c: recommender.scorecard_exercise(1, 1, "card"), TypeError, "card"),
])
def test_bad_arguments_name_the_argument(synthetic, call, error, argument):
    card = scorecard.build_scorecard(*synthetic)
    with pytest.raises(error, match=argument):
        call(card)


def test_speed_from_a_list_of_configurations_and_a_contended_run(tmp_path):
    configurations = [{"framework": "torch", "median_ms": 0.4}, {"framework": "torch", "median_ms": 0.25},
                      {"framework": "tensorflow", "median_ms": 0.35}, {"framework": "keras", "median_ms": 0.4},
                      {"framework": "jax", "median_ms": 0.1}, "junk"]
    assert scorecard.speed_times({"configurations": configurations}) == {"Keras": 0.4, "TensorFlow": 0.35,
                                                                         "PyTorch": 0.25}
    results.record("02_speed", {"configurations": configurations}, folder=tmp_path)
    assert _rows(scorecard.build_scorecard(tmp_path, tmp_path))["high performance"]["verdict"] == "PyTorch"
    results.record("02_speed", {"configurations": configurations, "contended": True}, folder=tmp_path)
    row = _rows(scorecard.build_scorecard(tmp_path, tmp_path))["high performance"]
    assert row["verdict"] == scorecard.CONTENDED and "contended" in row["evidence"]
    card = scorecard.build_scorecard(tmp_path, tmp_path)
    assert "contended" in recommender.recommend({"speed": 1, "debugging": 1}, card)["not_counted"][0]
    assert "high performance (2019: TensorFlow): " + scorecard.CONTENDED in scorecard.claim_check(
        scorecard.build_scorecard(tmp_path, tmp_path))
