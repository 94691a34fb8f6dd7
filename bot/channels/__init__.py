"""Rasa input channels of the assistant, loaded by the Rasa server from ``credentials.yml``.

Rasa 3.6's own connectors are close but not safe enough for a clinic's public surfaces:

- :mod:`bot.channels.rest` — the REST channel with a body size limit and 4xx answers on
  malformed requests (Rasa's answers 500 on a JSON list and files nameless messages under
  one shared ``"default"`` conversation);
- :mod:`bot.channels.socketio` — the web widget's socket.io channel; Rasa's never joins
  the session room on python-socketio 5.x, so replies are lost, and it starts the session
  (disclosure) only at the first typed message;
- :mod:`bot.channels.telegram` — Telegram, authenticated by the webhook secret token;
- :mod:`bot.channels.max` — MAX (VK's messenger), webhook with a secret header;
- :mod:`bot.channels.vk` — VK community messages through the Callback API;
- :mod:`bot.channels.pipeline` — the one input path all of them use (body limits, checks,
  control characters, rate limit, "temporarily unavailable"), with
  :mod:`bot.channels.limits`, :mod:`bot.channels.rate_limit`, :mod:`bot.channels.silence`;
- :mod:`bot.channels.texts` — what the channels themselves say, in Russian and English;
- :mod:`bot.channels.credentials` — writes the credentials file Rasa is started with,
  leaving out channels whose environment variables are not set.
"""

#: The messaging channels' keys in ``credentials.yml`` (their class paths).
TELEGRAM_CHANNEL = "bot.channels.telegram.SecretTelegramInput"
MAX_CHANNEL = "bot.channels.max.MaxInput"
VK_CHANNEL = "bot.channels.vk.VkInput"
