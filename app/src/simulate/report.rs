//! `simulate --report FILE.html`: one self-contained HTML page (inline
//! SVG, inline CSS, no script, no external asset) with the run's charts —
//! index and mark, the insurance fund's balance, open interest — marked
//! where liquidations, takeovers, bankruptcies (insurance cover), ADL and
//! socialized losses happened, and the summary in tables.

use super::{Marker, SeriesPoint, Summary};
use std::fmt::Write;

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Colour and legend label of a marker kind.
fn marker_style(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "liquidation" => ("#e67e22", "liquidation"),
        "takeover" => ("#16a085", "takeover"),
        "bankruptcy" => ("#c0392b", "bankruptcy (insurance cover)"),
        "adl" => ("#8e44ad", "ADL"),
        "socialized" => ("#2c3e50", "socialized loss"),
        _ => ("#7f8c8d", "event"),
    }
}

struct Line<'a> {
    label: &'a str,
    colour: &'a str,
    values: Vec<f64>,
}

const W: f64 = 860.0;
const H: f64 = 260.0;
const L: f64 = 70.0;
const R: f64 = 20.0;
const T: f64 = 20.0;
const B: f64 = 36.0;

fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// One line chart over the steps, with vertical markers.
fn chart(title: &str, unit: &str, steps: &[u32], lines: &[Line], markers: &[Marker]) -> String {
    let mut svg = String::new();
    let n = steps.len();
    let all: Vec<f64> = lines
        .iter()
        .flat_map(|l| l.values.iter().copied())
        .filter(|v| v.is_finite())
        .collect();
    let (mut lo, mut hi) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    if !lo.is_finite() {
        lo = 0.0;
        hi = 1.0;
    }
    if (hi - lo).abs() < 1e-9 {
        let pad = if hi.abs() > 0.0 { hi.abs() * 0.05 } else { 1.0 };
        lo -= pad;
        hi += pad;
    } else {
        let pad = (hi - lo) * 0.06;
        lo -= pad;
        hi += pad;
    }
    let (s0, s1) = (
        *steps.first().unwrap_or(&0) as f64,
        *steps.last().unwrap_or(&1) as f64,
    );
    let span = if s1 > s0 { s1 - s0 } else { 1.0 };
    let x = |s: f64| L + (s - s0) / span * (W - L - R);
    let y = |v: f64| T + (hi - v) / (hi - lo) * (H - T - B);
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{t}">"##,
        t = esc(title)
    );
    let _ = write!(
        svg,
        r##"<rect x="{L}" y="{T}" width="{w}" height="{h}" fill="#fbfbfd" stroke="#ccd"/>"##,
        w = W - L - R,
        h = H - T - B
    );
    // Grid and y labels.
    for i in 0..=4 {
        let v = lo + (hi - lo) * i as f64 / 4.0;
        let yy = y(v);
        let _ = write!(
            svg,
            r##"<line x1="{L}" y1="{yy:.1}" x2="{x2}" y2="{yy:.1}" stroke="#e4e4ee"/><text x="{tx}" y="{ty:.1}" font-size="11" text-anchor="end" fill="#555">{lab}</text>"##,
            x2 = W - R,
            tx = L - 6.0,
            ty = yy + 4.0,
            lab = esc(&fmt_num(v))
        );
    }
    // x labels: about 8 steps.
    let every = (n / 8).max(1);
    for (i, s) in steps.iter().enumerate() {
        if i % every == 0 || i + 1 == n {
            let xx = x(*s as f64);
            let _ = write!(
                svg,
                r##"<text x="{xx:.1}" y="{ty}" font-size="11" text-anchor="middle" fill="#555">{s}</text>"##,
                ty = H - B + 16.0
            );
        }
    }
    let _ = write!(
        svg,
        r##"<text x="{cx}" y="{ty}" font-size="11" text-anchor="middle" fill="#555">step</text><text x="14" y="{cy}" font-size="11" fill="#555" transform="rotate(-90 14 {cy})" text-anchor="middle">{u}</text>"##,
        cx = (L + W - R) / 2.0,
        ty = H - 4.0,
        cy = (T + H - B) / 2.0,
        u = esc(unit)
    );
    // Markers: a dashed vertical line per (step, kind).
    let mut seen = std::collections::BTreeSet::new();
    for m in markers {
        if !seen.insert((m.step, m.kind)) {
            continue;
        }
        let (colour, label) = marker_style(m.kind);
        let xx = x(m.step as f64);
        let _ = write!(
            svg,
            r##"<line class="marker {k}" x1="{xx:.1}" y1="{T}" x2="{xx:.1}" y2="{yb}" stroke="{colour}" stroke-width="1.5" stroke-dasharray="4 3" opacity="0.8"><title>step {s}: {label}</title></line>"##,
            k = esc(m.kind),
            yb = H - B,
            s = m.step
        );
    }
    // Lines.
    for l in lines {
        let mut d = String::new();
        for (i, (s, v)) in steps.iter().zip(&l.values).enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1}",
                if i == 0 { "M" } else { " L" },
                x(*s as f64),
                y(*v)
            );
        }
        let _ = write!(
            svg,
            r##"<path d="{d}" fill="none" stroke="{c}" stroke-width="2"><title>{t}</title></path>"##,
            c = l.colour,
            t = esc(l.label)
        );
    }
    // Legend.
    let mut lx = L + 8.0;
    for l in lines {
        let _ = write!(
            svg,
            r##"<rect x="{lx}" y="{ly}" width="12" height="3" fill="{c}"/><text x="{tx}" y="{ty}" font-size="11" fill="#333">{t}</text>"##,
            ly = T + 8.0,
            c = l.colour,
            tx = lx + 16.0,
            ty = T + 12.0,
            t = esc(l.label)
        );
        lx += 24.0 + 7.0 * l.label.len() as f64;
    }
    svg.push_str("</svg>");
    format!("<section><h2>{}</h2>{svg}</section>\n", esc(title))
}

