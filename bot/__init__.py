"""Runtime of PNS Assistant: settings, build steps, process start-up (``python -m bot``)."""
