"""`report.html`: one self-contained page (inline CSS, JS and plots) to read a run in a browser.

It holds the comparison, the seed's summary lines per model and suite, every case with mismatch
rows in red (name) or yellow (arguments), filters by model, suite and category, a per-prompt view
of the models side by side (base against fine-tuned), per-function scores and confusion matrices.
Plans of several calls read as numbered steps, and every case shows its step accuracy.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape
from pathlib import Path

from copilot import redact
from evaluation.metrics import (
    RunSummary,
    confusion,
    group,
    models_of,
    per_function,
    suites_of,
    summarise,
)
from evaluation.report_terminal import SHORT, steps_cell, summary_lines
from evaluation.results import CaseResult, plan_text, plans_text
from evaluation.stats import ci_text, paired, paired_line

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 7px;
vertical-align:top}th{background:#f3f3f3;text-align:left}td.n{text-align:right}
tr.bad td,td.bad{background:#f4a6a6;color:#000}tr.warn td,td.warn{background:#fbe7a1;color:#000}
tr.diff td.prompt{border-left:4px solid #c00}.ok{color:#070}.no{color:#b00;font-weight:bold}
code{font-size:12px}.lines{font-family:monospace;white-space:pre;background:#f7f7f7;
padding:6px;display:inline-block}.filters select,.filters label{margin-right:14px}
.err{color:#b00}img{max-width:min(100%,1100px);border:1px solid #eee;margin:6px 0}
.muted{color:#777}.filters{position:sticky;top:0;background:#fff;padding:8px 0;z-index:1;
border-bottom:1px solid #ddd}table.wide{width:100%}td.prompt{min-width:14em}
code{word-break:break-word}
td.c0{color:#ccc}td.hit{background:#d8efd8}td.miss{background:#f4c2c2;font-weight:bold}
"""

JS = """
function fromHash(){
  const p=new URLSearchParams(location.hash.slice(1));
  for(const k of ['model','suite','category']){
    const el=document.getElementById('f-'+k); if(p.has(k)) el.value=p.get(k);
  }
  document.getElementById('f-bad').checked=p.get('bad')==='1';
  applyFilters();
}
function toHash(){
  const p=new URLSearchParams();
  for(const k of ['model','suite','category']){
    const v=document.getElementById('f-'+k).value; if(v) p.set(k,v);
  }
  if(document.getElementById('f-bad').checked) p.set('bad','1');
  history.replaceState(null,'','#'+p.toString());
}
window.addEventListener('DOMContentLoaded',fromHash);
function applyFilters(){
  const f={model:document.getElementById('f-model').value,
           suite:document.getElementById('f-suite').value,
           category:document.getElementById('f-category').value};
  const bad=document.getElementById('f-bad').checked;
  let shown=0;
  document.querySelectorAll('tr[data-model], tr[data-suite]').forEach(tr=>{
    let ok=true;
    for(const k of ['model','suite','category']){
      const v=tr.dataset[k];
      if(f[k] && v!==undefined && v!==f[k]) ok=false;
    }
    if(bad && tr.dataset.ok==='1') ok=false;
    tr.style.display=ok?'':'none';
    if(ok && tr.closest('#cases')) shown++;
  });
  document.getElementById('shown').textContent=shown;
  toHash();
}
"""


def _select(name: str, values: Sequence[str]) -> str:
    options = "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)
    return (
        f'<label>{name} <select id="f-{name}" onchange="applyFilters()">'
        f'<option value="">all</option>{options}</select></label>'
    )


def _mark(flag: bool) -> str:
    return '<span class="ok">✓</span>' if flag else '<span class="no">✗</span>'


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _row_class(r: CaseResult) -> str:
    """Red for a wrong function name (the seed's mismatch), yellow for wrong arguments."""
    return "bad" if not r.name_match else ("warn" if not r.call_match else "")


def _expected(r: CaseResult) -> str:
    """The acceptable plans: one-call answers as `a; b`, plans as numbered steps, one a line."""
    plans = r.expected_plans or [[call] for call in r.expected]
    return escape(plans_text(plans, "\n")).replace("\n", '<br><span class="muted">or</span> ')


def _actual(r: CaseResult) -> str:
    """The calls as written (the raw output on hover), and the error if there was one."""
    text = escape(plan_text(r.actual))
    if r.error:
        text += f' <span class="err">{escape(r.error)}</span>'
    text = text or '<span class="muted">(nothing)</span>'
    return f'<span title="{escape(r.raw[:500])}">{text}</span>' if r.raw else text


