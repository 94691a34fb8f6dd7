"""The floor of the framework: a minimal Rasa bot on the same NLU data, without our work.

Rasa's default ``rasa init`` pipeline and policies, one static response per intent, no custom
actions, no knowledge base. Comparing our assistant with it under the same load shows the
overhead of our actions and KB as a ratio, which stays meaningful when the machine changes.
The project is generated from our domain's intents and our NLU files, so it tracks them.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

RASA_INIT_CONFIG = """\
recipe: default.v1
language: en
assistant_id: pns-bench-baseline
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: 100
    constrain_similarities: true
  - name: EntitySynonymMapper
  - name: ResponseSelector
    epochs: 100
    constrain_similarities: true
  - name: FallbackClassifier
    threshold: 0.3
    ambiguity_threshold: 0.1
policies:
  - name: MemoizationPolicy
  - name: RulePolicy
  - name: UnexpecTEDIntentPolicy
    max_history: 5
    epochs: 100
  - name: TEDPolicy
    max_history: 5
    epochs: 100
    constrain_similarities: true
"""


def write_project(root: Path, out: Path) -> Path:
    """Generate the baseline project under ``out`` from the real project at ``root``."""
    domain = yaml.safe_load((root / "domain.yml").read_text())
    intents = [i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]]
    entities = [e if isinstance(e, str) else next(iter(e)) for e in domain.get("entities", [])]
    shutil.rmtree(out, ignore_errors=True)
    (out / "data").mkdir(parents=True)
    (out / "config.yml").write_text(RASA_INIT_CONFIG)
    (out / "domain.yml").write_text(
        yaml.safe_dump(
            {
                "version": "3.1",
                "intents": intents,
                "entities": entities,
                "responses": {
                    f"utter_{i}": [{"text": f"A fixed answer for {i.replace('_', ' ')}."}]
                    for i in intents
                },
                "session_config": {
                    "session_expiration_time": 60,
                    "carry_over_slots_to_new_session": True,
                },
            },
            sort_keys=False,
        )
    )
    (out / "data" / "rules.yml").write_text(
        yaml.safe_dump(
            {
                "version": "3.1",
                "rules": [
                    {"rule": i, "steps": [{"intent": i}, {"action": f"utter_{i}"}]} for i in intents
                ]
                + [
                    {
                        "rule": "fallback",
                        "steps": [{"intent": "nlu_fallback"}, {"action": "utter_out_of_scope"}],
                    }
                ],
            },
            sort_keys=False,
        )
    )
    for path in sorted((root / "nlu").glob("*.yml")):
        shutil.copy(path, out / "data" / f"nlu_{path.name}")
    return out


def project_hash(project: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(project.rglob("*.yml")):
        digest.update(str(path.relative_to(project)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_baseline_model(root: Path, work: Path) -> tuple[Path, float]:
    """The trained baseline model (trained only if its inputs changed) and its training time."""
    project = write_project(root, work / "project")
    name = f"baseline-{project_hash(project)}"
    model = work / "models" / f"{name}.tar.gz"
    timing = model.with_suffix("").with_suffix(".train-seconds")
    if model.exists() and timing.exists():
        return model, float(timing.read_text())
    model.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(work / "train.log", "wb") as log:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "rasa",
                "train",
                "--out",
                str(model.parent),
                "--fixed-model-name",
                name,
            ],
            cwd=project,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
        )
    seconds = time.perf_counter() - started
    timing.write_text(f"{seconds:.1f}\n")
    return model, seconds
