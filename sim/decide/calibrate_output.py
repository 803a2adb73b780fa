"""The calibration folder: the fitted scenario (YAML with a comment block saying what was fitted from what),
fitted.json, the goodness-of-fit figure and report.html (a Jinja2 template of its own).

The folder is written by `sim.output.storage.atomic_folder`: built beside its destination, renamed into place
when complete, and an existing folder replaced only with `force` and only when this tool made it."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import yaml
from matplotlib.figure import Figure
from scipy import stats

from ..output.storage import atomic_folder
from .calibrate import Calibration
from .calibrate_check import percentiles

FIGURE = "calibration_fit.png"
FITTED = "fitted.json"


def _sig(value: float, digits: int = 4) -> float:
    if not math.isfinite(value) or value == 0:
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def _round_floats(data: Any) -> Any:
    if isinstance(data, float):
        return _sig(data)
    if isinstance(data, dict):
        return {k: _round_floats(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_round_floats(v) for v in data]
    return data


def fitted_yaml(cal: Calibration) -> str:
    """The fitted scenario as YAML, its comment block listing every fitted value with its interval and source."""
    lines = [
        f"# Calibrated by `inmail-sim calibrate` from {cal.export.path.name} ({cal.export.layout} layout,",
        f"# report periods from {cal.export.first_day.isoformat()}, export date {cal.as_of.isoformat()}"
        + (f", responses counted within {cal.window:g} days" if cal.window else "")
        + ").",
        "# Fitted (scenario value -> fitted value, 95% interval; from what):",
    ]
    for s in cal.settings:
        flag = "" if s.identified else "  NOT IDENTIFIED: the interval reaches its search bound"
        lines.append(
            f"#   {s.key}: {_sig(s.default)} -> {_sig(s.value)} [{_sig(s.low)}, {_sig(s.high)}]; {s.source}{flag}"
        )
    lines.append("# Held at the scenario's values (the export cannot tell them apart):")
    lines += [f"#   - {text}" for text in cal.not_identified]
    if cal.check is not None:
        lines.append(
            f"# Posterior-predictive p-value {cal.check.p_value:.2f} (below 0.05: the model misses something "
            f"in the export); {cal.check.inside} of {len(cal.check.labels)} periods inside the simulator's "
            "95% band"
        )
    data = _round_floats(cal.fitted.model_dump(mode="json"))
    if data.get("sweep") is None:
        data.pop("sweep", None)
    data["description"] = (cal.scenario.description + " " if cal.scenario.description else "") + (
        f"Behaviour calibrated to {cal.export.path.name}."
    )
    return "\n".join(lines) + "\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _band(ax: Any, x: np.ndarray, sims: np.ndarray, label: str) -> None:
    if sims.size and np.isfinite(sims).any():
        low, mid, high = percentiles(sims, [2.5, 50, 97.5])
        ax.fill_between(x, low, high, color="tab:blue", alpha=0.2, label=f"{label} (95% band)")
        ax.plot(x, mid, color="tab:blue", lw=1, label=f"{label} (median)")


def _observed(ax: Any, x: np.ndarray, k: np.ndarray, n: np.ndarray, label: str) -> None:
    """Observed shares with Jeffreys 95% intervals."""
    used = n > 0
    share = np.where(used, k / np.where(used, n, 1), np.nan)
    low = stats.beta.ppf(0.025, k + 0.5, n - k + 0.5)
    high = stats.beta.ppf(0.975, k + 0.5, n - k + 0.5)
    ax.errorbar(
        x[used],
        share[used],
        yerr=[share[used] - low[used], high[used] - share[used]],
        fmt="o",
        ms=4,
        color="black",
        capsize=2,
        label=label,
    )


def figure(cal: Calibration) -> Figure:
    """Observed against simulated per period: answered share (with the fit's curve), accept share, sends."""
    check = cal.check
    assert check is not None
    x = np.arange(len(check.labels))
    fig = Figure(figsize=(9, 8), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(3, 1, sharex=True)
    answered = check.observed_rate * check.observed_sent
    _band(ax1, x, check.sim_rate, "simulated at fitted values")
    _observed(ax1, x, np.nan_to_num(answered), check.observed_sent, "export")
    ax1.plot(x, check.fitted_rate, color="tab:orange", lw=1.5, ls="--", label="likelihood fit")
    ax1.set_ylabel("answered by export date / sent")
    ax1.set_title(f"Calibration: observed against simulated (predictive check p = {check.p_value:.2f})")
    ax1.legend(fontsize=8)
    responded = np.nan_to_num(answered)
    _band(ax2, x, check.sim_accept, "simulated")
    _observed(ax2, x, np.nan_to_num(check.observed_accept * responded), responded, "export")
    ax2.set_ylabel("accepted / answered")
    _band(ax3, x, check.sim_sent, "simulated team")
    ax3.plot(x, check.observed_sent, "o", color="black", ms=4, label="export")
    ax3.set_ylabel("InMails sent")
    ax3.legend(fontsize=8)
    ax3.set_xticks(x, check.labels, rotation=60, fontsize=7)
    return fig


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Calibration: {{ name }}</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}
.no{color:#a00}</style></head><body>
<h1>Calibration of {{ name }}</h1>
<p>Export <code>{{ export }}</code> ({{ layout }} layout, {{ rows }} rows, {{ seats }} seats, {{ sent }} InMails
sent), report periods from {{ first }}, export date {{ as_of }}{% if window %}, responses counted within
{{ window }} days{% endif %}.
Method: maximum likelihood of the answered and accepted counts per period (binomial), the send times, candidate
mix and delays read from {{ replications }} replays of the scenario on the fast engine; 95% intervals from the
profile likelihood, widened for the replay's noise.</p>
<h2>Fitted values</h2>
<table><tr><th>scenario value</th><th>was</th><th>fitted</th><th>95% interval</th><th>from</th></tr>
{% for s in settings %}<tr><td><code>{{ s.key }}</code></td><td>{{ s.default }}</td><td>{{ s.value }}</td>
<td{% if not s.identified %} class="no"{% endif %}>{{ s.low }} to {{ s.high }}{% if not s.identified %}
(not identified: reaches its search bound){% endif %}</td><td>{{ s.source }}</td></tr>
{% endfor %}</table>
<h2>Not identified by this export (held at the scenario's values)</h2>
<ul>{% for t in not_identified %}<li>{{ t }}</li>{% endfor %}</ul>
<h2>Checks</h2>
<ul>
{% if check_p is not none %}<li>Posterior-predictive p-value {{ check_p }}: exports replicated from the fit's
chances at parameter sets drawn from its uncertainty, compared by a chi-square distance of the answered and
accepted counts per period (below 0.05: the model misses something in the export).</li>
<li>Whole simulator at {{ draws }} drawn parameter sets: {{ inside }} of {{ periods }} periods' answered shares
inside its 95% band (figure).</li>{% endif %}
<li>Seats alike? Pearson chi-square {{ spread[0] }} on {{ spread[1] }} degrees of freedom, p = {{ spread[2] }}.</li>
{% if weekday_p is not none %}<li>Weekday effect (likelihood-ratio test against none): p = {{ weekday_p }}.</li>
{% endif %}
</ul>
{% if figure %}<img src="{{ figure }}" alt="observed against simulated per period" style="max-width:100%">{% endif %}
{% if notes %}<h2>Notes</h2><ul>{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
{% if unknown %}<p>Unknown columns (not read): {{ unknown|join(", ") }}.</p>{% endif %}
<p>Files: <code>{{ scenario_file }}</code> (the fitted scenario), <code>fitted.json</code>.</p>
</body></html>
"""


def report_html(cal: Calibration, scenario_file: str, figure_file: str | None) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    rows = cal.export.rows
    shown = [
        {**s.__dict__, "default": _sig(s.default), "value": _sig(s.value), "low": _sig(s.low), "high": _sig(s.high)}
        for s in cal.settings
    ]
    return env.from_string(_TEMPLATE).render(
        name=cal.scenario.name,
        export=str(cal.export.path),
        layout=cal.export.layout,
        rows=len(rows),
        seats=rows["seat"].nunique(),
        sent=f"{rows['sent'].sum():,.0f}",
        first=cal.export.first_day.isoformat(),
        as_of=cal.as_of.isoformat(),
        window=cal.window,
        replications=cal.replications,
        settings=shown,
        not_identified=cal.not_identified,
        check_p=None if cal.check is None else f"{cal.check.p_value:.2f}",
        draws=0 if cal.check is None else len(cal.check.sim_rate),
        inside=0 if cal.check is None else cal.check.inside,
        periods=0 if cal.check is None else len(cal.check.labels),
        spread=(f"{cal.seat_spread[0]:.1f}", cal.seat_spread[1], f"{cal.seat_spread[2]:.2g}"),
        weekday_p=None if cal.weekday_p is None else f"{cal.weekday_p:.2g}",
        figure=figure_file,
        notes=[*cal.export.notes, *cal.notes],
        unknown=cal.export.unknown,
        scenario_file=scenario_file,
    )


def write_calibration(cal: Calibration, out: Path, force: bool = False, protect: Iterable[str | Path] = ()) -> Path:
    """Write the folder `out` (see `sim.output.storage.atomic_folder`: complete or not at all; `force`
    replaces only a folder this tool made; `protect`: files the command read, never inside `out`)."""
    with atomic_folder(out, force, kind="calibration", protect=[cal.export.path, *protect]) as tmp:
        scenario_file = f"{cal.scenario.name}.calibrated.yaml"
        (tmp / scenario_file).write_text(fitted_yaml(cal), encoding="utf-8")
        (tmp / FITTED).write_text(json.dumps(cal.as_json(), indent=2, default=str) + "\n", encoding="utf-8")
        figure_file = None
        if cal.check is not None:
            figure_file = FIGURE
            figure(cal).savefig(tmp / FIGURE, dpi=110)
        (tmp / "report.html").write_text(report_html(cal, scenario_file, figure_file), encoding="utf-8")
    return out
