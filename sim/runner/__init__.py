"""The runner layer (the architecture's run/; named so that `sim.run` stays the API function): replications
and their seeds, executors (serial, process pool, Dask), sweeps, the estimate guard and folder locks. It runs
the engines of `sim.model`; it knows nothing of tables or plots."""
