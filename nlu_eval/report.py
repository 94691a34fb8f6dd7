"""Render the evaluation: console summary, docs/nlu-eval.md and the confusion-matrix image.

Everything here formats figures computed elsewhere; nothing is typed in by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nlu_eval.metrics import PRF, EntityScores, IntentScores, ThresholdPoint
from nlu_eval.summary import Scores, Spread


@dataclass
class ConfigResult:
    name: str
    description: str
    heldout: Scores
    cv: dict[str, Spread]
    folds: int
    train_seconds: float  # training on all training data (the held-out run)
    epochs: int | None = None  # DIET epochs of the held-out run (None: no DIET)
    cv_epochs: int | None = None  # DIET epochs of the CV runs (fewer when capped)
    by_set: dict[str, Scores] = field(default_factory=dict)  # held-out scores per set


@dataclass
class ModelResult:
    """The production model (``make build``) on the held-out set."""

    model_name: str
    scores: Scores
    intents: IntentScores
    entities: EntityScores


def pct(x: float) -> str:
    return f"{x:.3f}"


def spread(s: Spread | None) -> str:
    """Mean ± std over the folds; "–" when cross-validation did not run (``--folds 0``)."""
    return "–" if s is None else f"{s.mean:.3f} ± {s.std:.3f}"


def console_summary(result: ModelResult, top_pairs: int = 10, heldout: str = "") -> str:
    """What ``make eval`` prints: intents, entities per type, most confused pairs."""
    s, lines = result.scores, []
    on = f" on {heldout}" if heldout else ""
    lines.append(f"held-out evaluation of {result.model_name}{on}")
    lines.append(f"  intent accuracy   {s.intent_accuracy:.3f}")
    lines.append(f"  intent macro-F1   {s.intent_macro_f1:.3f}")
    lines.append(
        "  entities (type + canonical id, overlapping span)   precision  recall     F1  support"
    )
    for name, prf in [
        *sorted(result.entities.per_type.items()),
        ("all (micro)", result.entities.micro),
    ]:
        lines.append(
            f"    {name:<46}{prf.precision:>11.3f}{prf.recall:>8.3f}{prf.f1:>7.3f}{prf.support:>9d}"
        )
    lines.append(f"  entity F1 with exact spans: {s.entity_exact_f1:.3f}")
    lines.append("  most confused intent pairs (gold → predicted: count)")
    pairs = result.intents.confused_pairs[:top_pairs]
    lines += [f"    {g} → {p}: {n}" for g, p, n in pairs] or ["    none"]
    return "\n".join(lines)


def confusion_png(intents: IntentScores, path: Path, title: str) -> None:
    """Intent confusion matrix (rows gold, columns predicted) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(intents.labels)
    fig, ax = plt.subplots(figsize=(0.45 * n + 3, 0.45 * n + 2.5))
    ax.imshow(intents.matrix, cmap="Blues")
    ax.set_xticks(range(n), intents.labels, rotation=90, fontsize=8)
    ax.set_yticks(range(n), intents.labels, fontsize=8)
    ax.set_xlabel("predicted intent")
    ax.set_ylabel("gold intent")
    ax.set_title(title, fontsize=10)
    top = max(max(row) for row in intents.matrix) or 1
    for i, row in enumerate(intents.matrix):
        for j, count in enumerate(row):
            if count:
                ax.text(
                    j,
                    i,
                    str(count),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if count > top / 2 else "black",
                )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def epochs_cell(c: ConfigResult) -> str:
    if c.epochs is None:
        return "–"
    return f"{c.epochs} / {c.cv_epochs}"


def _prf_row(name: str, prf: PRF) -> str:
    return f"| {name} | {pct(prf.precision)} | {pct(prf.recall)} | {pct(prf.f1)} | {prf.support} |"