def _pct_ci(s: RunSummary, metric: str) -> str:
    value = getattr(s, metric)
    if value is None:
        return _pct(value)
    return f'{_pct(value)}<br><span class="muted">{ci_text(s.ci95.get(metric))}</span>'


def _paired(results: Sequence[CaseResult]) -> str:
    """Each pair of models on the same cases: the difference and the exact McNemar test."""
    pairs = paired(results)
    if not pairs:
        return ""
    items = "".join(f"<li>{escape(paired_line(p))}</li>" for p in pairs)
    return f"<h2>Paired comparison (call match)</h2><ul>{items}</ul>"


def _comparison(results: Sequence[CaseResult]) -> str:
    head = (
        "<tr><th>suite</th><th>model</th><th>n</th><th>name</th><th>call</th><th>valid</th>"
        "<th>executed</th><th>steps</th><th>reject recall</th><th>p50 ms</th><th>p95 ms</th>"
        "<th>tokens</th>"
        "<th>errors</th></tr>"
    )
    rows = []
    for (model, suite), rs in group(results).items():
        s = summarise(model, suite, rs)
        cells = [
            str(s.n), _pct_ci(s, "name_match"), _pct_ci(s, "call_match"), _pct_ci(s, "valid"),
            _pct_ci(s, "executed_match"), _pct(s.step_accuracy), _pct_ci(s, "reject_recall"),
            f"{s.latency_ms_p50:.0f}", f"{s.latency_ms_p95:.0f}", f"{s.tokens_avg:.1f}",
            str(s.errors),
        ]  # fmt: skip
        rows.append(
            f'<tr data-model="{escape(model)}" data-suite="{escape(suite)}">'
            f"<td>{escape(suite)}</td><td>{escape(model)}</td>"
            + "".join(f'<td class="n">{c}</td>' for c in cells)
            + "</tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _seed_lines(results: Sequence[CaseResult]) -> str:
    blocks = []
    for (model, suite), rs in group(results).items():
        text = escape("\n".join(summary_lines(summarise(model, suite, rs))))
        blocks.append(f"<h3>{escape(model)} · {escape(suite)}</h3><div class=lines>{text}</div>")
    return "".join(blocks)


def _cases(results: Sequence[CaseResult]) -> str:
    head = (
        "<tr><th>model</th><th>suite</th><th>category</th><th>id</th><th>prompt</th>"
        "<th>actual</th><th>expected</th><th>name</th><th>call</th><th>valid</th><th>exec</th>"
        "<th>steps</th><th>ms</th><th>tokens</th></tr>"
    )
    rows = []
    for r in results:
        cls = _row_class(r)
        cached = " (cached)" if r.cached else ""
        rows.append(
            f'<tr class="{cls}" data-model="{escape(r.model)}" data-suite="{escape(r.suite)}" '
            f'data-category="{escape(r.category)}" data-ok="{int(r.call_match)}">'
            f"<td>{escape(r.model)}</td><td>{escape(r.suite)}</td><td>{escape(r.category)}</td>"
            f"<td>{escape(r.id)}</td><td class=prompt>{escape(r.prompt)}</td><td><code>{_actual(r)}</code></td>"
            f"<td><code>{_expected(r)}</code></td>"
            f"<td>{_mark(r.name_match)}</td><td>{_mark(r.call_match)}</td>"
            f"<td>{_mark(r.valid)}</td><td>{_mark(r.executed_match)}</td>"
            f'<td class="n">{steps_cell(r)}</td>'
            f'<td class="n" title="{cached.strip()}">{r.latency_ms:.0f}{"*" if r.cached else ""}'
            f'</td><td class="n">{r.tokens}</td></tr>'
        )
    return f'<table id="cases" class="wide">{head}{"".join(rows)}</table>'


def _side_by_side(results: Sequence[CaseResult]) -> str:
    """One row per prompt, one column per model: base against fine-tuned at a glance."""
    models = models_of(results)
    by_case: dict[tuple[str, str], dict[str, CaseResult]] = {}
    for r in results:
        by_case.setdefault((r.suite, r.id), {})[r.model] = r
    head = "<tr><th>suite</th><th>prompt</th><th>expected</th>" + "".join(
        f"<th>{escape(m)}</th>" for m in models
    )
    rows = []
    for (suite, _), per_model in by_case.items():
        first = next(iter(per_model.values()))
        verdicts = {r.call_match for r in per_model.values()}
        cells = []
        for m in models:
            r = per_model.get(m)
            if r is None:
                cells.append('<td class="muted">—</td>')
            else:
                cells.append(
                    f'<td class="{_row_class(r)}">{_mark(r.call_match)} <code>{_actual(r)}</code></td>'
                )
        diff = " diff" if len(verdicts) > 1 else ""
        ok = int(all(r.call_match for r in per_model.values()))
        rows.append(
            f'<tr class="{diff.strip()}" data-suite="{escape(suite)}" '
            f'data-category="{escape(first.category)}" data-ok="{ok}">'
            f"<td>{escape(suite)}</td><td class=prompt>{escape(first.prompt)}</td>"
            f"<td><code>{_expected(first)}</code></td>{''.join(cells)}</tr>"
        )
    return f"<table class=wide>{head}{''.join(rows)}</table>"


def _functions(results: Sequence[CaseResult]) -> str:
    parts = []
    for model in models_of(results):
        rs = [r for r in results if r.model == model]
        rows = "".join(
            f"<tr><td>{f.name}</td><td class=n>{f.support}</td><td class=n>{f.predicted}</td>"
            f"<td class=n>{_pct(f.precision)}</td><td class=n>{_pct(f.recall)}</td></tr>"
            for f in per_function(rs)
        )
        labels, cols, counts = confusion(rs)
        matrix = "<tr><th>expected \\ got</th>" + "".join(
            f'<th title="{c}">{SHORT.get(c, c)}</th>' for c in cols
        )
        for name, line in zip(labels, counts, strict=True):
            matrix += f"<tr><th>{escape(name)}</th>"
            for col, n in zip(cols, line, strict=True):
                cls = "c0" if not n else ("hit" if col == name else "miss")
                matrix += f'<td class="n {cls}">{n or "·"}</td>'
            matrix += "</tr>"
        parts.append(
            f"<h3>{escape(model)}</h3><table><tr><th>function</th><th>expected</th>"
            f"<th>predicted</th><th>precision</th><th>recall</th></tr>{rows}</table>"
            f"<p>Confusion matrix (rows: expected; columns: first call):</p>"
            f"<table>{matrix}</table>"
        )
    return "".join(parts)


def _image(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{path.stem}" src="data:image/png;base64,{data}">'


def render_html(
    results: Sequence[CaseResult],
    title: str,
    plots: Sequence[Path] = (),
    model_errors: dict[str, str] | None = None,
    suite_errors: Sequence[str] = (),
) -> str:
    """The whole page as a string."""
    models, suites = models_of(results), suites_of(results)
    categories = list(dict.fromkeys(r.category for r in results))
    problems = "".join(
        f'<li class="err"><b>{escape(m)}</b> could not run: {escape(e)}</li>'
        for m, e in (model_errors or {}).items()
    ) + "".join(f'<li class="err">{escape(e)}</li>' for e in suite_errors)
    filters = (
        '<p class="filters">'
        + _select("model", models)
        + _select("suite", suites)
        + _select("category", categories)
        + '<label><input type="checkbox" id="f-bad" onchange="applyFilters()"> mismatches only'
        + f'</label> <span class="muted"><span id="shown">{len(results)}</span> cases shown'
        + "</span></p>"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{CSS}</style><script>{JS}</script></head><body>"
        f"<h1>{escape(title)}</h1>"
        f"<p>{len(results)} results · models: {escape(', '.join(models))} · suites: "
        f"{escape(', '.join(suites))}. Red rows: wrong function name (the seed's metric); "
        f"yellow rows: right name, wrong or invalid arguments. * latency first measured, "
        f"answer from the cache.</p>"
        + (f"<h2>Problems</h2><ul>{problems}</ul>" if problems else "")
        + filters
        + "<h2>Comparison</h2><p class=muted>Below each share: its 95% Wilson interval."
        + f"</p>{_comparison(results)}"
        + _paired(results)
        + f"<h2>Per prompt, models side by side</h2>{_side_by_side(results)}"
        + "<h2>Plots</h2>"
        + "".join(_image(p) for p in plots if p.exists())
        + f"<h2>All cases</h2>{_cases(results)}"
        + f"<h2>Summary lines (seed style)</h2>{_seed_lines(results)}"
        + f"<h2>Per function</h2>{_functions(results)}"
        + "</body></html>"
    )


def write_html(path: Path, results: Sequence[CaseResult], **kwargs: object) -> Path:
    html = render_html(results, **kwargs)  # type: ignore[arg-type]
    path.write_text(redact(html), encoding="utf-8")
    return path
