"""The evaluation report renders computed figures (nlu_eval.report), nothing typed in."""

from pathlib import Path

from nlu_eval.metrics import Entity, Example, Prediction, threshold_curve
from nlu_eval.report import ConfigResult, ModelResult, confusion_png, console_summary, markdown
from nlu_eval.summary import across_folds, score

GOLD = [
    Example("anti-Yo positive", "inform_condition", (Entity(0, 7, "antibody", "yo"),)),
    Example("what is LEMS", "ask_syndrome", (Entity(8, 12, "syndrome", "lems"),)),
    Example("hi", "greet"),
]
PRED = [
    Prediction("anti-Yo positive", "inform_condition", 0.9, (Entity(0, 7, "antibody", "yo"),)),
    Prediction("what is LEMS", "ask_antibodies", 0.45, (Entity(8, 12, "syndrome", "lems"),)),
    Prediction("hi", "greet", 0.99),
]


def model_result() -> ModelResult:
    headline, intents, entities = score(GOLD, PRED)
    return ModelResult("pns-test.tar.gz", headline, intents, entities)


def test_console_summary_has_intents_entities_and_confusions() -> None:
    text = console_summary(model_result())
    assert "intent accuracy   0.667" in text
    assert "antibody" in text and "syndrome" in text and "all (micro)" in text
    assert "ask_syndrome → ask_antibodies: 1" in text


def test_markdown_report_contains_the_comparison_and_threshold(tmp_path: Path) -> None:
    headline = score(GOLD, PRED)[0]
    configs = [
        ConfigResult(
            "rasa_default", "Rasa's default.", headline, across_folds([headline, headline]), 2, 61.0
        ),
        ConfigResult("pns_x", "Ours.", headline, across_folds([headline, headline]), 2, 42.0),
    ]
    curve = threshold_curve(GOLD, PRED, [0.3, 0.5], fallback_cost=0.5)
    doc = markdown(
        configs,
        "pns_x",
        model_result(),
        curve,
        curve[1],
        curve,
        0.5,
        0.5,
        {"train_examples": 10, "intents": 3, "test_examples": 3},
        "cm.png",
    )
    assert "| `pns_x` **(chosen)** | 0.667 |" in doc
    assert "0.667 ± 0.000" in doc
    assert "Tuned threshold: **0.50**; `config.yml` uses 0.50 (matches)." in doc
    assert "![intent confusion matrix, held-out set](cm.png)" in doc
    assert "Partial report" not in doc and "fewer epochs" not in doc


def test_markdown_report_states_capped_cv_epochs_and_unfinished_configs() -> None:
    headline = score(GOLD, PRED)[0]
    configs = [ConfigResult("pns_x", "Ours.", headline, across_folds([headline]), 5, 42.0, 50, 10)]
    curve = threshold_curve(GOLD, PRED, [0.3, 0.5], fallback_cost=0.5)
    doc = markdown(
        configs,
        "pns_x",
        model_result(),
        curve,
        curve[1],
        curve,
        0.5,
        0.5,
        {"train_examples": 10, "intents": 3, "test_examples": 3},
        "cm.png",
        "python -m nlu_eval --cv-max-epochs 10",
        pending=["rasa_default"],
    )
    assert "| 50 / 10 |" in doc
    assert "the CV runs of `pns_x` trained DIET for fewer epochs" in doc
    assert "**Partial report**" in doc and "`rasa_default`" in doc
    assert "These CV runs trained DIET for 10 epochs instead of 50" in doc
    assert "`python -m nlu_eval --cv-max-epochs 10`" in doc


def test_confusion_matrix_image_is_written(tmp_path: Path) -> None:
    out = tmp_path / "cm.png"
    confusion_png(model_result().intents, out, "test")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_markdown_report_shows_every_heldout_set_and_the_model_choice() -> None:
    from nlu_eval.report import LanguageSetup, model_choice_markdown

    headline = score(GOLD, PRED)[0]
    perfect = score(GOLD, [Prediction(g.text, g.intent, 1.0, g.entities) for g in GOLD])[0]
    configs = [
        ConfigResult(
            "pns_x", "Ours.", headline, across_folds([headline]), 5, 42.0, by_set={"en": headline}
        )
    ]
    curve = threshold_curve(GOLD, PRED, [0.5], fallback_cost=0.5)
    setups = [
        LanguageSetup("joint", {"en": headline, "ru": perfect}, 300.0, 20.0, 1200.0, {"ru": 9.0}),
        LanguageSetup("split", {"en": perfect, "ru": headline}, 400.0, 35.5, 2300.0, {"ru": 8.5}),
    ]
    choice = model_choice_markdown(setups, "joint", "Why.")
    assert (
        "| joint **(chosen)** | 0.667 | 1.000 | 1.000 | 1.000 | 300 | 20.0 | 1200 | 9.0 |" in choice
    )
    assert "| split | 1.000 | 1.000 | 0.667 | 1.000 | 400 | 35.5 | 2300 | 8.5 |" in choice
    result = model_result()
    doc = markdown(
        configs,
        "pns_x",
        result,
        curve,
        curve[0],
        curve,
        0.5,
        0.5,
        {"train_examples": 10, "intents": 3, "test_examples": 3},
        "cm.png",
        per_set=[("en", "tests/a.yml", result), ("ru", "tests/b.yml", result)],
        model_choice=choice,
    )
    assert "| en (`tests/a.yml`) | 3 | 0.667 |" in doc and "| ru (`tests/b.yml`) | 3 |" in doc
    assert "### Held-out set ru (`tests/b.yml`)" in doc
    assert "| `pns_x` | 0.667 | 1.000 |" in doc
    assert "## One model for both languages, or one per language" in doc


def test_markdown_report_without_cross_validation_keeps_the_configured_threshold() -> None:
    headline = score(GOLD, PRED)[0]
    configs = [ConfigResult("pns_x", "Ours.", headline, {}, 0, 42.0)]
    curve = threshold_curve(GOLD, PRED, [0.5], fallback_cost=0.5)
    doc = markdown(
        configs,
        "pns_x",
        model_result(),
        [],
        None,
        curve,
        0.6,
        0.5,
        {"train_examples": 10, "intents": 3, "test_examples": 3},
        "cm.png",
    )
    assert "| – | – | – | – | – |" in doc
    assert "**Not re-tuned in this run** (`--folds 0`: no cross-validation)" in doc
    assert "keeps 0.60" in doc and "Tuned threshold" not in doc