def markdown(
    configs: Sequence[ConfigResult],
    chosen: str,
    production: ModelResult,
    curve: Sequence[ThresholdPoint],
    best: ThresholdPoint | None,
    heldout_curve: Sequence[ThresholdPoint],
    configured_threshold: float,
    fallback_cost: float,
    data: dict[str, int],
    image: str,
    command: str = "python -m nlu_eval",
    pending: Sequence[str] = (),
    per_set: Sequence[tuple[str, str, ModelResult]] = (),
    model_choice: str = "",
) -> str:
    """docs/nlu-eval.md. ``per_set``: (set name, file, production result) for every held-out
    set; ``model_choice``: the rendered one-model-or-one-per-language section, if measured."""
    out: list[str] = []
    add = out.append
    add("# NLU evaluation")
    add("")
    add(
        f"Written by `make eval` (this run: `{command}`); every figure below is computed by that "
        "command. "
        "Do not edit by hand: change the data or the pipeline and run `make eval` again."
    )
    add("")
    add(
        f"- Training data: `nlu/*.yml`, {data['train_examples']} examples, {data['intents']} "
        "intents."
    )
    add(
        f"- Held-out set: `tests/nlu_test.yml`, {data['test_examples']} examples written "
        "separately, never trained on."
    )
    add(
        f"- Cross-validation: {configs[0].folds}-fold, stratified by intent, seed 42, on the "
        "training data."
    )
    add(
        "- Intents: accuracy and macro-F1 (mean of the per-intent F1) of the intent classifier "
        "(the FallbackClassifier's verdict is undone, as `rasa test nlu` does; the threshold is "
        "judged below)."
    )
    add(
        "- Entities: a predicted entity is correct when a gold entity has the same type, the same "
        'canonical id and an overlapping span; "exact F1" also demands identical span boundaries.'
    )
    if pending:
        add("")
        add(
            "**Partial report**: the run stopped before it had evaluated "
            + ", ".join(f"`{n}`" for n in pending)
            + "; run `make eval` again to complete it (finished runs are cached)."
        )
    add("")
    add("## Configuration comparison")
    add("")
    add(
        "Configs are in `nlu_eval/configs/`. Held-out: trained on all training data "
        f"(for `{chosen}` this is the production model `make build` trained from `config.yml`, "
        "the same "
        "pipeline and data; its training time includes the dialogue policies). "
        "CV: mean ± standard deviation over the folds. Training time: wall-clock `rasa train nlu` "
        "on all training data on the machine that ran `make eval` (includes ~15 s start-up)."
    )
    add("")
    add(
        "| configuration | held-out intent acc | held-out intent macro-F1 | held-out entity P | R "
        "| F1 | exact F1 "
        "| CV intent acc | CV intent macro-F1 | CV entity P | R | F1 | DIET epochs held-out / CV "
        "| training time (s) |"
    )
    add("|---|" + "---|" * 14)
    for c in configs:
        h, v = c.heldout, c.cv
        mark = " **(chosen)**" if c.name == chosen else ""
        add(
            f"| `{c.name}`{mark} | {pct(h.intent_accuracy)} | {pct(h.intent_macro_f1)} | "
            f"{pct(h.entity_precision)} "
            f"| {pct(h.entity_recall)} | {pct(h.entity_f1)} | {pct(h.entity_exact_f1)} "
            f"| {spread(v.get('intent_accuracy'))} | {spread(v.get('intent_macro_f1'))} "
            f"| {spread(v.get('entity_precision'))} "
            f"| {spread(v.get('entity_recall'))} | {spread(v.get('entity_f1'))} | {epochs_cell(c)} "
            f"| {c.train_seconds:.0f} |"
        )
    add("")
    for c in configs:
        add(f"- `{c.name}`: {c.description}")
    capped = [c for c in configs if c.cv_epochs != c.epochs]
    if capped:
        add("")
        add(
            "Cross-validation trains every configuration five more times; to fit the machine's "
            "time budget "
            "the CV runs of "
            + ", ".join(f"`{c.name}`" for c in capped)
            + " trained DIET for fewer epochs "
            'than the held-out run (column "DIET epochs"; `python -m nlu_eval --cv-max-epochs N`). '
            "Their CV figures are therefore a lower bound for the full configuration; the held-out "
            "figures use the configuration unchanged."
        )
    if any(c.by_set for c in configs):
        names = list(next(c for c in configs if c.by_set).by_set)
        add("")
        add(
            "Held-out scores of each configuration per held-out set (the same trained model; "
            "intent macro-F1 / entity F1):"
        )
        add("")
        add(
            "| configuration | " + " | ".join(f"{n} macro-F1 | {n} entity F1" for n in names) + " |"
        )
        add("|---|" + "---|---|" * len(names))
        for c in configs:
            cells = " | ".join(
                f"{pct(c.by_set[n].intent_macro_f1)} | {pct(c.by_set[n].entity_f1)}"
                if n in c.by_set
                else "– | –"
                for n in names
            )
            add(f"| `{c.name}` | {cells} |")
    if model_choice:
        add("")
        add(model_choice)
    add("")
    add(f"## Chosen pipeline: `{chosen}` (the pipeline of `config.yml`)")
    add("")
    if per_set:
        add(
            "| held-out set | examples | intent acc | intent macro-F1 "
            "| entity P | R | F1 | exact F1 |"
        )
        add("|---|---|---|---|---|---|---|---|")
        for name, path, result in per_set:
            r = result.scores
            add(
                f"| {name} (`{path}`) | {sum(sum(row) for row in result.intents.matrix)} "
                f"| {pct(r.intent_accuracy)} "
                f"| {pct(r.intent_macro_f1)} | {pct(r.entity_precision)} | {pct(r.entity_recall)} "
                f"| {pct(r.entity_f1)} | {pct(r.entity_exact_f1)} |"
            )
        add("")
    s = production.scores
    add(
        f"Production model `{production.model_name}` (trained by `make build`) on the held-out "
        "set: "
        f"intent accuracy {pct(s.intent_accuracy)}, intent macro-F1 {pct(s.intent_macro_f1)}, "
        f"entity P/R/F1 {pct(s.entity_precision)} / {pct(s.entity_recall)} / {pct(s.entity_f1)} "
        f"(exact spans F1 {pct(s.entity_exact_f1)})."
    )
    add("")
    add("### Entities per type (held-out)")
    add("")
    add("| entity type | precision | recall | F1 | support |")
    add("|---|---|---|---|---|")
    for name, prf in sorted(production.entities.per_type.items()):
        add(_prf_row(f"`{name}`", prf))
    add(_prf_row("all (micro)", production.entities.micro))
    add("")
    add("### Intents (held-out)")
    add("")
    add("| intent | precision | recall | F1 | support |")
    add("|---|---|---|---|---|")
    for name, prf in sorted(production.intents.per_intent.items()):
        add(_prf_row(f"`{name}`", prf))
    add("")
    add(
        "Most confused intent pairs (gold → predicted: count): "
        + (
            ", ".join(f"`{g}` → `{p}`: {n}" for g, p, n in production.intents.confused_pairs[:10])
            or "none"
        )
        + "."
    )
    add("")
    add(f"![intent confusion matrix, held-out set]({image})")
    add("")
    for name, path, result in per_set[1:]:
        add(f"### Held-out set {name} (`{path}`)")
        add("")
        add("| entity type | precision | recall | F1 | support |")
        add("|---|---|---|---|---|")
        for type_name, prf in sorted(result.entities.per_type.items()):
            add(_prf_row(f"`{type_name}`", prf))
        add(_prf_row("all (micro)", result.entities.micro))
        add("")
        add("| intent | precision | recall | F1 | support |")
        add("|---|---|---|---|---|")
        for intent, prf in sorted(result.intents.per_intent.items()):
            add(_prf_row(f"`{intent}`", prf))
        add("")
        add(
            "Most confused intent pairs (gold → predicted: count): "
            + (
                ", ".join(f"`{g}` → `{p}`: {n}" for g, p, n in result.intents.confused_pairs[:10])
                or "none"
            )
            + "."
        )
        add("")
    add("## FallbackClassifier threshold")
    add("")
    add(
        "Below the threshold the assistant asks the user to rephrase instead of answering. Too "
        "low, it "
        "answers what it did not understand; too high, it keeps asking people to rephrase. The "
        "threshold "
        f"is tuned on the out-of-fold predictions of `{chosen}` in cross-validation (training "
        "data only, "
        "never the held-out set): a wrong answer costs 1, a needless rephrase request costs "
        f"{fallback_cost}, "
        "and the cheapest threshold wins (ties: the lower one, fewer interruptions)."
    )
    if best is None:
        add("")
        add(
            f"**Not re-tuned in this run** (`--folds 0`: no cross-validation); `config.yml` keeps "
            f"{configured_threshold:.2f}. For information, the production model on the English "
            "held-out set at each threshold:"
        )
        add("")
        add(
            "| threshold | answered | accuracy of answers | wrong answers "
            "| needless rephrase requests | cost |"
        )
        add("|---|---|---|---|---|---|")
        for p in heldout_curve:
            add(
                f"| {p.threshold:.2f} | {pct(p.answered)} | {pct(p.answered_accuracy)} "
                f"| {p.wrong_answers} | {p.needless_fallbacks} | {p.cost:.1f} |"
            )
        add("")
        return "\n".join(out)
    chosen_result = next((c for c in configs if c.name == chosen), None)
    if chosen_result and chosen_result.cv_epochs != chosen_result.epochs:
        add("")
        add(
            f"These CV runs trained DIET for {chosen_result.cv_epochs} epochs instead of "
            f"{chosen_result.epochs} "
            "(see above): their models are less sure of themselves than the production model, so "
            "the curve "
            "below is pessimistic; the held-out check under the table uses the production model."
        )
    add("")
    add(
        "| threshold | answered | accuracy of answers | wrong answers | needless rephrase "
        "requests | cost |"
    )
    add("|---|---|---|---|---|---|")
    for p in curve:
        mark = " **←**" if p.threshold == best.threshold else ""
        add(
            f"| {p.threshold:.2f}{mark} | {pct(p.answered)} | {pct(p.answered_accuracy)} | "
            f"{p.wrong_answers} "
            f"| {p.needless_fallbacks} | {p.cost:.1f} |"
        )
    add("")
    check = next((p for p in heldout_curve if abs(p.threshold - best.threshold) < 1e-9), None)
    add(
        f"Tuned threshold: **{best.threshold:.2f}**; `config.yml` uses {configured_threshold:.2f}"
        + (
            " (matches)."
            if abs(configured_threshold - best.threshold) < 1e-9
            else " — **differs: update config.yml or explain why**."
        )
    )
    if check:
        add(
            f"Check on the held-out set at {best.threshold:.2f}: {pct(check.answered)} of "
            "messages answered, "
            f"{pct(check.answered_accuracy)} of those correct, {check.wrong_answers} wrong "
            "answers, "
            f"{check.needless_fallbacks} needless rephrase requests."
        )
    add("")
    return "\n".join(out)


