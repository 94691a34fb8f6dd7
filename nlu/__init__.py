"""NLU of PNS Assistant: training data (``*.yml``), the spaCy pipeline built from KB
vocabulary (:mod:`nlu.spacy_pipeline`) and the Rasa component that turns its matches into
canonical entity ids (:mod:`nlu.kb_entities`)."""
