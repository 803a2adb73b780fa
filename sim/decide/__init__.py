"""Decision tools: recommend, calibrate, forecast, built on the same replications.

They sit above `sim.output` and below `sim.present` and `sim.cli`: they call `sim.run` (the same engines,
seeds and tables as `inmail-sim run`) and write a results-like folder of their own."""
