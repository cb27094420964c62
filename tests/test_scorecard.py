"""utils.scorecard and utils.recommender: the recorded verdicts read as they are, fallbacks, the recommender."""

import json
from pathlib import Path

import pytest

from utils import recommender, results, scenarios, scorecard
from utils.scorecard import IN_PART, MEASURED, NOT_MEASURED, SOURCE_NOTE

THREE = ("Keras", "TensorFlow", "PyTorch")
REFERENCES = Path(__file__).resolve().parents[1] / "data" / "reference_results"


def _synthetic(folder, speed=None):
    """Write one synthetic results file per measuring notebook into `folder`, each with its verdicts."""
    counts = scenarios.counts_scenario
    results.record("01_level_of_api", {"verdicts": {"rapid prototyping": counts(
        {"Keras": 10, "TensorFlow": 20, "PyTorch": 20}, "lines")}}, folder=folder)
    results.record("03_architecture", {"verdicts": {
        "flexibility": counts({"Keras": 100, "TensorFlow": 300, "PyTorch": 200}, "tokens"),
        "multiple back ends": counts({"Keras": 3, "TensorFlow": 1, "PyTorch": 1}, "engines", lower_is_better=False)}},
        folder=folder)
    results.record("04_debugging", {"verdicts": {"debugging": scenarios.items_scenario(
        {"Keras": [1, 1, 2, 0, 1], "TensorFlow": [2, 1, 2, 1, 1], "PyTorch": [4, 3, 4, 4, 3]}, "score", scale=4)}},
        folder=folder)
    same = {n: [1.0, 1.02, 0.98, 1.01] for n in THREE}
    results.record("05_datasets", {"verdicts": {
        "small datasets": scenarios.repeats_scenario(same, "seconds", rounds={n: [0, 1, 2, 3] for n in THREE}),
        "large datasets": scenarios.repeats_scenario(same, "seconds", rounds={n: [0, 1, 2, 3] for n in THREE})}},
        folder=folder)
    results.record("08_deployment", {"verdicts": {
        "functionality": counts({"Keras": 3, "TensorFlow": 3, "PyTorch": 2}, "formats", lower_is_better=False),
        "deployment (mobile, browser)": {"verdict": "Keras and TensorFlow (mobile)", "leaders": ["Keras", "TensorFlow"],
                                         "decided": True, "scores": {"Keras": 1.0, "TensorFlow": 1.0},
                                         "evidence": "LiteRT ran", "rule": "ran", "comparisons": [],
                                         "from_sources": "PyTorch on mobile, and the browser"}}}, folder=folder)
    if speed is not None:
        rounds = {n: list(range(len(v))) for n, v in speed.items()}
        scenario = scenarios.repeats_scenario(speed, "ms", rounds=rounds)
        results.record("02_speed", {"verdicts": {"high performance": scenario, "short training duration": scenario}},
                       folder=folder)


def _rows(card):
    return {r["scenario"]: r for r in card}


SPEED = {"Keras": [2.0, 2.1, 1.9, 2.0, 2.05], "TensorFlow": [1.0, 1.1, 0.95, 1.0, 1.02],
         "PyTorch": [1.05, 1.3, 0.8, 1.2, 0.9]}


@pytest.fixture
def synthetic(tmp_path):
    own, reference = tmp_path / "own", tmp_path / "reference"
    _synthetic(own, speed=SPEED)
    reference.mkdir()
    return own, reference


def test_the_rows_are_the_recorded_verdicts_never_re_judged(synthetic):
    rows = _rows(scorecard.build_scorecard(*synthetic))
    assert rows["rapid prototyping"]["verdict"] == "Keras" and rows["rapid prototyping"]["decided"]
    assert rows["flexibility"]["verdict"] == "Keras"
    assert rows["multiple back ends"]["verdict"] == "Keras"
    assert rows["debugging"]["verdict"] == "PyTorch"
    assert rows["small datasets"]["verdict"] == rows["large datasets"]["verdict"] == "all three"
    assert rows["high performance"]["verdict"].startswith("cannot tell: TensorFlow or PyTorch")
    assert not rows["high performance"]["decided"]
    assert rows["functionality"]["verdict"] == "Keras and TensorFlow" and rows["functionality"]["kind"] == MEASURED
    assert all(r["source"] == "own" for r in rows.values() if r["kind"] == MEASURED)
    detection = rows["object detection"]
    assert detection["kind"] == SOURCE_NOTE and detection["verdict"] == f"PyTorch ({SOURCE_NOTE})"
    assert detection["link"] is None and detection["sourced"] == list(THREE)
    deployment = rows["deployment (mobile, browser)"]
    assert deployment["kind"] == IN_PART and deployment["sourced"] == ["PyTorch"]
    assert deployment["scores"]["PyTorch"] == scorecard.READINGS["deployment (mobile, browser)"][0]["PyTorch"]
    assert "from sources" in deployment["evidence"] and "the browser" in deployment["evidence"]
    assert rows["debugging"]["link"] == "notebooks/04_debugging.ipynb#Verdict"


