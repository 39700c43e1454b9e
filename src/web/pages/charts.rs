//! Charts drawn on the server as SVG (no script, no remote asset, no inline style: colours
//! are presentation attributes, so the page's CSP holds): the turnaround histogram with the
//! target line, the weekly trend, and the time per authority.

use std::fmt::Write;

/// Text safe inside SVG.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const INK: &str = "#1f2933";
const MUTED: &str = "#7b8794";
const GRID: &str = "#e4e7eb";
const GOOD: &str = "#2f855a";
const LATE: &str = "#dd6b20";
const TARGET: &str = "#c53030";
const LINE: &str = "#2b6cb0";
const SHARE: &str = "#bee3f8";

fn open_svg(out: &mut String, width: f64, height: f64, title: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{t}" font-family="sans-serif" font-size="11"><title>{t}</title>"#,
        t = esc(title)
    );
}

fn text(out: &mut String, x: f64, y: f64, anchor: &str, fill: &str, body: &str) {
    let _ = write!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" fill="{fill}">{}</text>"#,
        esc(body)
    );
}

fn line(out: &mut String, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str, dashed: bool) {
    let dash = if dashed {
        r#" stroke-dasharray="5 3""#
    } else {
        ""
    };
    let _ = write!(
        out,
        r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" stroke-width="1.5"{dash}/>"#
    );
}

fn rect(out: &mut String, x: f64, y: f64, w: f64, h: f64, fill: &str, title: &str) {
    let _ = write!(
        out,
        r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}"><title>{}</title></rect>"#,
        esc(title)
    );
}

/// A round step for an axis up to `max` with about four ticks.
fn step_for(max: f64) -> f64 {
    let raw = (max / 4.0).max(1.0);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(raw)
}

/// Labels of a chart, in the reader's language.
pub struct HistogramLabels<'a> {
    pub title: &'a str,
    pub target: &'a str,
    pub hours: &'a str,
    pub applications: &'a str,
}

/// Decided applications per `bin_hours` of net time, `bins` bins (the last one open-ended),
/// bars within the target green and the others orange, the target as a dashed line.
pub fn histogram(
    counts: &[(i64, i64)],
    bin_hours: u32,
    bins: i64,
    target_hours: u32,
    labels: &HistogramLabels,
) -> String {
    let (width, height) = (640.0, 240.0);
    let (left, right, top, bottom) = (44.0, 12.0, 16.0, 36.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let max = counts.iter().map(|c| c.1).max().unwrap_or(0).max(1) as f64;
    let step = step_for(max);
    let y_max = (max / step).ceil() * step;
    let bar_w = plot_w / bins as f64;
    let y = |v: f64| top + plot_h - v / y_max * plot_h;
    let mut out = String::new();
    open_svg(&mut out, width, height, labels.title);
    let mut tick = 0.0;
    while tick <= y_max {
        line(
            &mut out,
            (left, y(tick)),
            (width - right, y(tick)),
            GRID,
            false,
        );
        text(
            &mut out,
            left - 6.0,
            y(tick) + 4.0,
            "end",
            MUTED,
            &format!("{tick}"),
        );
        tick += step;
    }
    for &(bin, n) in counts {
        let x = left + bin as f64 * bar_w;
        let end_hours = (bin + 1) * i64::from(bin_hours);
        let fill = if end_hours <= i64::from(target_hours) {
            GOOD
        } else {
            LATE
        };
        let span = if bin == bins - 1 {
            format!("≥ {} h", bin * i64::from(bin_hours))
        } else {
            format!("{}–{} h", bin * i64::from(bin_hours), end_hours)
        };
        rect(
            &mut out,
            x + 1.0,
            y(n as f64),
            bar_w - 2.0,
            plot_h - (y(n as f64) - top),
            fill,
            &format!("{span}: {n} {}", labels.applications),
        );
    }
    for bin in (0..=bins).step_by(3) {
        let x = left + bin as f64 * bar_w;
        let label = if bin == bins {
            String::new()
        } else {
            format!("{}", bin * i64::from(bin_hours))
        };
        text(&mut out, x, height - bottom + 14.0, "middle", MUTED, &label);
    }
    text(
        &mut out,
        width - right,
        height - 6.0,
        "end",
        MUTED,
        labels.hours,
    );
    let target_x = left + f64::from(target_hours) / f64::from(bin_hours) * bar_w;
    line(
        &mut out,
        (target_x, top - 4.0),
        (target_x, top + plot_h),
        TARGET,
        true,
    );
    text(
        &mut out,
        target_x + 4.0,
        top + 8.0,
        "start",
        TARGET,
        labels.target,
    );
    out.push_str("</svg>");
    out
}

/// One week of the trend: its label, median net hours, share within the target.
pub struct Week {
    pub label: String,
    pub median_hours: Option<f64>,
    pub within_pct: Option<f64>,
}

pub struct TrendLabels<'a> {
    pub title: &'a str,
    pub median: &'a str,
    pub share: &'a str,
    pub target: &'a str,
}