/// The report page for a finished run.
pub fn html_report(s: &Summary) -> String {
    let pts: &[SeriesPoint] = &s.series;
    let steps: Vec<u32> = pts.iter().map(|p| p.step).collect();
    let lpu = s.base_lots_per_unit.max(1) as f64;
    let mut html = String::new();
    let title = format!("Bulwark simulate — {} on {}", s.scenario, s.market);
    let _ = writeln!(
        html,
        r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{t}</title>
<style>
body{{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:900px;color:#222}}
h1{{font-size:22px}} h2{{font-size:16px;margin:22px 0 6px}}
table{{border-collapse:collapse;font-size:13px;margin:6px 0}} td,th{{border:1px solid #dde;padding:3px 8px;text-align:right}}
th{{background:#f3f3f8}} td.l,th.l{{text-align:left}}
.ok{{color:#1e8449;font-weight:bold}} .bad{{color:#c0392b;font-weight:bold}}
.legend span{{display:inline-block;margin-right:14px;font-size:12px}}
.legend i{{display:inline-block;width:14px;height:0;border-top:2px dashed;margin-right:4px;vertical-align:middle}}
</style></head><body>
<h1>{t}</h1>"##,
        t = esc(&title)
    );
    let _ = writeln!(
        html,
        r##"<p>{steps} steps, {traders} traders, {fills} fills, volume {vol:.2} USD. Invariants: <span class="{cls}">{inv}</span> after {checks} checks.</p>"##,
        steps = s.steps,
        traders = s.traders,
        fills = s.fills.len(),
        vol = s.volume_usd,
        cls = if s.invariants_ok { "ok" } else { "bad" },
        inv = if s.invariants_ok { "OK" } else { "VIOLATED" },
        checks = s.invariant_checks
    );
    html.push_str(r##"<p class="legend">"##);
    for k in ["liquidation", "takeover", "bankruptcy", "adl", "socialized"] {
        let (c, label) = marker_style(k);
        let _ = write!(
            html,
            r##"<span><i style="border-color:{c}"></i>{}</span>"##,
            esc(label)
        );
    }
    html.push_str("</p>\n");
    if pts.is_empty() {
        html.push_str("<p>No steps were recorded.</p>\n");
    } else {
        html.push_str(&chart(
            "Index and mark",
            "USD",
            &steps,
            &[
                Line {
                    label: "index",
                    colour: "#2874a6",
                    values: pts.iter().map(|p| p.index).collect(),
                },
                Line {
                    label: "mark",
                    colour: "#e74c3c",
                    values: pts.iter().map(|p| p.mark).collect(),
                },
            ],
            &s.markers,
        ));
        html.push_str(&chart(
            "Insurance fund balance",
            "USD",
            &steps,
            &[Line {
                label: "insurance balance",
                colour: "#27ae60",
                values: pts.iter().map(|p| p.insurance).collect(),
            }],
            &s.markers,
        ));
        html.push_str(&chart(
            "Open interest",
            "base units",
            &steps,
            &[Line {
                label: "open interest",
                colour: "#7d3c98",
                values: pts
                    .iter()
                    .map(|p| p.open_interest_lots as f64 / lpu)
                    .collect(),
            }],
            &s.markers,
        ));
    }
    // Waterfall counts and the insurance fund.
    let _ = writeln!(
        html,
        r##"<h2>Waterfall</h2><table><tr><th class="l">liquidations</th><th class="l">partial</th><th class="l">takeovers</th><th class="l">bankruptcies</th><th class="l">ADL events</th><th class="l">socialized</th></tr>
<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>"##,
        s.liquidations,
        s.partial_liquidations,
        s.takeovers,
        s.bankruptcies,
        s.adl_events,
        s.socialized_loss_events
    );
    let ins = &s.insurance;
    let _ = writeln!(
        html,
        r##"<h2>Insurance fund</h2><table><tr><th class="l">start USD</th><th class="l">end USD</th><th class="l">ledger entries</th><th class="l">hash chain</th></tr>
<tr><td>{:.2}</td><td>{:.2}</td><td>{}</td><td class="{}">{}</td></tr></table><table><tr><th class="l">flow</th><th>USD</th></tr>"##,
        ins.start,
        ins.end,
        ins.ledger_entries,
        if ins.hash_chain_ok { "ok" } else { "bad" },
        if ins.hash_chain_ok { "OK" } else { "BROKEN" }
    );
    for (k, v) in &ins.inflows {
        let _ = writeln!(
            html,
            r##"<tr><td class="l">in: {}</td><td>{v:.2}</td></tr>"##,
            esc(k)
        );
    }
    for (k, v) in &ins.outflows {
        let _ = writeln!(
            html,
            r##"<tr><td class="l">out: {}</td><td>{v:.2}</td></tr>"##,
            esc(k)
        );
    }
    html.push_str("</table>\n");
    if !s.markers.is_empty() {
        html.push_str(
            r##"<h2>Events</h2><table><tr><th>step</th><th class="l">event</th><th class="l">trader</th><th class="l">detail</th></tr>
"##,
        );
        for m in &s.markers {
            let (c, label) = marker_style(m.kind);
            let _ = writeln!(
                html,
                r##"<tr><td>{}</td><td class="l" style="color:{c}">{}</td><td class="l">{}</td><td class="l">{}</td></tr>"##,
                m.step,
                esc(label),
                esc(&m.trader),
                esc(&m.detail)
            );
        }
        html.push_str("</table>\n");
    }
    if !s.positions.is_empty() {
        html.push_str(
            r##"<h2>Positions at the end</h2><table><tr><th class="l">trader</th><th>lots</th><th>collateral USD</th><th>uPnL USD</th><th>orders</th></tr>
"##,
        );
        for p in &s.positions {
            let _ = writeln!(
                html,
                r##"<tr><td class="l">{}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td><td>{}</td></tr>"##,
                esc(&p.trader),
                p.base_lots,
                p.collateral,
                p.unrealized_pnl,
                p.open_orders
            );
        }
        html.push_str("</table>\n");
    }
    if !s.violations.is_empty() {
        html.push_str(r##"<h2 class="bad">Violations</h2><ul>"##);
        for v in &s.violations {
            let _ = write!(html, "<li>{}</li>", esc(v));
        }
        html.push_str("</ul>\n");
    }
    html.push_str("</body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_is_self_contained_and_escaped() {
        let s = Summary {
            scenario: "x<y>".into(),
            market: "BTC-PERP".into(),
            base_lots_per_unit: 10_000,
            series: (1..=5)
                .map(|i| SeriesPoint {
                    step: i,
                    index: 100.0 - i as f64,
                    mark: 100.5 - i as f64,
                    insurance: 1_000.0,
                    open_interest_lots: 10_000 * i as u64,
                })
                .collect(),
            markers: vec![Marker {
                step: 3,
                kind: "bankruptcy",
                trader: "a&b".into(),
                detail: "d".into(),
            }],
            invariants_ok: true,
            ..Default::default()
        };
        let h = html_report(&s);
        assert!(h.starts_with("<!DOCTYPE html>"));
        assert_eq!(h.matches("<svg").count(), 3);
        assert!(h.contains("x&lt;y&gt;") && h.contains("a&amp;b"));
        assert!(h.contains(r#"class="marker bankruptcy""#));
        assert!(!h.contains("http://") || h.matches("http://").count() == 3); // only SVG xmlns
        assert!(!h.contains("<script") && !h.contains("src=") && !h.contains("href="));
    }
}
