"""Model-input hashing: retrain exactly when an input changes."""

import shutil
from pathlib import Path

from bot.build import model_hash_for, model_input_files
from nlu.spacy_pipeline import current_hash

ROOT = Path(__file__).resolve().parent.parent


def model_hash(root: Path, spacy_dir: Path, extra: list[str] | None = None) -> str:
    """The hash the build names a model by, for the pipeline built in ``spacy_dir``."""
    return model_hash_for(root, current_hash(spacy_dir), extra or [])


def copy_inputs(dst: Path) -> Path:
    for path in model_input_files(ROOT):
        target = dst / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return dst


def test_hash_is_stable_and_independent_of_location(tmp_path: Path) -> None:
    a = copy_inputs(tmp_path / "a")
    b = copy_inputs(tmp_path / "b")
    spacy_dir = tmp_path / "no-spacy"
    assert model_hash(a, spacy_dir) == model_hash(b, spacy_dir) == model_hash(a, spacy_dir)


def test_hash_changes_with_any_input(tmp_path: Path) -> None:
    root = copy_inputs(tmp_path / "p")
    spacy_dir = tmp_path / "spacy"
    spacy_dir.mkdir()
    before = model_hash(root, spacy_dir)
    nlu_file = next((root / "nlu").glob("*.yml"))
    nlu_file.write_text(nlu_file.read_text() + "\n")
    after_nlu = model_hash(root, spacy_dir)
    assert after_nlu != before
    (spacy_dir / "pns_vocabulary.sha256").write_text("other vocabulary\n")
    assert model_hash(root, spacy_dir) != after_nlu
    assert model_hash(root, spacy_dir, ["rasa 9"]) != model_hash(root, spacy_dir)


def test_readme_and_tests_do_not_force_retraining() -> None:
    names = {p.relative_to(ROOT).parts[0] for p in model_input_files(ROOT)}
    assert names <= {"config.yml", "domain.yml", "nlu", "stories"}
