"""``python -m nlu_eval`` (``make eval``): measure the NLU and write docs/nlu-eval.md.

1. The production model (the one ``make build`` trained for the current inputs) is run over
   the held-out set; its scores are printed and its confusion matrix drawn.
2. Every configuration in ``nlu_eval/configs`` is trained on the training data and scored on
   the held-out set and by k-fold cross-validation (cached: only changed runs retrain).
3. The FallbackClassifier threshold is tuned on the chosen configuration's out-of-fold
   predictions.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from nlu_eval import CHOSEN_CONFIG, CONFIG_DIR, FALLBACK_COST, THRESHOLDS
from nlu_eval.data import load_examples
from nlu_eval.experiments import ROOT, Run, capped_config, cv_runs, epochs_of, heldout_run
from nlu_eval.metrics import best_threshold, threshold_curve
from nlu_eval.predict import predict
from nlu_eval.production import configured_threshold, current_model, same_pipeline, training_seconds
from nlu_eval.report import ConfigResult, ModelResult, confusion_png, console_summary, markdown
from nlu_eval.summary import across_folds, score

logger = logging.getLogger("nlu_eval")
TRAIN = ROOT / "nlu"
HELDOUT = ROOT / "tests" / "nlu_test.yml"
DOC = ROOT / "docs" / "nlu-eval.md"
IMAGE = ROOT / "docs" / "nlu-intent-confusion.png"
CACHE = ROOT / "var" / "eval" / "runs"


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
    parser.add_argument("--folds", type=int, default=5)
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
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S"
    )

    model = current_model()
    test = load_examples(HELDOUT)
    production_predictions = predict(model, test)
    production_scores, intents, entities = score(test, production_predictions)
    production = ModelResult(model.name, production_scores, intents, entities)
    print(console_summary(production), flush=True)

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
    confusion_png(intents, IMAGE, f"{model.name} on tests/nlu_test.yml ({len(test)} examples)")
    results: list[ConfigResult] = []
    for n, name in enumerate(names):
        config = CONFIG_DIR / f"{name}.yml"
        if name == CHOSEN_CONFIG and same_pipeline(config):
            # config.yml trains this pipeline on the same data: its model is the held-out run
            held = Run(name, "heldout", training_seconds(model), test, production_predictions)
        else:
            held = heldout_run(config, [TRAIN], HELDOUT, CACHE)
        folds = cv_runs(config, [TRAIN], args.folds, CACHE, args.cv_max_epochs)
        fold_scores = [score(r.examples, r.predictions)[0] for r in folds]
        epochs = epochs_of(config)
        cv_epochs = epochs_of(capped_config(config, args.cv_max_epochs, CACHE / "capped-configs"))
        results.append(
            ConfigResult(
                name,
                description(config),
                score(held.examples, held.predictions)[0],
                across_folds(fold_scores),
                args.folds,
                held.train_seconds,
                epochs,
                cv_epochs,
            )
        )
        if name == CHOSEN_CONFIG:
            gold = [e for r in folds for e in r.examples]
            pred = [p for r in folds for p in r.predictions]
            curve = threshold_curve(gold, pred, THRESHOLDS, FALLBACK_COST)
            best = best_threshold(curve)
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
            )
        )
        logger.info("%s done; %s written", name, DOC.relative_to(ROOT))

    print("\nconfiguration comparison (held-out | CV mean):")
    for c in results:
        print(
            f"  {c.name:<22} intent macro-F1 {c.heldout.intent_macro_f1:.3f} | "
            f"{c.cv['intent_macro_f1'].mean:.3f}"
            f"   entity F1 {c.heldout.entity_f1:.3f} | {c.cv['entity_f1'].mean:.3f}   train "
            f"{c.train_seconds:.0f}s"
        )
    print(
        f"fallback threshold tuned on CV: {best.threshold:.2f} (config.yml: "
        f"{configured_threshold():.2f})"
    )
    print(f"wrote {DOC.relative_to(ROOT)} and {IMAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
