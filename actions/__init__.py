"""Custom actions of PNS Assistant, served by the rasa-sdk action server
(``rasa run actions --actions actions``). Content comes from the KB via :mod:`kb.answers`."""