/// Weekly bars of the share within the target (right axis, %) and a line of the median net
/// hours (left axis), with the target as a dashed line.
pub fn weekly_trend(weeks: &[Week], target_hours: u32, labels: &TrendLabels) -> String {
    let (width, height) = (640.0, 240.0);
    let (left, right, top, bottom) = (44.0, 44.0, 24.0, 36.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let highest = weeks
        .iter()
        .filter_map(|w| w.median_hours)
        .fold(f64::from(target_hours), f64::max)
        * 1.1;
    let step = step_for(highest);
    let h_max = (highest / step).ceil() * step;
    let slot = plot_w / weeks.len().max(1) as f64;
    let yh = |h: f64| top + plot_h - h / h_max * plot_h;
    let yp = |p: f64| top + plot_h - p / 100.0 * plot_h;
    let mut out = String::new();
    open_svg(&mut out, width, height, labels.title);
    let mut tick = 0.0;
    while tick <= h_max {
        line(
            &mut out,
            (left, yh(tick)),
            (width - right, yh(tick)),
            GRID,
            false,
        );
        text(
            &mut out,
            left - 6.0,
            yh(tick) + 4.0,
            "end",
            LINE,
            &format!("{tick} h"),
        );
        tick += step;
    }
    for pct in [0.0, 50.0, 100.0] {
        text(
            &mut out,
            width - right + 6.0,
            yp(pct) + 4.0,
            "start",
            MUTED,
            &format!("{pct}%"),
        );
    }
    let mut points = Vec::new();
    for (i, w) in weeks.iter().enumerate() {
        let x = left + i as f64 * slot;
        if let Some(p) = w.within_pct {
            rect(
                &mut out,
                x + slot * 0.15,
                yp(p),
                slot * 0.7,
                plot_h - (yp(p) - top),
                SHARE,
                &format!("{}: {p}% {}", w.label, labels.share),
            );
        }
        if let Some(h) = w.median_hours {
            points.push((x + slot / 2.0, yh(h), format!("{}: {h} h", w.label)));
        }
        if weeks.len() <= 16 || i % 2 == 0 {
            text(
                &mut out,
                x + slot / 2.0,
                height - bottom + 14.0,
                "middle",
                MUTED,
                &w.label,
            );
        }
    }
    line(
        &mut out,
        (left, yh(f64::from(target_hours))),
        (width - right, yh(f64::from(target_hours))),
        TARGET,
        true,
    );
    text(
        &mut out,
        left + 4.0,
        yh(f64::from(target_hours)) - 4.0,
        "start",
        TARGET,
        labels.target,
    );
    if points.len() > 1 {
        let path: Vec<String> = points
            .iter()
            .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{LINE}" stroke-width="2"/>"#,
            path.join(" ")
        );
    }
    for (x, y, title) in &points {
        let _ = write!(
            out,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{LINE}"><title>{}</title></circle>"#,
            esc(title)
        );
    }
    // Legend.
    rect(&mut out, left, 6.0, 10.0, 10.0, SHARE, labels.share);
    text(&mut out, left + 14.0, 15.0, "start", INK, labels.share);
    line(
        &mut out,
        (left + 180.0, 11.0),
        (left + 196.0, 11.0),
        LINE,
        false,
    );
    text(&mut out, left + 200.0, 15.0, "start", INK, labels.median);
    out.push_str("</svg>");
    out
}

/// One bar of the time-per-authority chart.
pub struct Bar {
    pub label: String,
    pub hours: f64,
    pub count: i64,
}

/// Horizontal bars of median hours, in the order given (worst first), with the budget line.
pub fn bars(items: &[Bar], budget_hours: f64, title: &str, budget_label: &str) -> String {
    let row = 22.0;
    let (left, right, top) = (230.0, 70.0, 22.0);
    let width = 640.0;
    let height = top + row * items.len().max(1) as f64 + 10.0;
    let plot_w = width - left - right;
    let max = items
        .iter()
        .map(|b| b.hours)
        .fold(budget_hours, f64::max)
        .max(1.0);
    let x = |h: f64| left + h / max * plot_w;
    let mut out = String::new();
    open_svg(&mut out, width, height, title);
    for (i, b) in items.iter().enumerate() {
        let y = top + i as f64 * row;
        let fill = if b.hours <= budget_hours { GOOD } else { LATE };
        text(&mut out, left - 8.0, y + 14.0, "end", INK, &b.label);
        rect(
            &mut out,
            left,
            y + 3.0,
            (x(b.hours) - left).max(1.0),
            row - 6.0,
            fill,
            &format!("{}: {} h ({})", b.label, b.hours, b.count),
        );
        text(
            &mut out,
            x(b.hours) + 6.0,
            y + 14.0,
            "start",
            MUTED,
            &format!("{} h", b.hours),
        );
    }
    line(
        &mut out,
        (x(budget_hours), top - 6.0),
        (x(budget_hours), height - 6.0),
        TARGET,
        true,
    );
    text(
        &mut out,
        x(budget_hours) - 4.0,
        top - 8.0,
        "end",
        TARGET,
        budget_label,
    );
    out.push_str("</svg>");
    out
}

