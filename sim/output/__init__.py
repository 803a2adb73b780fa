"""The output layer: the KPI registry, result tables, statistics (confidence intervals), storage of results
folders and the InMail analytics report, all computed from the replications that `sim.run` produced."""
