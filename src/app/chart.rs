//! The summary's chart: each answered ticket's first response as a share of
//! its target, by severity, on Discord's dark theme. Drawn in process with
//! an embedded font (DejaVu Sans, `assets/fonts`, with its licence), so it
//! renders the same on a bare machine: no system font, no external program.

use plotters::prelude::*;

use super::msg::Local;
use super::words;
use crate::domain::customer::Language;
use crate::domain::sla::Severity;
use crate::domain::summary::{Response, Week};

pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 540;

const BACKGROUND: RGBColor = RGBColor(0x31, 0x33, 0x38);
const FOREGROUND: RGBColor = RGBColor(0xdb, 0xde, 0xe1);
const GRID: RGBColor = RGBColor(0x4e, 0x50, 0x58);
const WITHIN: RGBColor = RGBColor(0x57, 0xf2, 0x87);
const LATE: RGBColor = RGBColor(0xed, 0x42, 0x45);
const TARGET: RGBColor = RGBColor(0xfe, 0xe7, 0x5c);

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// The name the embedded font is registered under.
const FAMILY: &str = "priority-line-sans";

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_err() {
            tracing::error!("the embedded chart font cannot be read; charts will have no text");
        }
    });
}

/// The chart as a PNG of [`WIDTH`] × [`HEIGHT`], labelled in `lang`. A
/// drawing failure leaves the background and is logged: the summary goes
/// out regardless.
pub fn draw(week: Week, responses: &[Response], lang: Language) -> Vec<u8> {
    register_font();
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    if let Err(e) = plot(week, responses, lang, &mut rgb) {
        tracing::warn!(error = %e, %week, "the summary chart could not be drawn");
    }
    encode(&rgb)
}

fn plot(week: Week, responses: &[Response], lang: Language, rgb: &mut [u8]) -> Result<(), String> {
    let text = |size: u32| (FAMILY, size).into_font().color(&FOREGROUND);
    let root = BitMapBackend::with_buffer(rgb, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&BACKGROUND).map_err(|e| e.to_string())?;
    let share = |r: &Response| 100.0 * r.first_response.as_secs_f64() / r.target.as_secs_f64().max(1.0);
    let highest = responses.iter().map(share).fold(0.0, f64::max);
    let top = (highest * 1.1).clamp(150.0, 400.0);
    let caption = match lang {
        Language::En => format!("First response against target, by severity · {}", week),
        Language::Es => format!("Primera respuesta frente al objetivo, por severidad · {}", week),
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, text(24))
        .margin(16)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..4f64, 0f64..top)
        .map_err(|e| e.to_string())?;
    let severity_at = |x: f64| -> Option<Severity> {
        let centre = x - x.floor() - 0.5;
        (centre.abs() < 1e-9).then(|| Severity::from_level(x.floor() as u8 + 1)).flatten()
    };
    chart
        .configure_mesh()
        .x_labels(9)
        .x_label_formatter(&|x| severity_at(*x).map(|s| words::severity(lang, s).to_owned()).unwrap_or_default())
        .y_label_formatter(&|y| format!("{y:.0} %"))
        .y_desc(match lang {
            Language::En => "first response, % of the target",
            Language::Es => "primera respuesta, % del objetivo",
        })
        .disable_x_mesh()
        .y_labels(8)
        .light_line_style(BACKGROUND)
        .bold_line_style(GRID)
        .axis_style(FOREGROUND)
        .label_style(text(15))
        .axis_desc_style(text(15))
        .draw()
        .map_err(|e| e.to_string())?;
    // The severities' columns, side by side.
    for x in 1..4 {
        let x = f64::from(x);
        chart.draw_series(LineSeries::new([(x, 0.0), (x, top)], GRID)).map_err(|e| e.to_string())?;
    }
    chart
        .draw_series(LineSeries::new([(0.0, 100.0), (4.0, 100.0)], TARGET.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label(match lang {
            Language::En => "target",
            Language::Es => "objetivo",
        })
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], TARGET.stroke_width(2)));
    // Each severity's points spread across its column, in a fixed order.
    let mut seen = [0u32; 4];
    let points: Vec<(f64, f64, bool)> = responses
        .iter()
        .map(|r| {
            let i = usize::from(r.severity.level() - 1);
            seen[i] += 1;
            let spread = (f64::from(seen[i]) * 0.618_034).fract() - 0.5;
            (i as f64 + 0.5 + 0.6 * spread, share(r).min(top * 0.99), r.within_target)
        })
        .collect();
    for (within, colour, label) in [
        (true, WITHIN, Local::new("within target", "dentro del objetivo")),
        (false, LATE, Local::new("after the target", "fuera del objetivo")),
    ] {
        chart
            .draw_series(
                points.iter().filter(|p| p.2 == within).map(|(x, y, _)| Circle::new((*x, *y), 5, colour.filled())),
            )
            .map_err(|e| e.to_string())?
            .label(label.get(lang))
            .legend(move |(x, y)| Circle::new((x + 9, y), 5, colour.filled()));
    }
    if responses.is_empty() {
        let none = match lang {
            Language::En => "No ticket was answered this week",
            Language::Es => "Esta semana no se respondió ningún ticket",
        };
        chart.draw_series([Text::new(none, (1.3, top * 0.55), text(22))]).map_err(|e| e.to_string())?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(BACKGROUND.mix(0.9))
        .border_style(GRID)
        .label_font(text(15))
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

fn encode(rgb: &[u8]) -> Vec<u8> {
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let written = encoder.write_header().and_then(|mut w| {
        w.write_image_data(rgb)?;
        w.finish()
    });
    if let Err(e) = written {
        // Encoding a buffer of the declared size into memory cannot fail.
        tracing::error!(error = %e, "the summary chart could not be encoded");
    }
    png
}
