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


def test_steps_per_execution_is_judged_against_keras_without_it_and_never_counted_in_the_claims():
    """Keras's fix for per-step overhead is a tuning, not a default: apart from the claims, by the same judge."""
    record = fake_record({"keras-tf": (2e-3, 0.01), "keras-tf-spe": (0.3e-3, 0.01), "tf-function": (1e-3, 0.01),
                          "keras-jax-spe": (0.2e-3, 0.01), "torch-eager": (0.8e-3, 0.01)})
    rows = {r["claim"]: r for r in claims.judge_claims(record)}
    assert not any("spe=" in text for row in rows.values() for text in row["evidence"])
    assert rows[claims.KERAS_SLOWER]["outcome"] == "holds", "Keras/TF is the fastest Keras as users get it"
    judged = claims.fix_verdicts(record, "mlp", 32)
    assert [(v.a, v.b, v.word) for v in judged] == [("keras-tf-spe", "keras-tf", "faster"),
                                                    ("keras-tf-spe", "tf-function", "faster")]
    text = claims.fix_table(record, "mlp", 32)
    assert text.splitlines()[0].startswith("Keras/TF spe=16 vs Keras/TF: faster, ratio 0.15")
    alone = fake_record({"keras-jax-spe": (0.2e-3, 0.01), "torch-eager": (0.8e-3, 0.01)})
    assert "keras-jax-spe ran without its base configuration" in claims.fix_table(alone, "mlp", 32)
    assert claims.fix_table(fake_record(), "mlp", 32).endswith("(not run)")


def test_claims_per_workload_and_as_a_grid():
    record = fake_record({"keras-tf": (2e-3, 0.01), "tf-function": (1e-3, 0.01), "torch-eager": (0.8e-3, 0.01)})
    assert claims.claims_table(record, workload="mlp") == claims.claims_table(record)
    with pytest.raises(ValueError, match="cnn"):
        claims.claims_table(record, workload="cnn")
    grid = claims.claims_grid(record).splitlines()
    assert grid[0].startswith("workload  batch  Keras is slower") and len(grid) == 2
    assert grid[1].split()[:3] == ["mlp", "32", "holds"]
