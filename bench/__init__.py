"""Performance benchmark of the running assistant (``make bench``); see bench/run.py."""
