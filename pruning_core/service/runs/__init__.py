"""Run directories: every job recorded on disk as it goes (``store``), what their files hold (``records``), and
their upkeep - recovery after a crash and the disk limits (``retention``)."""
