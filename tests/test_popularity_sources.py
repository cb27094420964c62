"""utils.popularity_sources: primary or secondary, the survey editions looked for, the counts notebook 06 prints."""

import pytest

from utils import popularity as pop
from utils import popularity_sources as ps

ROW = {"metric": "survey_python_developers", "framework": "keras", "value": "20", "unit": "% of respondents",
       "date": "2021", "source_title": "Python Developers Survey 2021",
       "source_url": "https://lp.jetbrains.com/python-developers-survey-2021/", "retrieved": "2026-12-07",
       "note": "read on the publisher's page"}


def _editions(*years, **change):
    rows = [dict(ROW, framework=fid, date=str(year), **change) for year in years
            for fid in ("keras", "tensorflow", "torch")]
    return pop.validate_rows(rows)


def test_survey_rows_say_where_each_edition_was_read():
    figures = _editions(2021) + _editions(2022, note="Secondary report: a news article quoting it",
                                          source_url="https://news.example.org/survey")
    rows = {(r["survey"], r["year"]): r for r in ps.survey_rows(figures)}
    name = "Python Developers Survey (PSF and JetBrains)"
    assert rows[(name, 2021)]["read from"] == "publisher" and rows[(name, 2021)]["Keras"] == "20"
    assert rows[(name, 2022)]["read from"] == "secondary report"
    assert rows[(name, 2023)]["read from"] == "not read" and rows[(name, 2023)]["PyTorch"] == "-"
    assert len(rows) == sum(len(s.editions) for s in ps.SURVEYS)
    text = ps.not_read_text(figures)
    assert f"{name}: 2019-2020, 2022-2024 (2022 from a secondary report only)" in text
    assert "Stack Overflow Developer Survey: 2019-2025;" in text


def test_when_every_edition_is_read_the_text_says_so(monkeypatch):
    monkeypatch.setattr(ps, "SURVEYS", (ps.Survey("Python Developers Survey (PSF and JetBrains)",
                                                  "survey_python_developers", "respondents", (2021,)),))
    assert ps.not_read_text(_editions(2021)) == "Every survey edition looked for was read from its publisher."


def test_counts_add_up_on_the_committed_data():
    figures = pop.load_figures()
    c = ps.counts(figures)
    assert c["primary figures"] + c["secondary figures"] == c["figures"] == len(figures)
    assert c["current measures"] + c["history measures"] == c["measures"]
    assert c["survey editions looked for"] >= (c["survey editions read from the publisher"]
                                               + c["survey editions read from a secondary report"])
    text = ps.counts_text(figures)
    assert f"{c['figures']} figures of {c['measures']} measures" in text and text.count("\n") == 1


def test_each_survey_page_is_on_its_publishers_site():
    so, jetbrains, kaggle = ps.SURVEYS
    assert so.page(2021) == "https://insights.stackoverflow.com/survey/2021"
    assert so.page(2024) == "https://survey.stackoverflow.co/2024"
    assert jetbrains.page(2023) == "https://lp.jetbrains.com/python-developers-survey-2023/"
    assert kaggle.page(2022) == "https://www.kaggle.com/kaggle-survey-2022"
    for survey in (so, jetbrains):
        host = survey.page(survey.editions[-1]).split("/")[2]
        assert host in ps.PRIMARY_HOSTS[survey.metric]
    with pytest.raises(TypeError, match="year"):
        so.page("2024")
    with pytest.raises(ValueError, match="year"):
        so.page(24)


def test_every_measure_has_its_publishers():
    assert set(ps.PRIMARY_HOSTS) == set(pop.METRICS)
    assert all(s.metric is None or s.metric in pop.METRICS for s in ps.SURVEYS)
