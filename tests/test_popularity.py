"""utils.popularity: the committed CSV loads; each kind of bad row is rejected with its line and field."""

import csv
import io
import json

import pytest

from utils import popularity as pop
from utils import popularity_plots as pp
from utils import scenarios, verdicts

GOOD = {"metric": "github_stars", "framework": "keras", "value": "10", "unit": "stars", "date": "2019-08-15",
        "source_title": "A list", "source_url": "https://example.org/list", "retrieved": "2026-11-23",
        "note": "read at the source"}


def rows(*changes):
    out = []
    for i, change in enumerate(changes):
        row = dict(GOOD, date=f"20{10 + i}-01-01")
        row.update(change)
        out.append(row)
    return out


def test_committed_csv_loads_with_enough_measures_and_dates():
    figures = pop.load_figures()
    assert figures
    series_measures = [m for m in pop.METRICS if len({f.date for f in figures if f.metric == m}) >= 2]
    assert len(series_measures) >= 5
    assert all(f.source_url.startswith("https://") and f.retrieved for f in figures)


def test_a_good_row_becomes_a_figure():
    (figure,) = pop.validate_rows(rows({}))
    assert figure.value == 10.0 and figure.precision == "day" and figure.when == "2010-01-01"


@pytest.mark.parametrize(("change", "field"), [
    ({"source_url": ""}, "source_url"),
    ({"source_title": " "}, "source_title"),
    ({"date": "15/08/2019"}, "date"),
    ({"date": "2019-13"}, "date"),
    ({"retrieved": "yesterday"}, "retrieved"),
    ({"value": "190K"}, "value"),
    ({"value": "nan"}, "value"),
    ({"framework": "mxnet"}, "framework"),
    ({"metric": "tweets"}, "metric"),
    ({"source_url": "example.org"}, "source_url"),
])
def test_each_kind_of_bad_row_is_rejected_naming_line_and_field(change, field):
    with pytest.raises(pop.PopularityDataError, match=rf"line 3, field '{field}'"):
        pop.validate_rows(rows({}, change))


def test_a_duplicate_row_is_rejected():
    with pytest.raises(pop.PopularityDataError, match=r"line 3, field 'date': duplicate of line 2"):
        pop.validate_rows([GOOD, dict(GOOD)])


def test_load_reads_a_file_and_rejects_a_missing_column(tmp_path):
    path = tmp_path / "p.csv"
    text = io.StringIO()
    writer = csv.DictWriter(text, pop.FIELDS)
    writer.writeheader()
    writer.writerow(GOOD)
    path.write_text(text.getvalue())
    assert len(pop.load_figures(path)) == 1
    path.write_text("metric,framework\ngithub_stars,keras\n")
    with pytest.raises(pop.PopularityDataError, match="line 1"):
        pop.load_figures(path)


def test_parse_date_precisions_and_errors():
    assert pop.parse_date("2019")[1] == "year" and pop.parse_date("2019-11")[1] == "month"
    with pytest.raises(ValueError, match="text"):
        pop.parse_date("2019-02-30")
    with pytest.raises(TypeError, match="text"):
        pop.parse_date(2019)


def test_ranking_ties_and_claim():
    assert pop.ranking({"keras": 50, "tensorflow": 49, "torch": 10}) == [["keras", "tensorflow"], ["torch"]]
    assert pop.ranking({"keras": 0, "torch": 3}) == [["torch"], ["keras"]]
    assert pop.claim_holds([["keras"], ["tensorflow"], ["torch"]]) == "yes"
    assert pop.claim_holds([["tensorflow"], ["keras"], ["torch"]]) == "no"
    assert pop.claim_holds([["keras", "tensorflow"], ["torch"]]) == "cannot tell"
    assert pop.claim_holds([["torch"], ["tensorflow"]]) == "no"
    assert pop.claim_holds([["tensorflow"], ["torch"]]) == "cannot tell"
    assert pop.claim_holds([["torch"]]) == "not measured"
    assert pop.describe([["tensorflow"], ["torch", "keras"]]) == "TensorFlow > PyTorch ≈ Keras"