def test_the_committed_references_give_rows_equal_to_their_recorded_verdicts():
    card = scorecard.build_scorecard(references_only=True)
    for row in card:
        if row["notebook"] is None:
            continue
        recorded = json.loads((REFERENCES / f"{row['notebook']}.json").read_text())["results"]["verdicts"]
        assert row["verdict"] == recorded[row["scenario"]]["verdict"], row["scenario"]
        assert row["source"] == "reference" and "references only" in row["reason"]


def test_references_only_ignores_the_learners_files(synthetic, monkeypatch):
    own, _ = synthetic
    monkeypatch.delenv(scorecard.REFERENCES_ONLY, raising=False)
    monkeypatch.setattr(results, "RESULTS_DIR", own)
    assert _rows(scorecard.build_scorecard())["debugging"]["source"] == "own"
    monkeypatch.setenv(scorecard.REFERENCES_ONLY, "1")
    assert _rows(scorecard.build_scorecard())["debugging"]["source"] == "reference"
    assert _rows(scorecard.build_scorecard(own))["debugging"]["source"] == "own", "an explicit folder is read"


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


def test_no_file_or_no_recorded_verdict_is_a_stated_not_measured_never_a_crash(tmp_path):
    (tmp_path / "own").mkdir()
    (tmp_path / "ref").mkdir()
    results.record("02_speed", {"ms_per_step": {"Keras": 1.0}}, folder=tmp_path / "own")  # an older file
    results.record("03_architecture", {"verdicts": {"flexibility": {"verdict": "Keras"}}}, folder=tmp_path / "own")
    rows = _rows(scorecard.build_scorecard(tmp_path / "own", tmp_path / "ref"))
    assert rows["rapid prototyping"]["scores"] is None and rows["rapid prototyping"]["kind"] == NOT_MEASURED
    assert rows["rapid prototyping"]["verdict"] == "not measured: run notebook 01"
    assert "no verdict recorded for 'high performance'" in rows["high performance"]["reason"]
    assert "run notebook 02 again" in rows["high performance"]["reason"]
    assert "lacks" in rows["flexibility"]["reason"] and rows["flexibility"]["source"] == "own"
    assert "02" in scorecard.provenance_table(list(rows.values()))
    assert "high performance (2019: TensorFlow): not measured: run notebook 02" in scorecard.claim_check(
        list(rows.values()))


def test_claim_check_words_holds_in_part_and_cannot_tell_from_the_recorded_leaders(synthetic):
    lines = scorecard.claim_check(scorecard.build_scorecard(*synthetic)).splitlines()
    by_scenario = {line.split(" (2019")[0]: line for line in lines}
    assert by_scenario["rapid prototyping"].endswith(": holds")
    assert "holds in part: TensorFlow shares the lead (Keras and TensorFlow)" in by_scenario["functionality"]
    assert "cannot tell (TensorFlow or PyTorch)" in by_scenario["high performance"]
    assert "does not hold: Keras leads" in by_scenario["flexibility"]
    assert by_scenario["object detection"].endswith(f"does not hold: PyTorch leads [{SOURCE_NOTE}]")
    assert by_scenario["deployment (mobile, browser)"].endswith(f"[{IN_PART}]")
    outcomes = scorecard.claim_outcomes(scorecard.build_scorecard(*synthetic))
    assert len(outcomes) == 10 and outcomes["functionality"] == "holds in part" and "popularity" not in outcomes
    assert outcomes["high performance"] == "cannot tell" and outcomes["debugging"] == "holds"


def test_a_02_record_from_another_machine_changes_the_speed_verdict(tmp_path):
    before = _rows(scorecard.build_scorecard(tmp_path, tmp_path))["high performance"]["verdict"]
    _synthetic(tmp_path, speed={"Keras": [0.5, 0.52, 0.49], "TensorFlow": [1.0, 1.1, 0.9], "PyTorch": [0.9, 1, 0.8]})
    after = _rows(scorecard.build_scorecard(tmp_path, tmp_path))
    assert before == "not measured: run notebook 02" and after["high performance"]["verdict"] == "Keras"
    assert recommender.speed_record_verdict({"Keras": [3, 3.1, 2.9], "TensorFlow": [2, 2.1, 1.9],
                                             "PyTorch": [1, 1.05, 0.95]}) == "PyTorch"


