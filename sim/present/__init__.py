"""The presentation layer: figures, the HTML report and the plain words that describe a run, reading the
resolved rules (never restating a rule value) and the KPI registry."""
