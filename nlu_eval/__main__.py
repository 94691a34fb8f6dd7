"""``python -m nlu_eval`` (``make eval``): measure the NLU and write docs/nlu-eval.md.

1. The production model (the one ``make build`` trained for the current inputs) is run over
   every held-out set (English, English "wild", Russian: ``HELDOUT_SETS``); its scores are
   printed per set and its confusion matrices drawn.
2. Every configuration in ``nlu_eval/configs`` is trained on the training data and scored on
   the held-out set and by k-fold cross-validation (cached: only changed runs retrain).
3. The FallbackClassifier threshold is tuned on the chosen configuration's out-of-fold
   predictions.
4. With ``--per-language``: the chosen configuration is also trained once per language
   (English data on the English sets, Russian on the Russian set), and both setups — one
   joint model or one model per language — are compared on accuracy, training time, model
   size, memory and CPU per message (``nlu_eval.resources``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from nlu_eval import (
    CHOSEN_CONFIG,
    CONFIG_DIR,
    FALLBACK_COST,
    HELDOUT_SETS,
    LANGUAGES,
    THRESHOLDS,
)
from nlu_eval.data import load_examples
from nlu_eval.experiments import (
    ROOT,
    Run,
    capped_config,
    cv_runs,
    epochs_of,
    heldout_run,
    split_by_set,
)
from nlu_eval.metrics import Example, Prediction, best_threshold, threshold_curve
from nlu_eval.predict import predict
from nlu_eval.production import configured_threshold, current_model, same_pipeline, training_seconds
from nlu_eval.report import (
    ConfigResult,
    LanguageSetup,
    ModelResult,
    confusion_png,
    console_summary,
    markdown,
    model_choice_markdown,
)
from nlu_eval.summary import Scores, across_folds, score

logger = logging.getLogger("nlu_eval")
TRAIN = ROOT / "nlu"
HELDOUT = ROOT / HELDOUT_SETS["en"]
SETS = {name: ROOT / path for name, path in HELDOUT_SETS.items()}
TRAIN_BY_LANGUAGE = {
    "en": sorted((ROOT / "nlu").glob("*.yml")),  # English data at the top of nlu/
    "ru": [ROOT / "nlu" / "ru"],
}
DOC = ROOT / "docs" / "nlu-eval.md"
IMAGE = ROOT / "docs" / "nlu-intent-confusion.png"
CACHE = ROOT / "var" / "eval" / "runs"


def image_for(name: str) -> Path:
    """Confusion-matrix image of a held-out set (English keeps the historical file name)."""
    return IMAGE if name == "en" else IMAGE.with_name(f"nlu-intent-confusion-{name}.png")


def set_scores(run: Run, sizes: dict[str, int]) -> dict[str, Scores]:
    return {n: score(ex, pr)[0] for n, (ex, pr) in split_by_set(run, sizes).items()}


def reused_run(model: Path, set_names: Sequence[str], tests: dict[str, list[Example]]) -> Run:
    """A run of an existing model trained on one language's data with the chosen config
    (``--reuse-model``), measured like a fresh one: no training on this machine."""
    from nlu_eval.resources import measure

    examples = [e for n in set_names for e in tests[n]]
    texts = [e.text for e in examples]
    return Run(
        CHOSEN_CONFIG,
        f"reused-{model.name}",
        training_seconds(model),
        examples,
        predict(model, examples),
        measure(model, texts, ROOT),
    )


def language_setups(
    model: Path,
    production_run: Run,
    sizes: dict[str, int],
    tests: dict[str, list[Example]],
    reuse: dict[str, Path] | None = None,
) -> list[LanguageSetup]:
    """The joint production model vs the chosen config trained once per language (or, for a
    language in ``reuse``, an existing model trained on that language's data alone)."""
    from nlu_eval.resources import measure

    config = CONFIG_DIR / f"{CHOSEN_CONFIG}.yml"
    joint_cpu: dict[str, float] = {}
    joint_rss = 0.0
    for lang, set_names in LANGUAGES.items():
        texts = [e.text for n in set_names for e in tests[n]]
        figures = measure(model, texts, ROOT)
        joint_cpu[lang] = figures["cpu_ms_per_message"]
        joint_rss = max(joint_rss, figures["rss_mb"])
    joint = LanguageSetup(
        "one model for both languages",
        set_scores(production_run, sizes),
        training_seconds(model),
        model.stat().st_size / 1e6,
        joint_rss,
        joint_cpu,
    )
    scores: dict[str, Scores] = {}
    seconds = size = rss = 0.0
    cpu: dict[str, float] = {}
    for lang, set_names in LANGUAGES.items():
        if reuse and lang in reuse:
            run = reused_run(reuse[lang], set_names, tests)
        else:
            run = heldout_run(
                config,
                TRAIN_BY_LANGUAGE[lang],
                [SETS[n] for n in set_names],
                CACHE,
                split=f"language-{lang}",
                measure_resources=True,
            )
        scores |= set_scores(run, {n: sizes[n] for n in set_names})
        seconds += run.train_seconds
        figures = run.resources or {}
        size += figures.get("model_mb", 0.0)
        rss += figures.get("rss_mb", 0.0)
        cpu[lang] = figures.get("cpu_ms_per_message", 0.0)
    per_language = LanguageSetup(
        "one model per language", {n: scores[n] for n in sizes}, seconds, size, rss, cpu
    )
    return [joint, per_language]


MODEL_CHOICE_NOTE = (
    "Both setups use the chosen pipeline (`config.yml`) and the same held-out sets. One model: "
    "the production model, trained on `nlu/` (English and `nlu/ru/`); its training time is "
    "`make build`'s and includes the (rule-based) dialogue policies. One per language: the "
    "pipeline trained on the English files at the top of `nlu/` and, separately, on `nlu/ru/` "
    "(`rasa train nlu`; the time is the sum of both). Memory: resident set of a process that "
    "loaded the model and parsed the language's held-out messages (one process per model, as "
    "Rasa serves one model per server; per language the two processes add up). CPU: process "
    "CPU time per message, all threads, after a warm-up (`nlu_eval/resources.py`). Rule: "
    "one model unless one per language is clearly more accurate, because Rasa serves one "
    "model per server — two models mean two Rasa servers (twice the memory) and routing "
    "every message by language before it is understood."
)


def description(config: Path) -> str:
    """The config file's leading comment, as one line."""
    lines = []
    for line in config.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").strip())
    return " ".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlu_eval", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--folds", type=int, default=5, help="k of the k-fold CV; 0 skips CV (threshold not tuned)"
    )
    parser.add_argument(
        "--cv-max-epochs",
        type=int,
        default=None,
        help=(
            "train DIET for at most this many epochs in CV runs (time budget; stated in the report)"
        ),
    )
    parser.add_argument(
        "--configs", nargs="*", help="config names (default: all in nlu_eval/configs)"
    )
    parser.add_argument(
        "--per-language",
        action="store_true",
        help="also train the chosen config once per language and compare (see docs)",
    )
    parser.add_argument(
        "--reuse-model",
        action="append",
        default=[],
        metavar="LANG=MODEL",
        help="with --per-language: use this existing model (trained with the chosen config on "
        "that language's training data only) instead of training one, e.g. en=models/x.tar.gz",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S"
    )

    model = current_model()
    tests = {name: load_examples(path) for name, path in SETS.items() if path.exists()}
    sizes = {name: len(examples) for name, examples in tests.items()}
    all_examples = [e for examples in tests.values() for e in examples]
    all_predictions: list[Prediction] = predict(model, all_examples)
    production_run = Run(
        CHOSEN_CONFIG, "heldout", training_seconds(model), all_examples, all_predictions
    )
    per_set: list[tuple[str, str, ModelResult]] = []
    for name, (examples, predictions) in split_by_set(production_run, sizes).items():
        result = ModelResult(model.name, *score(examples, predictions))
        per_set.append((name, HELDOUT_SETS[name], result))
        print(console_summary(result, heldout=f"{name} ({HELDOUT_SETS[name]})"), flush=True)
        confusion_png(
            result.intents,
            image_for(name),
            f"{model.name} on {HELDOUT_SETS[name]} ({len(examples)} examples)",
        )
    production = per_set[0][2]
    test, production_predictions = split_by_set(production_run, sizes)["en"]

    names = args.configs or sorted(p.stem for p in CONFIG_DIR.glob("*.yml"))
    # the chosen config first: the threshold is tuned on its CV, and the report is rewritten
    # after every config, so an interrupted run still leaves a consistent (partial) report
    names = [CHOSEN_CONFIG] + [n for n in names if n != CHOSEN_CONFIG]
    command = " ".join(["python -m nlu_eval", *(argv if argv is not None else sys.argv[1:])])
    train_examples = load_examples(TRAIN)
    data = {
        "train_examples": len(train_examples),
        "intents": len({e.intent for e in train_examples}),
        "test_examples": len(test),
    }
    choice = ""
    if args.per_language:
        reuse = {k: Path(v) for k, v in (item.split("=", 1) for item in args.reuse_model)}
        setups = language_setups(model, production_run, sizes, tests, reuse)
        note = MODEL_CHOICE_NOTE + "".join(
            f" The {lang} model of the per-language setup was not trained by this run: it is "
            f"`{path.name}`, given with `--reuse-model` (same pipeline, that language's data only)."
            for lang, path in reuse.items()
        )
        choice = model_choice_markdown(setups, "one model for both languages", note)
        print("\n" + choice, flush=True)
    results: list[ConfigResult] = []
    for n, name in enumerate(names):
        config = CONFIG_DIR / f"{name}.yml"
        if name == CHOSEN_CONFIG and same_pipeline(config):
            # config.yml trains this pipeline on the same data: its model is the held-out run
            held_all = production_run
        else:
            held_all = heldout_run(config, [TRAIN], [SETS[n] for n in sizes], CACHE)
        by_set = set_scores(held_all, sizes)
        en_examples, en_predictions = split_by_set(held_all, sizes)["en"]
        held = Run(name, "heldout", held_all.train_seconds, en_examples, en_predictions)
        folds = (
            cv_runs(config, [TRAIN], args.folds, CACHE, args.cv_max_epochs) if args.folds else []
        )
        fold_scores = [score(r.examples, r.predictions)[0] for r in folds]
        epochs = epochs_of(config)
        cv_epochs = epochs_of(capped_config(config, args.cv_max_epochs, CACHE / "capped-configs"))
        results.append(
            ConfigResult(
                name,
                description(config),
                score(held.examples, held.predictions)[0],
                across_folds(fold_scores) if fold_scores else {},
                args.folds,
                held.train_seconds,
                epochs,
                cv_epochs,
                by_set,
            )
        )
        if name == CHOSEN_CONFIG:
            gold = [e for r in folds for e in r.examples]
            pred = [p for r in folds for p in r.predictions]
            curve = threshold_curve(gold, pred, THRESHOLDS, FALLBACK_COST) if gold else []
            best = best_threshold(curve) if curve else None
            heldout_curve = threshold_curve(
                held.examples, held.predictions, THRESHOLDS, FALLBACK_COST
            )
        DOC.write_text(
            markdown(
                results,
                CHOSEN_CONFIG,
                production,
                curve,
                best,
                heldout_curve,
                configured_threshold(),
                FALLBACK_COST,
                data,
                IMAGE.name,
                command,
                pending=names[n + 1 :],
                per_set=per_set,
                model_choice=choice,
            )
        )
        logger.info("%s done; %s written", name, DOC.relative_to(ROOT))

    print("\nconfiguration comparison (held-out en | CV mean):")
    for c in results:
        cv_f1 = f"{c.cv['intent_macro_f1'].mean:.3f}" if c.cv else "–"
        cv_ent = f"{c.cv['entity_f1'].mean:.3f}" if c.cv else "–"
        print(
            f"  {c.name:<22} intent macro-F1 {c.heldout.intent_macro_f1:.3f} | {cv_f1}"
            f"   entity F1 {c.heldout.entity_f1:.3f} | {cv_ent}   train {c.train_seconds:.0f}s"
        )
    tuned = f"{best.threshold:.2f}" if best else "not tuned (no CV)"
    print(f"fallback threshold tuned on CV: {tuned} (config.yml: {configured_threshold():.2f})")
    images = ", ".join(str(image_for(n).relative_to(ROOT)) for n in sizes)
    print(f"wrote {DOC.relative_to(ROOT)} and {images}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