@pytest.mark.parametrize("values", [{"keras": 50, "tensorflow": 45, "torch": 10, "jax": 36},
                                    {"keras": 10, "tensorflow": 12, "torch": 14.4, "jax": 30}])
def test_ranking_is_the_judges_tiers_and_agrees_with_its_pairwise_words(values):
    """No threshold of its own: the places are verdicts.tiers, largest first, and never contradict judge."""
    places = pop.ranking(values)
    assert places == [tier[::-1] for tier in verdicts.tiers(values)[::-1]]
    assert not hasattr(pop, "TIE")
    place = {fid: i for i, p in enumerate(places) for fid in p}
    for a in values:
        for b in values:
            if place[a] < place[b]:
                assert verdicts.judge(values, a, b).word == "larger"


def _figure(metric, fid, value, date):
    return dict(GOOD, metric=metric, framework=fid, value=str(value), date=date)


def test_today_is_dated_from_the_data_and_old_measures_are_history():
    figures = pop.validate_rows([
        _figure("github_stars", "keras", 10, "2026-07-14"), _figure("github_stars", "tensorflow", 20, "2026-07-14"),
        _figure("github_stars", "torch", 5, "2026-07-14"),
        _figure("github_forks", "keras", 1, "2024-07-14"), _figure("github_forks", "tensorflow", 2, "2024-07-14"),
        _figure("github_forks", "torch", 4, "2024-07-14"),
        _figure("survey_python_developers", "keras", 90, "2024-07"),  # first day 2024-07-01: over two years
        _figure("survey_python_developers", "tensorflow", 1, "2024-07"),
        _figure("survey_python_developers", "torch", 1, "2024-07")])
    assert pop.as_of(figures).isoformat() == "2026-07-14" and pop.history_before(figures).isoformat() == "2024-07-14"
    assert pop.current_measures(figures) == ["github_stars", "github_forks"]
    assert set(pop.scores(figures)) == {"github_stars", "github_forks"}  # the old survey does not count today
    assert set(pop.scores(figures, measures=list(pop.METRICS))) == {"github_stars", "github_forks",
                                                                     "survey_python_developers"}
    rows = {r["measure"]: r for r in pp.today_rows(figures)}
    assert rows["Python Developers Survey"]["counted"] == "history (before 2024-07-14)"
    assert rows["GitHub forks"]["counted"] == "today" and rows["GitHub forks"]["latest"] == "2024-07-14"
    assert [r["latest counts"] for r in pp.claim_table(figures)][:2] == ["today", "today"]


def test_the_committed_data_leaves_the_2019_and_2022_surveys_out_of_today():
    figures = pop.load_figures()
    current = pop.current_measures(figures)
    assert "survey_python_developers" not in current and "survey_stackoverflow_professional" not in current
    assert {"github_stars", "pypi_downloads_month"} <= set(current)
    assert set(pop.scores(figures)) <= set(current)


def test_popularity_scenario_is_the_judges_items_scenario_over_the_current_measures():
    figures = pop.load_figures()
    table = pop.scores(figures)
    verdict = pop.popularity_scenario(figures)
    expected = scenarios.items_scenario(
        {"Keras": [table[m]["keras"] for m in table], "TensorFlow": [table[m]["tensorflow"] for m in table],
         "PyTorch": [table[m]["torch"] for m in table]},
        what=f"share of the leader over {len(table)} current measures", scale=1)
    assert verdict == expected
    assert f"over {len(table)} current measures" in verdict["evidence"]
    key = pop.recorded_results(figures, verdict)
    assert key["as_of"] == pop.as_of(figures).isoformat() and set(key["shares"]) == set(table)
    assert key["claim_2019_keras_first"] == pop.claim_today(verdict)
    assert verdict["verdict"] in pp.claim_sentence(verdict)
    json.dumps({"verdicts": {"popularity": verdict}, **key})  # recordable


