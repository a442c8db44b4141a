"""The automation engine: graph schema, node catalog, conditions, runner, RQ jobs, triggers."""
