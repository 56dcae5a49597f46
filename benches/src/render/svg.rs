//! Grouped horizontal bar charts, written as SVG text by hand.
//!
//! Why not a plotting crate (plotters and the like):
//!
//! - **Byte-deterministic output.** The charts are committed and a test
//!   regenerates them and compares bytes (`tests/tests/bench_report.rs`), so
//!   a stale chart fails CI. That needs the same input to give the same
//!   bytes on every machine: here every coordinate is computed with plain
//!   IEEE arithmetic (no `log10`/`powi`, whose results may differ in the last
//!   bit between platforms) and printed with Rust's correctly rounded float
//!   formatting, and nothing depends on fonts, time or hashing order.
//! - **No font or system libraries.** Plotting crates measure text with a
//!   font backend (FreeType, fontconfig, system fonts) to lay it out; a
//!   fresh CI machine may have none. An SVG can leave text to the viewer:
//!   it names a font family, and the layout only needs a rough width
//!   estimate to keep labels clear of each other.
//! - **Nothing in the default build.** The generator lives in the tests
//!   package, a default member; this module needs no dependency at all.
//!
//! The chart: a title and subtitle, a legend, one block of bars per
//! category (a corpus, a framing), one bar per series with its value printed
//! after it, a linear value axis from 0 with grid lines, and notes under it.
//! Bar lengths are exactly proportional to the values. The background is an
//! explicit white card with dark text, so the chart reads the same on
//! GitHub's light and dark themes; the series colours are the Okabe–Ito
//! palette, distinguishable with the common colour-vision deficiencies.

use std::fmt::Write as _;

/// A chart to render.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// The first line, bold.
    pub title: String,
    /// Smaller lines under the title (what is measured, which way is better).
    pub subtitle: Vec<String>,
    /// The series, in legend order; bars refer to them by index.
    pub series: Vec<Series>,
    /// The bar blocks, top to bottom.
    pub groups: Vec<BarGroup>,
    /// The name of the value axis.
    pub axis_label: String,
    /// Appended to the axis tick labels (`×`, ` MB`).
    pub tick_suffix: String,
    /// Lines under the axis.
    pub notes: Vec<String>,
}

/// A series: a method, with its colour.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The legend text.
    pub name: String,
    /// A CSS colour (`#0072B2`).
    pub color: String,
}

/// One block of bars under a label (a corpus, a framing).
#[derive(Clone, Debug, PartialEq)]
pub struct BarGroup {
    /// The label left of the block.
    pub label: String,
    /// The bars, top to bottom.
    pub bars: Vec<Bar>,
}

/// One bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Index into [`Chart::series`].
    pub series: usize,
    /// The value; the bar's length is proportional to it (negative values
    /// are drawn as 0).
    pub value: f64,
    /// The text printed after the bar.
    pub label: String,
}

/// The whole image's width.
const WIDTH: f64 = 820.0;
/// Outer padding.
const PAD: f64 = 20.0;
/// The narrowest column of category labels left of the bars.
const MIN_LABEL_COLUMN: f64 = 100.0;
/// Room right of the longest bar for its value label.
const VALUE_ROOM: f64 = 220.0;
const BAR_H: f64 = 18.0;
const BAR_GAP: f64 = 4.0;
const GROUP_GAP: f64 = 16.0;
const FONT: &str = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif";
const TEXT: &str = "#1f2328";
const MUTED: &str = "#59636e";
const GRID: &str = "#d8dee4";
/// Characters per note line before wrapping.
const NOTE_CHARS: usize = 120;

/// A rough width of `text` at `size` px in a proportional sans-serif font,
/// enough to keep labels apart (no font is measured; see the module docs).
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.58
}

/// Escapes text for SVG content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// The axis: a "nice" step (1, 2, 2.5 or 5 times a power of ten) giving at
/// most about six ticks, and the axis maximum, the first multiple of the
/// step at or above `max`.
pub fn axis(max: f64) -> (f64, f64) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / 5.0;
    // The power of ten at or below `raw`, by multiplication only.
    let mut magnitude = 1.0;
    while magnitude * 10.0 <= raw {
        magnitude *= 10.0;
    }
    while magnitude > raw {
        magnitude /= 10.0;
    }
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude);
    let mut steps = 1.0;
    while step * steps < max * (1.0 - 1e-12) {
        steps += 1.0;
    }
    (step, step * steps)
}