@pytest.mark.parametrize(("verdict", "word"), [
    ({"verdict": "Keras", "leaders": ["Keras"], "decided": True}, "holds"),
    ({"verdict": "Keras and PyTorch", "leaders": ["Keras", "PyTorch"], "decided": True}, "shared"),
    ({"verdict": "PyTorch", "leaders": ["PyTorch"], "decided": True}, "does not hold"),
    ({"verdict": "cannot tell: Keras or PyTorch", "leaders": ["PyTorch"], "contenders": ["Keras", "PyTorch"],
      "decided": False}, "cannot tell"),
    ({"verdict": "cannot tell: TensorFlow or PyTorch", "leaders": ["PyTorch"], "contenders": ["TensorFlow", "PyTorch"],
      "decided": False}, "does not hold"),
    ({"verdict": "cannot tell: Keras or PyTorch", "leaders": ["Keras"], "decided": False}, "cannot tell"),
])
def test_claim_today_reads_the_judges_verdict(verdict, word):
    assert pop.claim_today(verdict) == word
    full = dict(verdict, scores={"Keras": 0.4, "TensorFlow": 0.9, "PyTorch": 1.0},
                comparisons=["PyTorch leads (PyTorch - Keras = +0.6)", "PyTorch vs TensorFlow: cannot tell"])
    sentence = pp.claim_sentence(full)
    assert ("does not hold" in sentence) == (word == "does not hold")
    assert ("judge cannot tell" in sentence) == (word == "cannot tell")
    assert ("holds today" in sentence) == (word == "holds")


def test_helpers_reject_bad_arguments():
    figures = pop.load_figures()
    with pytest.raises(ValueError, match="metric"):
        pop.series(figures, "tweets")
    with pytest.raises(ValueError, match="period"):
        pop.snapshot(figures, "github_stars", "2010")
    with pytest.raises(TypeError, match="values"):
        pop.ranking([1, 2])
    with pytest.raises(ValueError, match="key"):
        pop.ranking({"mxnet": 1})
    with pytest.raises(ValueError, match="weights"):
        pop.weighted_ranking({"github_stars": {"keras": 1.0}}, {"github_stars": -1})


def test_snapshot_verdict_sources_and_weights():
    figures = pop.load_figures()
    when, values = pop.snapshot(figures, "github_stars", "2019")
    assert when.startswith("2019") and set(values) >= {"keras", "tensorflow", "torch"}
    verdict = pp.claim_table(figures)
    assert [row["measure"] for row in verdict] == [m.label for m in pop.METRICS.values()]
    assert {f.source_url for f in figures} == {url for _, url in pop.sources(figures)}
    table = {"a": {"keras": 1.0, "tensorflow": 0.5, "torch": 0.2}, "b": {"keras": 0.1, "tensorflow": 1.0, "torch": 0.3}}
    assert pop.weighted_ranking(table, {"a": 1}) == ["keras", "tensorflow", "torch"]
    assert pop.weighted_ranking(table, {"b": 1}) == ["tensorflow", "torch", "keras"]
    assert pop.can_be_first(table) == ["keras", "tensorflow"]


def test_plots_and_summaries(monkeypatch):
    shown = []
    monkeypatch.setattr(pp, "display", shown.append)
    figures = pop.load_figures()
    for metric in pop.METRICS:
        assert pop.METRICS[metric].label in pp.measure_summary(figures, metric)
        pp.show(figures, metric)
    pp.chart_pair(figures)
    assert len(shown) == 2 * len(pop.METRICS) + 1
    assert "GitHub stars" in pp.overview(figures)
    assert pp.sources_markdown(figures).count("- [") == len(pop.sources(figures))
    with pytest.raises(ValueError, match="metric"):
        pp.plot_measure(figures, "tweets")


def test_check_exercise_never_raises_for_an_answer(capsys):
    for number, answer in ((1, ...), (1, pop.weighted_ranking), (2, "torch"), (2, ["keras"]), (3, "A"), (3, 4)):
        assert not pop.check_exercise(number, answer)
    assert pop.check_exercise(3, pop.MISLEADING_CHART)
    assert capsys.readouterr().out.count("Exercise") == 7
    with pytest.raises(ValueError, match="number"):
        pop.check_exercise(4, "A")
