"""``python -m bot.rasa_server run …``: Rasa's command line with contact details redacted from logs.

The same as ``python -m rasa``, started by :mod:`bot.launcher`; the only difference is
:mod:`bot.log_redaction`, installed before Rasa creates its first logger.
"""
from __future__ import annotations

from bot import log_redaction

if __name__ == "__main__":
    log_redaction.install()
    from rasa.__main__ import main

    main()
