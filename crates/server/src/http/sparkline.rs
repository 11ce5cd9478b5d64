//! Small SVG line charts (sparklines) of a series of numbers, drawn on the server as text, so
//! the status page needs no chart library and no script to show them (and the page's
//! policy, which forbids inline scripts and styles, is kept: an SVG's presentation
//! attributes are neither).
//!
//! Pure: numbers in, markup out. A missing value (`None`) breaks the line.

use std::fmt::Write as _;

/// The chart's size in CSS pixels.
const WIDTH: f64 = 160.0;
const HEIGHT: f64 = 32.0;
/// Room left around the line, so that its stroke is not cut.
const PAD: f64 = 2.0;

/// An `<svg>` drawing `values` (oldest first) from left to right, scaled from 0 to their
/// maximum; `label` names it for screen readers (a `<title>`), escaped here.
pub(super) fn sparkline(label: &str, values: &[Option<f64>]) -> String {
    let top = values.iter().flatten().copied().fold(0.0_f64, f64::max);
    let mut svg = format!(
        "<svg class=\"spark\" role=\"img\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title>{}</title>",
        escape(label)
    );
    let path = path(values, top);
    if !path.is_empty() {
        let _ = write!(
            svg,
            "<path d=\"{path}\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\" \
             stroke-linejoin=\"round\" stroke-linecap=\"round\"/>"
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The path's `d`: a move to each point after a gap, a line to each point after another.
fn path(values: &[Option<f64>], top: f64) -> String {
    let step = if values.len() > 1 {
        (WIDTH - 2.0 * PAD) / (values.len() - 1) as f64
    } else {
        0.0
    };
    let mut d = String::new();
    let mut drawing = false;
    for (i, value) in values.iter().enumerate() {
        let Some(value) = value.filter(|v| v.is_finite()) else {
            drawing = false;
            continue;
        };
        let x = PAD + step * i as f64;
        let share = if top > 0.0 { value.max(0.0) / top } else { 0.0 };
        let y = HEIGHT - PAD - share * (HEIGHT - 2.0 * PAD);
        let command = if drawing { 'L' } else { 'M' };
        let _ = write!(d, "{command}{x:.1} {y:.1} ");
        drawing = true;
    }
    d.trim_end().to_owned()
}

/// `text` with the five characters that mean something in HTML escaped.
pub(super) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_goes_from_the_bottom_to_the_top_of_the_chart() {
        let svg = sparkline("moves/s", &[Some(0.0), Some(5.0), Some(10.0)]);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("<title>moves/s</title>"), "{svg}");
        assert!(
            svg.contains("d=\"M2.0 30.0 L80.0 16.0 L158.0 2.0\""),
            "{svg}"
        );
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn a_missing_value_breaks_the_line() {
        let d = path(&[Some(1.0), None, Some(1.0), Some(1.0)], 1.0);
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert_eq!(d.matches('L').count(), 1, "{d}");
    }

    #[test]
    fn no_values_or_only_zeros_draw_an_empty_or_flat_chart() {
        assert!(!sparkline("x", &[]).contains("<path"));
        assert!(!sparkline("x", &[None, None]).contains("<path"));
        assert_eq!(path(&[Some(0.0), Some(0.0)], 0.0), "M2.0 30.0 L158.0 30.0");
    }

    #[test]
    fn labels_are_escaped() {
        let svg = sparkline("<script>&\"'", &[]);
        assert!(
            svg.contains("<title>&lt;script&gt;&amp;&quot;&#39;</title>"),
            "{svg}"
        );
    }
}
