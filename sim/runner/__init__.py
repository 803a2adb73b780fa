"""The runner layer (the architecture's run/; named so that `sim.run` stays the API function): replications
and their seeds, the engine call, executors (serial, process pool, Dask), signals, sweep points and resume
bookkeeping, the estimate guard and folder locks. It runs the engines of `sim.model` and hands each
replication's output to a job the layer above gives it; it imports nothing from output, present or cli."""
