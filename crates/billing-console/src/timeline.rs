//! Geometry of the console's pictures, in whole SVG units: a quota's billing
//! timeline (its periods, today, the used part, pending renewals) and the
//! bar of a resource plan's capacity. Integer arithmetic only.

use chrono::{DateTime, NaiveDate, Utc};

/// Width of every drawing, in SVG user units.
pub const WIDTH: i64 = 1000;

/// `part / whole` of `width`, rounded down and kept within `0..=width`.
pub fn share(part: i64, whole: i64, width: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    let scaled = i128::from(part.clamp(0, whole)) * i128::from(width) / i128::from(whole);
    i64::try_from(scaled).unwrap_or(width)
}

/// One paid period of a quota, as drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodInput {
    /// The order that paid for it.
    pub order_id: String,
    /// True for a renewal order.
    pub renewal: bool,
    /// First instant.
    pub start: DateTime<Utc>,
    /// First instant after it.
    pub end: DateTime<Utc>,
    /// Its expiration date.
    pub expiration: NaiveDate,
}

/// Where a period lies relative to today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentKind {
    /// Over.
    Past,
    /// Contains today.
    Current,
    /// Not started: a pending renewal.
    Pending,
}

impl SegmentKind {
    /// The CSS class that colours it.
    pub fn class(self) -> &'static str {
        match self {
            SegmentKind::Past => "seg-past",
            SegmentKind::Current => "seg-current",
            SegmentKind::Pending => "seg-pending",
        }
    }

    /// The message id of its name in words.
    pub fn label_id(self) -> &'static str {
        match self {
            SegmentKind::Past => "segment-past",
            SegmentKind::Current => "segment-current",
            SegmentKind::Pending => "segment-pending",
        }
    }
}

/// One period as a rectangle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Left edge.
    pub x: i64,
    /// Width (at least 2 units, so a short period stays visible).
    pub width: i64,
    /// Past, current or pending.
    pub kind: SegmentKind,
    /// The paying order.
    pub order_id: String,
    /// True for a renewal.
    pub renewal: bool,
    /// Its expiration date.
    pub expiration: NaiveDate,
}

/// The drawing of a quota's periods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// The periods, oldest first.
    pub segments: Vec<Segment>,
    /// Width of the part already used (from the first start to today).
    pub used_width: i64,
    /// Where today is, when it lies within the periods.
    pub today_x: Option<i64>,
    /// Where the "Today" label goes, kept inside the drawing.
    pub today_label_x: i64,
    /// Changes of the quota's CUs within the periods.
    pub changes: Vec<ChangeMark>,
}

/// A change of the quota's CUs, drawn where it takes effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeMark {
    /// Where it takes effect.
    pub x: i64,
    /// CUs from then on (0 after a switch to pay-as-you-go).
    pub quota_cu_after: u32,
    /// CUs before.
    pub quota_cu_before: u32,
}

impl Timeline {
    /// Marks each change `(effective from, CUs before, CUs after)` that
    /// falls within the drawing.
    pub fn mark_changes(&mut self, periods: &[PeriodInput], changes: &[(DateTime<Utc>, u32, u32)]) {
        let (Some(first), Some(last)) = (periods.first().map(|p| p.start), periods.iter().map(|p| p.end).max()) else {
            return;
        };
        let total = (last - first).num_seconds();
        self.changes = changes
            .iter()
            .filter(|(at, _, _)| (first..=last).contains(at))
            .map(|&(at, before, after)| ChangeMark {
                x: share((at - first).num_seconds(), total, WIDTH),
                quota_cu_before: before,
                quota_cu_after: after,
            })
            .collect();
    }
}

/// Lays out `periods` (contiguous, oldest first) with today at `now`; `None`
/// when there is nothing to draw.
pub fn quota_timeline(periods: &[PeriodInput], now: DateTime<Utc>) -> Option<Timeline> {
    let first = periods.first()?.start;
    let last = periods.iter().map(|p| p.end).max()?;
    let total = (last - first).num_seconds();
    if total <= 0 {
        return None;
    }
    let x_of = |t: DateTime<Utc>| share((t - first).num_seconds(), total, WIDTH);
    let segments = periods
        .iter()
        .map(|p| {
            let kind = if p.end <= now {
                SegmentKind::Past
            } else if p.start <= now {
                SegmentKind::Current
            } else {
                SegmentKind::Pending
            };
            let x = x_of(p.start);
            Segment {
                x,
                width: (x_of(p.end) - x).max(2),
                kind,
                order_id: p.order_id.clone(),
                renewal: p.renewal,
                expiration: p.expiration,
            }
        })
        .collect();
    let today_x = (first..=last).contains(&now).then(|| x_of(now));
    let used_width = if now <= first { 0 } else { x_of(now.min(last)) };
    let today_label_x = today_x.unwrap_or(0).clamp(40, WIDTH - 40);
    Some(Timeline { segments, used_width, today_x, today_label_x, changes: Vec::new() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn period(id: &str, start: DateTime<Utc>, days: i64) -> PeriodInput {
        PeriodInput {
            order_id: id.to_owned(),
            renewal: id != "first",
            start,
            end: start + Duration::days(days),
            expiration: (start + Duration::days(days - 1)).date_naive(),
        }
    }

    #[test]
    fn shares_are_rounded_down_and_clamped() {
        assert_eq!(share(1, 3, 1000), 333);
        assert_eq!(share(5, 3, 1000), 1000);
        assert_eq!(share(-1, 3, 1000), 0);
        assert_eq!(share(1, 0, 1000), 0);
    }

    #[test]
    fn a_pending_renewal_lies_after_today_and_the_used_part_ends_today() {
        let start = DateTime::UNIX_EPOCH + Duration::days(20_000);
        let periods = [period("first", start, 30), period("renewal", start + Duration::days(30), 70)];
        let t = quota_timeline(&periods, start + Duration::days(25)).unwrap();
        assert_eq!(t.segments[0].kind, SegmentKind::Current);
        assert_eq!(t.segments[1].kind, SegmentKind::Pending);
        assert_eq!((t.segments[1].x, t.segments[1].width), (300, 700));
        assert_eq!(t.used_width, 250);
        assert_eq!(t.today_x, Some(250));
    }

    #[test]
    fn a_downgrade_is_marked_where_it_takes_effect() {
        let start = DateTime::UNIX_EPOCH + Duration::days(20_000);
        let periods = [period("first", start, 30), period("renewal", start + Duration::days(30), 70)];
        let mut t = quota_timeline(&periods, start + Duration::days(25)).unwrap();
        let outside = start + Duration::days(200);
        t.mark_changes(&periods, &[(start + Duration::days(10), 100, 50), (outside, 50, 0)]);
        assert_eq!(t.changes, vec![ChangeMark { x: 100, quota_cu_before: 100, quota_cu_after: 50 }]);
    }

    #[test]
    fn an_ended_quota_is_all_used_with_no_today_marker() {
        let start = DateTime::UNIX_EPOCH + Duration::days(20_000);
        let t = quota_timeline(&[period("first", start, 30)], start + Duration::days(40)).unwrap();
        assert_eq!(t.segments[0].kind, SegmentKind::Past);
        assert_eq!(t.used_width, WIDTH);
        assert_eq!(t.today_x, None);
        assert!(quota_timeline(&[], start).is_none());
    }
}
