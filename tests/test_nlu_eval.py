"""The evaluation set-up itself: configs, chosen pipeline, held-out set hygiene."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nlu_eval import CHOSEN_CONFIG, CONFIG_DIR
from nlu_eval.data import load_examples
from nlu_eval.experiments import ROOT, folds
from nlu_eval.production import pipeline


def test_config_yml_uses_the_chosen_pipeline() -> None:
    """config.yml trains what the comparison chose (its pipeline is copied, not generated)."""
    assert pipeline(ROOT / "config.yml") == pipeline(CONFIG_DIR / f"{CHOSEN_CONFIG}.yml")


def test_every_config_is_an_nlu_pipeline_with_a_fallback() -> None:
    configs = sorted(CONFIG_DIR.glob("*.yml"))
    assert {"rasa_default", CHOSEN_CONFIG} <= {c.stem for c in configs}
    for config in configs:
        data = yaml.safe_load(config.read_text())
        assert "policies" not in data, config
        assert any(c["name"] == "FallbackClassifier" for c in data["pipeline"]), config


@pytest.mark.parametrize("name", ["nlu_test.yml", "nlu_test_wild.yml", "nlu_test_ru.yml"])
def test_heldout_set_is_large_and_not_copied_into_training(name: str) -> None:
    """Short canonical messages ("hi", "what is LEMS") are bound to occur in both sets; any
    longer held-out sentence found verbatim in the training data would inflate the scores.
    The training data is every file under nlu/ (both languages)."""
    train = {" ".join(e.text.lower().split()) for e in load_examples(ROOT / "nlu")}
    test = load_examples(ROOT / "tests" / name)
    assert len(test) >= 300 if name != "nlu_test.yml" else len(test) >= 200
    copied = [e.text for e in test if len(e.text.split()) >= 5]
    assert [t for t in copied if " ".join(t.lower().split()) in train] == []


def test_folds_are_stratified_disjoint_and_complete() -> None:
    labels = ["a"] * 10 + ["b"] * 5
    parts = folds(labels, 5)
    assert sorted(i for p in parts for i in p) == list(range(15))
    assert all(sum(labels[i] == "b" for i in p) == 1 for p in parts)


def test_run_cache_ignores_comments_and_fallback_thresholds(tmp_path: Path) -> None:
    from nlu_eval.experiments import training_config

    base = (CONFIG_DIR / f"{CHOSEN_CONFIG}.yml").read_text()
    tuned = tmp_path / "tuned.yml"
    tuned.write_text("# another comment\n" + base.replace("threshold: 0.4", "threshold: 0.55"))
    assert training_config(tuned) == training_config(CONFIG_DIR / f"{CHOSEN_CONFIG}.yml")
    other = tmp_path / "other.yml"
    other.write_text(base.replace("epochs: 100", "epochs: 7").replace("epochs: 50", "epochs: 7"))
    assert training_config(other) != training_config(CONFIG_DIR / f"{CHOSEN_CONFIG}.yml")


def test_cv_epoch_cap_changes_only_diet_epochs(tmp_path: Path) -> None:
    from nlu_eval.experiments import capped_config, epochs_of, training_config

    default = CONFIG_DIR / "rasa_default.yml"
    assert epochs_of(default) == 100
    capped = capped_config(default, 50, tmp_path)
    assert capped != default and capped.name == default.name  # same name: same cache folder
    assert epochs_of(capped) == 50
    assert training_config(capped) != training_config(default)
    assert training_config(capped) == training_config(default).replace(
        '"epochs": 100', '"epochs": 50'
    )
    # below the cap, and pipelines without DIET, are trained as they are
    assert (
        capped_config(CONFIG_DIR / f"{CHOSEN_CONFIG}.yml", 500, tmp_path)
        == CONFIG_DIR / f"{CHOSEN_CONFIG}.yml"
    )
    assert capped_config(default, None, tmp_path) == default


def test_config_yml_uses_the_fallback_threshold_tuned_by_make_eval() -> None:
    """docs/nlu-eval.md (written by `make eval`) names the tuned threshold; config.yml ships it."""
    import re

    from nlu_eval.production import configured_threshold

    doc = (ROOT / "docs" / "nlu-eval.md").read_text()
    tuned = re.search(r"Tuned threshold: \*\*([0-9.]+)\*\*", doc)
    assert tuned, "docs/nlu-eval.md has no tuned threshold: run make eval"
    assert configured_threshold() == float(tuned.group(1))
    assert configured_threshold(CONFIG_DIR / f"{CHOSEN_CONFIG}.yml") == float(tuned.group(1))


def test_production_model_stands_for_the_chosen_config_only() -> None:
    """make eval scores the production model as the chosen config's held-out run (no second
    training of the same pipeline); any other config is trained on its own."""
    from nlu_eval.production import same_pipeline

    assert same_pipeline(CONFIG_DIR / f"{CHOSEN_CONFIG}.yml")
    assert not same_pipeline(CONFIG_DIR / "rasa_default.yml")
    assert not same_pipeline(CONFIG_DIR / "pns_logreg.yml")


def test_a_run_over_several_heldout_sets_is_cut_back_into_them() -> None:
    from nlu_eval.experiments import Run, split_by_set
    from nlu_eval.metrics import Example, Prediction

    examples = [Example(str(n), "greet") for n in range(5)]
    predictions = [Prediction(str(n), "greet", 1.0) for n in range(5)]
    parts = split_by_set(Run("c", "heldout", 1.0, examples, predictions), {"en": 2, "ru": 3})
    assert [e.text for e in parts["en"][0]] == ["0", "1"]
    assert [p.text for p in parts["ru"][1]] == ["2", "3", "4"]


def test_every_heldout_set_exists_and_each_language_has_its_training_data() -> None:
    from nlu_eval import HELDOUT_SETS, LANGUAGES

    assert all((ROOT / path).exists() for path in HELDOUT_SETS.values())
    assert sorted(n for names in LANGUAGES.values() for n in names) == sorted(HELDOUT_SETS)
    assert list((ROOT / "nlu" / "ru").glob("*.yml"))