/// A tick value with the fewest decimals that show it (up to 3).
fn tick_text(value: f64) -> String {
    for decimals in 0..3 {
        let text = format!("{value:.decimals$}");
        if let Ok(parsed) = text.parse::<f64>() {
            if (parsed - value).abs() < 1e-9 * value.abs().max(1.0) {
                return text;
            }
        }
    }
    format!("{value:.3}")
}

/// Splits `text` into lines of at most [`NOTE_CHARS`] characters at spaces.
fn wrap(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > NOTE_CHARS {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The length of a bar of `value` on an axis ending at `top` drawn over
/// `plot_w` pixels: proportional to the value.
fn bar_length(value: f64, top: f64, plot_w: f64) -> f64 {
    if value.is_finite() && value > 0.0 && top > 0.0 {
        value / top * plot_w
    } else {
        0.0
    }
}

/// Renders `chart` as a standalone SVG document.
pub fn render(chart: &Chart) -> String {
    let max = chart
        .groups
        .iter()
        .flat_map(|g| &g.bars)
        .map(|b| b.value)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let (step, top) = axis(max);
    // The bars start after the widest category label (bold, 14 px).
    let widest = chart
        .groups
        .iter()
        .map(|g| text_width(&g.label, 14.0 * 1.07))
        .fold(0.0, f64::max);
    let plot_x = (PAD + widest + 14.0).max(MIN_LABEL_COLUMN);
    let plot_w = WIDTH - plot_x - VALUE_ROOM;
    let length = |value: f64| bar_length(value, top, plot_w);

    // Vertical layout.
    let mut y = PAD + 18.0;
    let title_y = y;
    y += 8.0;
    let subtitle_ys: Vec<f64> = chart
        .subtitle
        .iter()
        .map(|_| {
            y += 18.0;
            y
        })
        .collect();
    y += 22.0;
    let legend_y = y;
    y += 18.0;
    let plot_top = y;
    let mut group_ys = Vec::new();
    for group in &chart.groups {
        group_ys.push(y);
        y += group.bars.len() as f64 * (BAR_H + BAR_GAP) - BAR_GAP + GROUP_GAP;
    }
    let plot_bottom = y - GROUP_GAP + 8.0;
    let axis_label_y = plot_bottom + 36.0;
    let note_lines: Vec<String> = chart.notes.iter().flat_map(|n| wrap(n)).collect();
    let mut note_y = axis_label_y + 8.0;
    let note_ys: Vec<f64> = note_lines
        .iter()
        .map(|_| {
            note_y += 17.0;
            note_y
        })
        .collect();
    let height = note_y + PAD;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH:.0}" height="{height:.0}" viewBox="0 0 {WIDTH:.0} {height:.0}" role="img" aria-labelledby="title" font-family="{FONT}">"#
    );
    let _ = writeln!(svg, r#"<title id="title">{}</title>"#, escape(&chart.title));
    let _ = writeln!(
        svg,
        r##"<rect x="0.5" y="0.5" width="{:.0}" height="{:.0}" rx="8" fill="#ffffff" stroke="#d0d7de"/>"##,
        WIDTH - 1.0,
        height - 1.0
    );
    let _ = writeln!(
        svg,
        r#"<text x="{PAD:.1}" y="{title_y:.1}" font-size="17" font-weight="600" fill="{TEXT}">{}</text>"#,
        escape(&chart.title)
    );
    for (line, y) in chart.subtitle.iter().zip(&subtitle_ys) {
        let _ = writeln!(
            svg,
            r#"<text x="{PAD:.1}" y="{y:.1}" font-size="13" fill="{MUTED}">{}</text>"#,
            escape(line)
        );
    }

    // Legend.
    let mut x = plot_x;
    for series in &chart.series {
        let _ = writeln!(
            svg,
            r#"<rect x="{x:.1}" y="{:.1}" width="12" height="12" rx="2" fill="{}"/>"#,
            legend_y - 10.0,
            series.color
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{legend_y:.1}" font-size="13" fill="{TEXT}">{}</text>"#,
            x + 17.0,
            escape(&series.name)
        );
        x += 17.0 + text_width(&series.name, 13.0) + 22.0;
    }

    // Grid and ticks.
    let mut tick = 0.0;
    let mut ticks = 0;
    while tick <= top * (1.0 + 1e-12) && ticks < 50 {
        let tx = plot_x + length(tick);
        let _ = writeln!(
            svg,
            r#"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{plot_bottom:.1}" stroke="{GRID}" stroke-width="1"/>"#,
            plot_top - 6.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="{tx:.1}" y="{:.1}" font-size="12" fill="{MUTED}" text-anchor="middle">{}{}</text>"#,
            plot_bottom + 16.0,
            tick_text(tick),
            escape(&chart.tick_suffix)
        );
        ticks += 1;
        tick = step * f64::from(ticks);
    }
    let _ = writeln!(
        svg,
        r#"<line x1="{plot_x:.1}" y1="{:.1}" x2="{plot_x:.1}" y2="{plot_bottom:.1}" stroke="{MUTED}" stroke-width="1"/>"#,
        plot_top - 6.0
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{axis_label_y:.1}" font-size="13" fill="{MUTED}" text-anchor="middle">{}</text>"#,
        plot_x + plot_w / 2.0,
        escape(&chart.axis_label)
    );

    // Bars.
    for (group, y0) in chart.groups.iter().zip(&group_ys) {
        let block = group.bars.len() as f64 * (BAR_H + BAR_GAP) - BAR_GAP;
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="14" font-weight="600" fill="{TEXT}" text-anchor="end">{}</text>"#,
            plot_x - 12.0,
            y0 + block / 2.0 + 5.0,
            escape(&group.label)
        );
        for (i, bar) in group.bars.iter().enumerate() {
            let by = y0 + i as f64 * (BAR_H + BAR_GAP);
            let length = length(bar.value);
            let color = chart
                .series
                .get(bar.series)
                .map_or("#999999", |s| s.color.as_str());
            let name = chart.series.get(bar.series).map_or("", |s| s.name.as_str());
            let _ = writeln!(
                svg,
                r#"<rect class="bar" x="{plot_x:.1}" y="{by:.1}" width="{length:.1}" height="{BAR_H:.1}" rx="2" fill="{color}"><title>{}: {}</title></rect>"#,
                escape(name),
                escape(&bar.label)
            );
            let label_x = plot_x + length + 6.0;
            let text_y = by + BAR_H / 2.0 + 4.5;
            if label_x + text_width(&bar.label, 12.0) <= WIDTH - PAD {
                let _ = writeln!(
                    svg,
                    r#"<text x="{label_x:.1}" y="{text_y:.1}" font-size="12" fill="{TEXT}">{}</text>"#,
                    escape(&bar.label)
                );
            } else {
                let _ = writeln!(
                    svg,
                    r##"<text x="{:.1}" y="{text_y:.1}" font-size="12" fill="#ffffff" text-anchor="end">{}</text>"##,
                    plot_x + length - 6.0,
                    escape(&bar.label)
                );
            }
        }
    }

    for (line, y) in note_lines.iter().zip(&note_ys) {
        let _ = writeln!(
            svg,
            r#"<text x="{PAD:.1}" y="{y:.1}" font-size="12" fill="{MUTED}">{}</text>"#,
            escape(line)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_steps_are_round_and_cover_the_maximum() {
        assert_eq!(axis(10.51), (2.5, 12.5));
        assert_eq!(axis(1.0), (0.2, 1.0));
        assert_eq!(axis(88.6), (20.0, 100.0));
        assert_eq!(axis(309.8), (100.0, 400.0));
        assert_eq!(axis(0.0), (0.2, 1.0));
        for max in [0.3, 1.7, 7.3, 19.9, 123.0, 4567.0] {
            let (step, top) = axis(max);
            assert!(top >= max && top - step < max, "{max}: {step} {top}");
            assert!(top / step <= 6.0 + 1e-9, "{max}: {step} {top}");
        }
    }

    #[test]
    fn ticks_and_notes_are_formatted() {
        assert_eq!(tick_text(2.5), "2.5");
        assert_eq!(tick_text(100.0), "100");
        assert_eq!(tick_text(0.2), "0.2");
        let long = "word ".repeat(60);
        let lines = wrap(long.trim());
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= NOTE_CHARS));
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