def test_recommender_follows_the_weights_counts_decided_rows_only_and_is_deterministic(synthetic):
    card = scorecard.build_scorecard(*synthetic)
    assert recommender.recommend({"debugging": 1}, card)["leader"] == "PyTorch"
    assert recommender.recommend({"prototyping": 1}, card)["leader"] == "Keras"
    speed = recommender.recommend({"speed": 1}, card)
    assert speed["leader"].startswith("cannot tell") and "high performance: cannot tell" in speed["not_counted"][0]
    mixed = {"prototyping": 1, "debugging": 3, "popularity": 0.5}
    first = recommender.recommend(mixed, card)
    assert first == recommender.recommend(dict(reversed(list(mixed.items()))), card)
    assert [r["framework"] for r in first["ranking"]][0] == "PyTorch"
    for entry in first["ranking"]:  # every reason points at a scorecard row
        assert all(any(r["scenario"] in reason for r in card) for reason in entry["reasons"])
    assert "Recommendation: PyTorch" in recommender.recommendation_text(first)
    summary = recommender.summary_text(first)
    assert summary.startswith("Recommendation: PyTorch   totals: PyTorch") and "debugging (weight 3)" in summary
    assert len(summary.splitlines()) <= 2 + len(mixed)
    ship = recommender.recommend({"deployment": 1}, card)
    assert "[sources]" in " ".join(next(e for e in ship["ranking"] if e["framework"] == "PyTorch")["reasons"])


def test_weight_where_leader_changes(synthetic):
    card = scorecard.build_scorecard(*synthetic)
    weight = recommender.weight_where_leader_changes({"prototyping": 1.0}, "debugging", card)
    assert weight is not None
    below = recommender.recommend({"prototyping": 1.0, "debugging": weight - 0.5}, card)["leader"]
    assert below == "Keras" != recommender.recommend({"prototyping": 1.0, "debugging": weight}, card)["leader"]


def test_exercise_checks_never_raise_and_catch_the_helpers_output(synthetic, capsys):
    card = scorecard.build_scorecard(*synthetic)
    for answer in (..., None, 3, "PyTorch", [1], {"a": 1}, object(), "cannot tell"):
        assert not recommender.scorecard_exercise(1, answer, card)
        assert "TensorFlow and PyTorch." not in capsys.readouterr().out  # explained, never answered
        recommender.scorecard_exercise(2, answer, card)
    assert recommender.scorecard_exercise(1, " tensorflow AND pytorch ", card)
    helper_answer = recommender.weight_where_leader_changes(*recommender.EXERCISE_2, card)
    assert not recommender.scorecard_exercise(2, helper_answer, card)
    assert "computed that for you" in capsys.readouterr().out


def test_the_figure_and_tables_build_and_the_figure_colours_only_decided_measured_cells(synthetic):
    card = scorecard.build_scorecard(*synthetic)
    fig = scorecard.scorecard_figure(card)
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel()
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("not measured") == 3 * sum(r["scores"] is None for r in card)
    assert sum(t.endswith("cannot tell") for t in texts) == 3 * 2  # the two speed rows
    assert sum(t.endswith("source") for t in texts) == 3 + 1  # object detection, PyTorch's deployment
    assert "](01_level_of_api.ipynb#Verdict)" in scorecard.scenario_markdown(card)
    assert "2019 pick" in scorecard.scenario_table(card) and "0.75*" in scorecard.scenario_table(card)
    assert recommender.recommender_widget(card) is not None
    assert recommender.totals_figure(recommender.recommend({"debugging": 1}, card)).axes


@pytest.mark.parametrize(("call", "error", "argument"), [
    (lambda c: scorecard.build_scorecard(results_folder=3), TypeError, "results_folder"),
    (lambda c: scorecard.build_scorecard(reference_folder=3), TypeError, "reference_folder"),
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
    (lambda c: recommender.summary_text({"leader": "x"}), ValueError, "recommendation"),
    (lambda c: recommender.recommender_widget(None), TypeError, "card"),
    (lambda c: recommender.weight_where_leader_changes({"speed": 1}, "nope", c), ValueError, "priority"),
    (lambda c: recommender.weight_where_leader_changes(3, "speed", c), TypeError, "base"),
    (lambda c: recommender.speed_record_verdict(3), TypeError, "step_ms"),
    (lambda c: recommender.scorecard_exercise(3, 1, c), ValueError, "number"),
    (lambda c: recommender.scorecard_exercise(1, 1, "card"), TypeError, "card"),
])
def test_bad_arguments_name_the_argument(synthetic, call, error, argument):
    card = scorecard.build_scorecard(*synthetic)
    with pytest.raises(error, match=argument):
        call(card)