@dataclass
class LanguageSetup:
    """One way to serve both languages: one joint model, or one model per language."""

    name: str
    scores: dict[str, Scores]  # held-out set -> scores
    train_seconds: float
    model_mb: float  # model files on disk, all models of the setup
    rss_mb: float  # resident memory of the serving processes, all of them
    cpu_ms: dict[str, float]  # language -> CPU per message of the model that parses it


def model_choice_markdown(setups: Sequence[LanguageSetup], chosen: str, note: str) -> str:
    """The "one model for both languages or one per language" comparison."""
    names = list(setups[0].scores)
    languages = list(setups[0].cpu_ms)
    lines = [
        "## One model for both languages, or one per language",
        "",
        note,
        "",
        "| setup | "
        + " | ".join(f"{n} macro-F1 | {n} entity F1" for n in names)
        + " | training (s) | model files (MB) | RSS of the serving processes (MB) | "
        + " | ".join(f"CPU per {lang} message (ms)" for lang in languages)
        + " |",
        "|---|" + "---|---|" * len(names) + "---|---|---|" + "---|" * len(languages),
    ]
    for s in setups:
        cells = " | ".join(
            f"{pct(s.scores[n].intent_macro_f1)} | {pct(s.scores[n].entity_f1)}"
            if n in s.scores
            else "– | –"
            for n in names
        )
        cpu = " | ".join(f"{s.cpu_ms.get(lang, 0.0):.1f}" for lang in languages)
        mark = " **(chosen)**" if s.name == chosen else ""
        lines.append(
            f"| {s.name}{mark} | {cells} | {s.train_seconds:.0f} | {s.model_mb:.1f} "
            f"| {s.rss_mb:.0f} | {cpu} |"
        )
    if len(setups) == 2:
        a, b = setups
        diffs = ", ".join(
            f"{n} macro-F1 {b.scores[n].intent_macro_f1 - a.scores[n].intent_macro_f1:+.3f} / "
            f"entity F1 {b.scores[n].entity_f1 - a.scores[n].entity_f1:+.3f}"
            for n in names
            if n in a.scores and n in b.scores
        )
        lines += [
            "",
            f"{b.name} minus {a.name}: {diffs}; "
            f"training {b.train_seconds - a.train_seconds:+.0f} s, "
            f"memory {b.rss_mb - a.rss_mb:+.0f} MB.",
        ]
    return "\n".join(lines)
