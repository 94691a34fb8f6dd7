from kb.vocabulary import Term
from nlu.variants import EXACT, antibody_core, patterns, spacing_variants, surface_forms


def test_antibody_core_strips_prefix_and_suffix() -> None:
    assert antibody_core("anti-yo") == "yo"
    assert antibody_core("anti yo antibodies") == "yo"
    assert antibody_core("yo antibody") == "yo"
    assert antibody_core("pca-1") == "pca-1"


def test_antibody_forms_cover_what_patients_write() -> None:
    forms = surface_forms(Term("antibody", "yo", ("anti-Yo antibody", "PCA-1")))
    for expected in (
        "anti-yo",
        "anti yo",
        "antiyo",
        "yo antibody",
        "yo antibodies",
        "pca-1",
        "pca 1",
        "pca1",
    ):
        assert expected in forms, expected
    assert "yo" not in forms  # a bare name only when staff list it


def test_spacing_variants() -> None:
    assert spacing_variants("lambert-eaton") == {"lambert-eaton", "lambert eaton", "lamberteaton"}
    assert "spinal-tap" in spacing_variants("spinal tap")


def test_other_kinds_are_not_given_antibody_forms() -> None:
    forms = surface_forms(Term("syndrome", "lems", ("LEMS", "Lambert-Eaton myasthenic syndrome")))
    assert "lems" in forms and "lambert eaton myasthenic syndrome" in forms
    assert not any(f.startswith("anti") for f in forms)


def test_forms_claimed_by_two_entities_are_dropped_and_reported() -> None:
    ruler, ambiguous = patterns(
        [
            Term("antibody", "lgi1", ("LGI1", "VGKC")),
            Term("antibody", "caspr2", ("CASPR2", "VGKC")),
        ]
    )
    assert "vgkc" in ambiguous and sorted(ambiguous["vgkc"]) == ["antibody:caspr2", "antibody:lgi1"]
    assert all(p["pattern"] != "vgkc" for p in ruler)
    assert {"label": "antibody", "pattern": "lgi1", "id": "lgi1", "tier": EXACT} in ruler
