//! The chart of the Bills & usage page: CU-hours per day, each day's bar
//! stacked by how the hours were covered (quota, plans, pay-as-you-go),
//! computed here as plain rectangles and drawn by the template as SVG.
//!
//! Geometry is integer arithmetic in the SVG's own units (the viewBox),
//! which the browser scales to the width it has.

use std::collections::BTreeMap;

use billing_app::bills::UsageDay;
use chrono::NaiveDate;

use crate::fmt;
use crate::i18n::Locale;
use billing_domain::usage::CuHours;

/// Width of the drawing, in its own units.
pub const WIDTH: i64 = 720;
/// Height of the bars' area.
pub const PLOT_HEIGHT: i64 = 200;
/// Room below the bars for day labels.
pub const HEIGHT: i64 = PLOT_HEIGHT + 28;

/// One stacked part of a bar.
pub struct Segment {
    pub class: &'static str,
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    /// What a pointer over it says.
    pub title: String,
}

/// A day named under the bars.
pub struct Label {
    pub x: i64,
    pub text: String,
}

/// The chart, ready to draw.
pub struct Chart {
    pub width: i64,
    pub height: i64,
    pub plot_height: i64,
    pub segments: Vec<Segment>,
    pub labels: Vec<Label>,
    /// The highest day's CU-hours, for the scale.
    pub peak: String,
    /// The chart in words, for screen readers.
    pub description: String,
}

/// Each part's class and the message naming it.
const PARTS: [(&str, &str); 3] =
    [("seg-quota", "bills-by-quota"), ("seg-plan", "bills-by-plans"), ("seg-payg", "bills-by-payg")];

impl Chart {
    /// The chart of `rows` over the days `[from, to)`.
    pub fn of(locale: Locale, from: NaiveDate, to: NaiveDate, rows: &[UsageDay]) -> Chart {
        // Thousandths of a CU-hour per day: quota, plans, pay-as-you-go.
        let mut days: BTreeMap<NaiveDate, [i64; 3]> = BTreeMap::new();
        for r in rows {
            let day = days.entry(r.date).or_default();
            for (sum, part) in day.iter_mut().zip([r.quota, r.plan, r.pay_as_you_go]) {
                *sum = sum.saturating_add(part.milli().max(0));
            }
        }
        let count = (to - from).num_days().max(1);
        let slot = (WIDTH / count).max(1);
        let bar = (slot * 3 / 4).max(1);
        let peak = days.values().map(|d| d.iter().fold(0_i64, |a, b| a.saturating_add(*b))).max().unwrap_or(0);
        let mut segments = Vec::new();
        for (date, parts) in &days {
            let x = (*date - from).num_days() * slot + (slot - bar) / 2;
            let mut top = PLOT_HEIGHT;
            for (value, (class, message)) in parts.iter().zip(PARTS) {
                if *value == 0 || peak == 0 {
                    continue;
                }
                let height = i64::try_from(i128::from(*value) * i128::from(PLOT_HEIGHT) / i128::from(peak))
                    .unwrap_or(PLOT_HEIGHT)
                    .max(1);
                top -= height;
                let amount = fmt::cu_hours(CuHours::from_milli(*value));
                let segment = locale.t2("bills-segment", "cu", amount, "how", locale.t(message));
                let title = locale.t2("bills-segment-title", "day", fmt::date(locale, *date), "segment", segment);
                segments.push(Segment { class, x, y: top, width: bar, height, title });
            }
        }
        let step = (count / 6).max(1);
        let labels = (0..count)
            .step_by(usize::try_from(step).unwrap_or(1))
            .map(|i| Label {
                x: i * slot + slot / 2,
                text: (from + chrono::Duration::days(i)).format("%m-%d").to_string(),
            })
            .collect();
        let description = locale.t_args(
            "bills-chart-description",
            &[
                ("days", i64::try_from(days.len()).unwrap_or(i64::MAX).into()),
                ("from", fmt::date(locale, from).into()),
                ("peak", fmt::cu_hours(CuHours::from_milli(peak)).into()),
            ],
        );
        Chart {
            width: WIDTH,
            height: HEIGHT,
            plot_height: PLOT_HEIGHT,
            segments,
            labels,
            peak: fmt::cu_hours(CuHours::from_milli(peak)),
            description,
        }
    }
}

#[cfg(test)]
mod tests {
    use billing_domain::money::{Currency, Money};

    use super::*;

    fn day(date: &str, quota: i64, plan: i64, payg: i64) -> UsageDay {
        UsageDay {
            date: date.parse().unwrap(),
            workspace_id: billing_domain::ids::WorkspaceId::trusted("ws_a"),
            workspace_name: "etl".into(),
            usage: CuHours::from_whole(quota + plan + payg),
            quota: CuHours::from_whole(quota),
            plan: CuHours::from_whole(plan),
            pay_as_you_go: CuHours::from_whole(payg),
            charge: Money::zero(Currency::Usd),
        }
    }

    #[test]
    fn the_highest_day_fills_the_plot_and_parts_stack_from_the_bottom() {
        let rows = [day("2026-03-01", 100, 50, 50), day("2026-03-03", 0, 0, 50)];
        let chart = Chart::of(Locale::EnUs, "2026-03-01".parse().unwrap(), "2026-03-05".parse().unwrap(), &rows);
        let first: Vec<_> = chart.segments.iter().take(3).map(|s| (s.class, s.y, s.height)).collect();
        assert_eq!(first, [("seg-quota", 100, 100), ("seg-plan", 50, 50), ("seg-payg", 0, 50)]);
        let last = chart.segments.last().unwrap();
        assert_eq!((last.class, last.x, last.y, last.height), ("seg-payg", 2 * 180 + 22, 150, 50));
        assert_eq!(chart.peak, "200");
        assert!(
            chart.segments[0].title.contains("2026-03-01: 100 CU-hours covered by quota"),
            "{}",
            chart.segments[0].title
        );
    }
}
