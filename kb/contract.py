"""The names of the DESIGN.md contract that code, content and tests share.

Tests and integrations depend on these names; ids may be added but never renamed.
"""
from __future__ import annotations

KNOWLEDGE_INTENTS: tuple[str, ...] = (
    "ask_pns_overview",
    "ask_cause",
    "ask_syndrome",
    "ask_symptoms",
    "ask_antibodies",
    "ask_tests",
    "ask_treatment",
    "ask_cancer_link",
    "ask_prognosis",
    "ask_referral_centre",
)
PERSONAL_INTENTS: tuple[str, ...] = ("inform_condition", "ask_should_see_doctor", "report_emergency")
GENERAL_INTENTS: tuple[str, ...] = (
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "out_of_scope",
    "request_human",
    "ask_capabilities",
)
#: Intents that may carry KB answer text (general or per entity).
ANSWER_INTENTS: tuple[str, ...] = KNOWLEDGE_INTENTS + ("inform_condition", "ask_should_see_doctor")

ENTITY_IDS: dict[str, tuple[str, ...]] = {
    "antibody": (
        "hu", "yo", "ri", "cv2", "ma2", "amphiphysin", "sox1", "pca2", "tr", "klhl11", "ampar",
        "gababr", "mglur5", "vgcc", "nmdar", "lgi1", "caspr2", "gad65", "mglur1", "gabaar",
        "dppx", "glyr", "gfap", "achr",
    ),
    "syndrome": (
        "encephalomyelitis", "limbic_encephalitis", "cerebellar_degeneration",
        "opsoclonus_myoclonus", "sensory_neuronopathy", "gi_pseudo_obstruction", "lems",
        "brainstem_encephalitis", "polyradiculoneuropathy", "myelopathy", "stiff_person",
        "morvan", "neuromyotonia", "nmdar_encephalitis", "myasthenia_gravis",
    ),
    "symptom": (
        "memory_loss", "confusion", "behaviour_change", "hallucinations", "seizures",
        "sleep_problems", "unsteady_walking", "clumsiness", "dizziness", "slurred_speech",
        "double_vision", "involuntary_eye_movements", "drooping_eyelids", "hearing_loss",
        "swallowing_difficulty", "involuntary_movements", "numbness", "burning_pain", "weakness",
        "fatigue", "muscle_stiffness", "muscle_spasms", "muscle_twitching", "sweating",
        "dry_mouth", "gut_problems", "bladder_problems", "vision_loss", "handwriting_changes",
        "breathing_difficulty", "taste_change", "weight_loss",
    ),
    "cancer": (
        "lung", "sclc", "nsclc", "breast", "ovarian", "ovarian_teratoma", "testicular", "thymoma",
        "hodgkin_lymphoma", "lymphoma", "neuroblastoma", "neuroendocrine", "prostate", "melanoma",
    ),
    "test": (
        "antibody_test", "mri", "eeg", "lumbar_puncture", "emg", "enmg",
        "repetitive_nerve_stimulation", "ct", "pet_ct", "mammography", "ultrasound",
    ),
    "treatment": (
        "tumour_treatment", "surgery", "chemotherapy", "radiotherapy", "immunosuppression",
        "steroids", "ivig", "plasma_exchange", "rituximab", "cyclophosphamide", "amifampridine",
        "symptomatic", "antiseizure", "rehabilitation", "checkpoint_inhibitors",
    ),
}
