"""The names of the contract (docs/architecture.md) that code, content and tests share.

Tests and integrations depend on these names; ids may be added but never renamed.

Every intent of ``domain.yml`` is declared once, in :data:`INTENTS`, with the one group that
says how the assistant treats it; the sets the code uses are derived from the groups, so a
new intent means one line here plus ``domain.yml`` (``tests/test_contract.py`` checks both
agree).
"""

from __future__ import annotations

#: Greetings, chit-chat and conversation mechanics: answered from domain.yml (or a handoff).
CONVERSATION = "conversation"
#: Yes / no answers (the assessment's questions, "Did you mean …?").
YES_NO = "yes_no"
#: A question about PNS as a whole, answered from the KB; a follow-up such as "is it
#: contagious?" refers to PNS, never to the topic of the previous question.
ABOUT_PNS = "about_pns"
#: A question about a topic, answered from the KB (per entity where the message names one);
#: a follow-up without a name ("how is it treated?") keeps the previous question's entities.
ABOUT_TOPIC = "about_topic"
#: The user tells their own (or a relative's) situation: starts or continues the referral
#: assessment, and the entities are facts about the user, not questions.
PERSONAL = "personal"
#: An emergency happening now: the emergency advice, before anything else.
EMERGENCY = "emergency"
#: The answer to "Was this helpful?".
FEEDBACK = "feedback"
GROUPS: tuple[str, ...] = (
    CONVERSATION,
    YES_NO,
    ABOUT_PNS,
    ABOUT_TOPIC,
    PERSONAL,
    EMERGENCY,
    FEEDBACK,
)

#: Every intent of domain.yml and its group (knowledge intents in the order answers list them).
INTENTS: dict[str, str] = {
    "greet": CONVERSATION,
    "goodbye": CONVERSATION,
    "thank": CONVERSATION,
    "bot_challenge": CONVERSATION,
    "out_of_scope": CONVERSATION,
    "request_human": CONVERSATION,
    "ask_capabilities": CONVERSATION,
    # privacy (issue 17): answered by their own rules, also mid-assessment
    "request_erasure": CONVERSATION,
    "withdraw_consent": CONVERSATION,
    # "in English please", «по-русски»: confirmed by its rule, also mid-assessment
    "change_language": CONVERSATION,
    "affirm": YES_NO,
    "deny": YES_NO,
    "ask_pns_overview": ABOUT_PNS,
    "ask_cause": ABOUT_PNS,
    "ask_syndrome": ABOUT_TOPIC,
    "ask_symptoms": ABOUT_TOPIC,
    "ask_antibodies": ABOUT_TOPIC,
    "ask_tests": ABOUT_TOPIC,
    "ask_treatment": ABOUT_TOPIC,
    "ask_cancer_link": ABOUT_TOPIC,
    "ask_prognosis": ABOUT_TOPIC,
    "ask_referral_centre": ABOUT_PNS,
    # questions patients and relatives ask (issue 13)
    "ask_heredity": ABOUT_PNS,
    "ask_side_effects": ABOUT_TOPIC,
    "ask_daily_life": ABOUT_TOPIC,
    "ask_carer_support": ABOUT_PNS,
    "ask_visit": ABOUT_PNS,
    "inform_condition": PERSONAL,
    "ask_should_see_doctor": PERSONAL,
    "report_emergency": EMERGENCY,
    "give_feedback": FEEDBACK,
}
#: Predicted by Rasa's FallbackClassifier, never trained (so not in domain.yml's intents).
FALLBACK_INTENT = "nlu_fallback"
FEEDBACK_INTENT = "give_feedback"


def intents_in(*groups: str) -> tuple[str, ...]:
    """The intents of ``groups``, in declaration order."""
    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown intent group(s): {', '.join(sorted(unknown))}")
    return tuple(intent for intent, group in INTENTS.items() if group in groups)


