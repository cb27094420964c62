"""utils.popularity: the committed CSV loads; each kind of bad row is rejected with its line and field."""

import csv
import io

import pytest

from utils import popularity as pop

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
    assert pop.claim_holds([["keras"], ["tensorflow"], ["torch"]]) == "yes"
    assert pop.claim_holds([["tensorflow"], ["keras"], ["torch"]]) == "no"
    assert pop.claim_holds([["keras", "tensorflow"], ["torch"]]) == "cannot tell"
    assert pop.claim_holds([["torch"], ["tensorflow"]]) == "no"
    assert pop.claim_holds([["tensorflow"], ["torch"]]) == "cannot tell"
    assert pop.claim_holds([["torch"]]) == "not measured"
    assert pop.describe([["tensorflow"], ["torch", "keras"]]) == "TensorFlow > PyTorch = Keras"


def test_helpers_reject_bad_arguments():
    figures = pop.load_figures()
    with pytest.raises(ValueError, match="metric"):
        pop.series(figures, "tweets")
    with pytest.raises(ValueError, match="period"):
        pop.snapshot(figures, "github_stars", "2010")
    with pytest.raises(TypeError, match="values"):
        pop.ranking([1, 2])
    with pytest.raises(ValueError, match="tie"):
        pop.ranking({"keras": 1}, tie=2)
    with pytest.raises(ValueError, match="key"):
        pop.ranking({"mxnet": 1})
    with pytest.raises(ValueError, match="weights"):
        pop.weighted_ranking({"github_stars": {"keras": 1.0}}, {"github_stars": -1})


def test_snapshot_verdict_sources_and_weights():
    figures = pop.load_figures()
    when, values = pop.snapshot(figures, "github_stars", "2019")
    assert when.startswith("2019") and set(values) >= {"keras", "tensorflow", "torch"}
    verdict = pop.popularity_verdict(figures)
    assert [row["measure"] for row in verdict] == [m.label for m in pop.METRICS.values()]
    assert {f.source_url for f in figures} == {url for _, url in pop.sources(figures)}
    table = {"a": {"keras": 1.0, "tensorflow": 0.5, "torch": 0.2}, "b": {"keras": 0.1, "tensorflow": 1.0, "torch": 0.3}}
    assert pop.weighted_ranking(table, {"a": 1}) == ["keras", "tensorflow", "torch"]
    assert pop.weighted_ranking(table, {"b": 1}) == ["tensorflow", "torch", "keras"]
    assert pop.can_be_first(table) == ["keras", "tensorflow"]


def test_plots_and_summaries(monkeypatch):
    from utils import popularity_plots as pp

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
