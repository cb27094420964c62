"""utils.bench.claims: every 2019 speed claim judged on every case of a record, by rule."""

import pytest
from test_bench import fake_record

from utils.bench import claims
from utils.bench.verdict import Verdict


def _v(word):
    return Verdict("a", "b", word, None, word)


@pytest.mark.parametrize("words, expected", [
    (["slower", "slower"], "holds"),
    (["slower", "faster"], "holds in part"),
    (["slower", "cannot tell"], "holds in part"),
    (["faster", "about as fast"], "does not hold"),
    (["faster", "cannot tell"], "does not hold"),
    (["cannot tell", "cannot tell"], "cannot tell"),
])
def test_a_claim_holds_only_when_every_comparison_supports_it(words, expected):
    assert claims.outcome([(_v(w), "slower") for w in words]) == expected


def test_every_claim_on_every_case_with_the_comparisons_the_rule_picks():
    record = fake_record({"keras-tf": (2e-3, 0.01), "keras-jax": (0.5e-3, 0.01), "keras-torch": (3e-3, 0.01),
                          "tf-function": (1e-3, 0.01), "tf-eager": (4e-3, 0.01), "torch-eager": (0.8e-3, 0.01),
                          "torch-compile": "failed"})
    rows = {r["claim"]: r for r in claims.judge_claims(record)}
    keras = rows[claims.KERAS_SLOWER]
    assert keras["outcome"] == "holds in part" and (keras["workload"], keras["batch"]) == ("mlp", 32)
    assert [t.split(", ratio")[0] for t in keras["evidence"]] == [
        "Keras/TF vs tf.function: slower", "Keras/torch vs PyTorch eager: slower",
        "Keras/JAX vs PyTorch eager: faster"]  # each twin, then the fastest Keras against the fastest native
    assert rows[claims.TF_PYTORCH_EQUAL]["outcome"] == "does not hold"
    assert rows[claims.PYTORCH_SHORT]["outcome"] == "holds in part"
    text = claims.claims_table(record)
    assert "Keras is slower (mlp, batch 32): holds in part\n    Keras/TF vs tf.function: slower, ratio 2.00" in text
    assert "    " not in claims.claims_table(record, evidence=False)


def test_a_contended_run_cannot_tell_and_a_missing_framework_is_not_measured():
    busy = fake_record({"keras-tf": (2e-3, 0.01), "tf-function": (1e-3, 0.01), "torch-eager": (0.8e-3, 0.01)},
                       contended_rounds=(0, 1, 2))
    assert {r["outcome"] for r in claims.judge_claims(busy)} == {"cannot tell"}
    no_torch = {r["claim"]: r for r in claims.judge_claims(fake_record())}
    assert no_torch[claims.TF_PYTORCH_EQUAL]["evidence"] == ["not measured in this run"]
    assert no_torch[claims.KERAS_SLOWER]["outcome"] == "holds"


def test_the_evidence_is_one_short_line_per_comparison():
    busy = fake_record({"keras-tf": (2e-3, 0.01), "torch-eager": (0.8e-3, 0.01)}, contended_rounds=(1, 2, 3))
    row = next(r for r in claims.judge_claims(busy) if r["claim"] == claims.KERAS_SLOWER)
    assert row["evidence"] == ["Keras/TF vs PyTorch eager: cannot tell (fewer than 3 rounds free of other programs)"]
    quiet = next(r for r in claims.judge_claims(fake_record()) if r["claim"] == claims.KERAS_SLOWER)
    assert quiet["evidence"][0] == "Keras/TF vs tf.function: slower, ratio 2.00 (2.00-2.00, 5 paired rounds)"
