"""The clinic's web surface: a demo page with the chat widget (``python -m bot.web``).

- ``server.py`` — the aiohttp page server (page, widget files, socket.io client from npm);
- ``templates/index.html`` — the page: what the centre is, with the widget's markup;
- ``static/chat.js``, ``chat.css`` — the widget, a client of Rasa's socket.io channel;
- ``package.json`` / ``package-lock.json`` — npm files installed into ``node_modules``.
"""
