"""The config layer: a scenario file's schema (`schema`), cross-field checks (`checks`), safe YAML reader
(`yaml_reader`), error messages (`errors`, `explain`), `--set` overrides (`overrides`), loading (`load`),
sweep points (`sweeps`), `validate` and the JSON Schema export (`schema_export`); `scenario` gathers the names
other layers use. It turns user input into a validated `Scenario` (or a one-line error naming the field) and
imports only `sim.rules` below it."""