#: Questions answered from the KB by ``action_answer_knowledge``; each has a general answer.
KNOWLEDGE_INTENTS: tuple[str, ...] = intents_in(ABOUT_PNS, ABOUT_TOPIC)
#: Questions about PNS as a whole (follow-ups do not inherit the previous topic).
ABOUT_PNS_INTENTS: frozenset[str] = frozenset(intents_in(ABOUT_PNS))
#: Messages whose entities are facts about the user (the assessment reads them), also a
#: yes/no answer or an unclear message while a question of the assessment is open.
REPORTING_INTENTS: frozenset[str] = frozenset(intents_in(PERSONAL, YES_NO) + (FALLBACK_INTENT,))
#: Everything else is a digression mid-assessment: a rule answers it and the form resumes.
DIGRESSION_INTENTS: frozenset[str] = frozenset(INTENTS) - REPORTING_INTENTS
#: Intents that may carry KB answer text (general or per entity): the knowledge questions.
#: A personal message starts the referral assessment, whose advice is built from phrases, so
#: an ``answer:inform_condition`` would never be shown; staff cannot create one.
ANSWER_INTENTS: tuple[str, ...] = KNOWLEDGE_INTENTS

ENTITY_IDS: dict[str, tuple[str, ...]] = {
    "antibody": (
        "hu",
        "yo",
        "ri",
        "cv2",
        "ma2",
        "amphiphysin",
        "sox1",
        "pca2",
        "tr",
        "klhl11",
        "ampar",
        "gababr",
        "mglur5",
        "vgcc",
        "nmdar",
        "lgi1",
        "caspr2",
        "gad65",
        "mglur1",
        "gabaar",
        "dppx",
        "glyr",
        "gfap",
        "achr",
        "vgkc",
    ),
    "syndrome": (
        "encephalomyelitis",
        "limbic_encephalitis",
        "cerebellar_degeneration",
        "opsoclonus_myoclonus",
        "sensory_neuronopathy",
        "gi_pseudo_obstruction",
        "lems",
        "brainstem_encephalitis",
        "polyradiculoneuropathy",
        "myelopathy",
        "stiff_person",
        "morvan",
        "neuromyotonia",
        "nmdar_encephalitis",
        "myasthenia_gravis",
    ),
    "symptom": (
        "memory_loss",
        "confusion",
        "behaviour_change",
        "hallucinations",
        "seizures",
        "sleep_problems",
        "unsteady_walking",
        "clumsiness",
        "dizziness",
        "slurred_speech",
        "double_vision",
        "involuntary_eye_movements",
        "drooping_eyelids",
        "hearing_loss",
        "swallowing_difficulty",
        "involuntary_movements",
        "numbness",
        "burning_pain",
        "weakness",
        "fatigue",
        "muscle_stiffness",
        "muscle_spasms",
        "muscle_twitching",
        "sweating",
        "dry_mouth",
        "gut_problems",
        "bladder_problems",
        "vision_loss",
        "handwriting_changes",
        "breathing_difficulty",
        "taste_change",
        "weight_loss",
    ),
    "cancer": (
        "lung",
        "sclc",
        "nsclc",
        "breast",
        "ovarian",
        "ovarian_teratoma",
        "testicular",
        "thymoma",
        "hodgkin_lymphoma",
        "lymphoma",
        "neuroblastoma",
        "neuroendocrine",
        "prostate",
        "melanoma",
    ),
    "test": (
        "antibody_test",
        "mri",
        "eeg",
        "lumbar_puncture",
        "emg",
        "enmg",
        "repetitive_nerve_stimulation",
        "ct",
        "pet_ct",
        "mammography",
        "ultrasound",
    ),
    "treatment": (
        "tumour_treatment",
        "surgery",
        "chemotherapy",
        "radiotherapy",
        "immunosuppression",
        "steroids",
        "ivig",
        "plasma_exchange",
        "rituximab",
        "cyclophosphamide",
        "amifampridine",
        "symptomatic",
        "antiseizure",
        "rehabilitation",
        "checkpoint_inhibitors",
    ),
}
