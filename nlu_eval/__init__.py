"""NLU evaluation: held-out and cross-validated scores, configuration comparison, report.

Kept out of ``nlu/`` on purpose: every file under ``nlu/`` is a model input (``bot.build``
hashes it), so editing evaluation code there would force a retrain, and Rasa would read
YAML configs there as training data.
"""

from __future__ import annotations

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
# The configuration config.yml uses (tests/test_nlu_eval.py checks that they agree).
CHOSEN_CONFIG = "pns_diet50"
# A needless "please rephrase" costs half as much as a wrong answer (see docs/nlu-eval.md).
FALLBACK_COST = 0.5
THRESHOLDS = tuple(round(0.05 * n, 2) for n in range(2, 19))  # 0.10 … 0.90
# Held-out sets, each written separately and never trained on, reported one by one: English,
# English as patients really type it ("wild"), Russian. Paths relative to the project root.
HELDOUT_SETS: dict[str, str] = {
    "en": "tests/nlu_test.yml",
    "en-wild": "tests/nlu_test_wild.yml",
    "ru": "tests/nlu_test_ru.yml",
}
# Training data per language (one model per language is the alternative that `make eval
# --per-language` measures): English at the top of nlu/, Russian in nlu/ru/.
LANGUAGES: dict[str, tuple[str, ...]] = {"en": ("en", "en-wild"), "ru": ("ru",)}
