"""The config layer: a scenario file's schema, cross-field checks, YAML reader, error messages and `--set`
overrides. It turns user input into a validated `Scenario` (or a one-line error naming the field) and
imports only `sim.rules` below it."""
