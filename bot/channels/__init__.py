"""Rasa input channels of the assistant, loaded by the Rasa server from ``credentials.yml``.

Rasa 3.6's own connectors are close but not safe enough for a clinic's public surfaces:

- :mod:`bot.channels.rest` — the REST channel with a body size limit and 4xx answers on
  malformed requests (Rasa's answers 500 on a JSON list and files nameless messages under
  one shared ``"default"`` conversation);
- :mod:`bot.channels.socketio` — the web widget's socket.io channel; Rasa's never joins
  the session room on python-socketio 5.x, so replies are lost, and it starts the session
  (disclosure) only at the first typed message;
- :mod:`bot.channels.telegram` — Telegram, authenticated by the webhook secret token;
- :mod:`bot.channels.limits` — the limits and checks the three share;
- :mod:`bot.channels.credentials` — writes the credentials file Rasa is started with,
  leaving out channels whose environment variables are not set.
"""

#: The Telegram channel's key in ``credentials.yml`` (its class path).
TELEGRAM_CHANNEL = "bot.channels.telegram.SecretTelegramInput"
