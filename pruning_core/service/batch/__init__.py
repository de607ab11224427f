"""Many works at once on an executor: the fan-out they share (``fanout``), the CLI's sweeps (``sweep``) and the
classroom experiments' runs (``experiment_runs``)."""