/// One line of a daily chart: its name and a value per day.
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

const SERIES_COLOURS: [&str; 4] = [LINE, LATE, GOOD, MUTED];

/// Lines of a value per day (the simulator's daily backlog per workflow), each with a legend
/// entry; `days` labels the x axis (about eight labels are drawn).
pub fn daily_lines(series: &[Series], days: &[String], title: &str, unit: &str) -> String {
    let (width, height) = (640.0, 240.0);
    let (left, right, top, bottom) = (44.0, 12.0, 28.0, 36.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(1.0, f64::max);
    let step = step_for(max);
    let y_max = (max / step).ceil() * step;
    let slot = plot_w / days.len().max(2).saturating_sub(1) as f64;
    let y = |v: f64| top + plot_h - v / y_max * plot_h;
    let mut out = String::new();
    open_svg(&mut out, width, height, title);
    let mut tick = 0.0;
    while tick <= y_max {
        line(
            &mut out,
            (left, y(tick)),
            (width - right, y(tick)),
            GRID,
            false,
        );
        text(
            &mut out,
            left - 6.0,
            y(tick) + 4.0,
            "end",
            MUTED,
            &format!("{tick}"),
        );
        tick += step;
    }
    let every = (days.len() / 8).max(1);
    for (i, day) in days.iter().enumerate().step_by(every) {
        text(
            &mut out,
            left + i as f64 * slot,
            height - bottom + 14.0,
            "middle",
            MUTED,
            day,
        );
    }
    for (n, s) in series.iter().enumerate() {
        let colour = SERIES_COLOURS[n % SERIES_COLOURS.len()];
        let points: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", left + i as f64 * slot, y(*v)))
            .collect();
        let _ = write!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"><title>{}</title></polyline>"#,
            points.join(" "),
            esc(&s.name)
        );
        let x = left + n as f64 * 140.0;
        line(&mut out, (x, 12.0), (x + 16.0, 12.0), colour, false);
        text(
            &mut out,
            x + 20.0,
            16.0,
            "start",
            INK,
            &format!("{} ({unit})", s.name),
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> HistogramLabels<'static> {
        HistogramLabels {
            title: "Net turnaround",
            target: "24 h target",
            hours: "hours",
            applications: "applications",
        }
    }

    #[test]
    fn the_histogram_draws_a_bar_per_bin_coloured_by_the_target() {
        let svg = histogram(&[(0, 3), (5, 7), (17, 2)], 4, 18, 24, &labels());
        assert_eq!(svg.matches("<rect").count(), 3);
        // 0–4 h and 20–24 h are within 24 h; the open-ended last bin is not.
        assert_eq!(svg.matches(GOOD).count(), 2);
        assert!(svg.contains("≥ 68 h: 2 applications"));
        assert!(svg.contains("20–24 h: 7 applications"));
        // The target line sits after the sixth of 18 bins: 44 + 6 × (584 / 18).
        assert!(svg.contains(r#"x1="238.7""#), "{svg}");
        assert!(!svg.contains("style="), "no inline style under the CSP");
    }

    #[test]
    fn text_is_escaped_and_empty_charts_still_draw() {
        let svg = bars(
            &[Bar {
                label: "<Police> & co".into(),
                hours: 30.0,
                count: 4,
            }],
            12.0,
            "t",
            "budget",
        );
        assert!(svg.contains("&lt;Police&gt; &amp; co"));
        assert!(svg.contains(LATE));
        let empty = weekly_trend(
            &[],
            24,
            &TrendLabels {
                title: "t",
                median: "m",
                share: "s",
                target: "24 h",
            },
        );
        assert!(empty.starts_with("<svg") && empty.ends_with("</svg>"));
        assert_eq!(
            histogram(&[], 4, 18, 24, &labels())
                .matches("<rect")
                .count(),
            0
        );
    }

    #[test]
    fn axis_steps_are_round() {
        assert_eq!(step_for(7.0), 2.0);
        assert_eq!(step_for(38.0), 10.0);
        assert_eq!(step_for(260.0), 100.0);
    }
}
