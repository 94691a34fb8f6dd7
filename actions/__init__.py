"""Custom actions of PNS Assistant, served by the project's rasa-sdk action server
(``python -m bot.action_server``, which checks the Rasa servers' shared secret; ``make run``
starts it). Content comes from the KB via :mod:`kb.answers`."""
