//! The customer context of a request, resolved against a snapshot, and the checks that depend only
//! on it (validity, channel, audience). Shared by catalog pricing and cart evaluation.

use jiff::Timestamp;
use jiff::civil::Weekday;
use smallvec::SmallVec;

use crate::cart::Customer;
use crate::error::FieldError;
use crate::money::bound_problem;
use crate::quote::{LocalTime, Reason, TimeOfDay, WEEKDAY_NAMES, Weekdays, Windows};
use crate::rules::Display;
use crate::snapshot::{Promotion, Snapshot};

pub(crate) struct Ctx<'a> {
    pub display: Display,
    pub customer: &'a Customer,
    /// Interned ids of the customer's groups that some promotion or setting names, sorted.
    pub groups: SmallVec<[u32; 4]>,
    pub channel: Option<&'a str>,
    /// `None` when no promotion names the channel (or there is none).
    pub channel_id: Option<u32>,
    pub now: Timestamp,
    /// Monday = 0.
    pub weekday: usize,
    pub second_of_day: u32,
}

/// Days since Monday.
fn weekday_index(day: Weekday) -> usize {
    day.to_monday_zero_offset() as usize
}

/// The instant of a request (`at`), or its error.
pub(crate) fn parse_at(at: &str, errors: &mut Vec<FieldError>) -> Option<Timestamp> {
    match at.parse::<Timestamp>() {
        Ok(now) => Some(now),
        Err(_) => {
            errors.push(FieldError::new(
                "at",
                format!("`{at}` is not an instant (RFC 3339 with an offset, e.g. 2026-12-05T10:00:00+01:00)"),
            ));
            None
        }
    }
}

impl Snapshot {
    /// The interned ids of the customer's groups that some promotion, offer or setting names,
    /// sorted.
    pub(crate) fn group_ids(&self, customer: &Customer) -> SmallVec<[u32; 4]> {
        let mut groups: SmallVec<[u32; 4]> = customer
            .groups
            .iter()
            .filter_map(|g| self.names.groups.get(g.as_str()).copied())
            .collect();
        groups.sort_unstable();
        // A group listed twice is one scope: its offers are counted once.
        groups.dedup();
        groups
    }

    /// How the customer sees prices: as the first of their groups that says, else the store's
    /// default.
    pub(crate) fn display_of(&self, customer: &Customer) -> Display {
        customer
            .groups
            .iter()
            .filter_map(|g| self.names.groups.get(g.as_str()))
            .find_map(|&id| self.group_display.get(id as usize).copied().flatten())
            .unwrap_or(self.default_display)
    }

    /// Resolves the context fields of a request; errors name the offending field.
    pub(crate) fn context<'a>(
        &self,
        customer: &'a Customer,
        channel: Option<&'a str>,
        at: &str,
        display: Option<Display>,
        errors: &mut Vec<FieldError>,
    ) -> Option<Ctx<'a>> {
        if let Some(problem) = customer.spent.and_then(bound_problem) {
            errors.push(FieldError::new("customer.spent", problem));
        }
        let now = parse_at(at, errors)?;
        let display = display.unwrap_or_else(|| self.display_of(customer));
        let civil = now.to_zoned(self.time_zone.clone());
        let time = civil.time();
        Some(Ctx {
            display,
            customer,
            groups: self.group_ids(customer),
            channel,
            channel_id: channel.and_then(|c| self.names.channels.get(c).copied()),
            now,
            weekday: weekday_index(civil.weekday()),
            second_of_day: time.hour() as u32 * 3600
                + time.minute() as u32 * 60
                + time.second() as u32,
        })
    }

    pub(crate) fn local_time(&self, instant: Timestamp) -> LocalTime {
        LocalTime(instant.to_zoned(self.time_zone.clone()))
    }

    /// Validity, channel and audience: what a promotion needs of the context alone.
    pub(crate) fn check_context<'a>(
        &'a self,
        p: &'a Promotion,
        ctx: &Ctx<'a>,
    ) -> Option<Reason<'a>> {
        let v = &p.validity;
        if let Some(start) = v.starts_at
            && ctx.now < start
        {
            return Some(Reason::NotStarted {
                starts_at: self.local_time(start),
                now: self.local_time(ctx.now),
            });
        }
        if let Some(end) = v.ends_at
            && ctx.now >= end
        {
            return Some(Reason::Ended {
                ends_at: self.local_time(end),
                now: self.local_time(ctx.now),
            });
        }
        if (v.weekdays != 0 || !v.windows.is_empty())
            && let Some(reason) = self.check_calendar(p, ctx)
        {
            return Some(reason);
        }
        if !p.channels.is_empty()
            && ctx
                .channel_id
                .is_none_or(|c| p.channels.binary_search(&c).is_err())
        {
            return Some(Reason::ChannelNotAllowed {
                channel: ctx.channel,
                allowed: &p.channel_names,
            });
        }
        let a = &p.audience;
        if !a.is_everyone() {
            let in_group = ctx.groups.iter().any(|g| a.groups.binary_search(g).is_ok());
            let is_customer = ctx
                .customer
                .id
                .as_deref()
                .is_some_and(|id| a.customers.iter().any(|c| **c == *id));
            let at_point = ctx
                .customer
                .collection_point
                .as_deref()
                .is_some_and(|pt| a.collection_points.iter().any(|c| **c == *pt));
            if !(in_group || is_customer || at_point) {
                return Some(Reason::NotInAudience {
                    customer: ctx.customer.id.as_deref(),
                    groups: &ctx.customer.groups,
                });
            }
        }
        None
    }

    fn check_calendar<'a>(&self, p: &'a Promotion, ctx: &Ctx<'a>) -> Option<Reason<'a>> {
        let v = &p.validity;
        let day_allowed = |day: usize| v.weekdays == 0 || v.weekdays & (1 << day) != 0;
        let today = ctx.weekday;
        let yesterday = (today + 6) % 7;
        if v.windows.is_empty() {
            return (!day_allowed(today)).then(|| Reason::WrongWeekday {
                weekday: WEEKDAY_NAMES[today],
                allowed: Weekdays(v.weekdays),
            });
        }
        let s = ctx.second_of_day;
        let mut in_window_wrong_day = None;
        for &(from, to) in &v.windows {
            // The day a window belongs to is the day it opened.
            let opened_on = if from < to {
                (from <= s && s < to).then_some(today)
            } else if s >= from {
                Some(today)
            } else if s < to {
                Some(yesterday)
            } else {
                None
            };
            match opened_on {
                Some(day) if day_allowed(day) => return None,
                Some(day) => in_window_wrong_day = Some(day),
                None => {}
            }
        }
        Some(match in_window_wrong_day {
            Some(day) => Reason::WrongWeekday {
                weekday: WEEKDAY_NAMES[day],
                allowed: Weekdays(v.weekdays),
            },
            None => Reason::OutsideWindow {
                time: TimeOfDay(s),
                windows: Windows(&v.windows),
            },
        })
    }
}
