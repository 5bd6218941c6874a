//! Compiling when a promotion applies: its validity (instants, weekdays, windows in the store's
//! zone) and its conditions on the cart and the customer.

use jiff::tz::TimeZone;

use super::{Compiler, names_products, normalize_code, parse_instant, parse_time_of_day};
use crate::error::FieldError;
use crate::money::Money;
use crate::quote::WEEKDAY_NAMES;
use crate::rules;
use crate::snapshot::{CartContains, Conditions, History, Validity};

impl Compiler<'_> {
    pub(super) fn validity(
        &mut self,
        path: &str,
        v: &rules::Validity,
        zone: &TimeZone,
    ) -> Validity {
        let mut instant = |field: &str, text: &Option<String>| {
            text.as_deref().and_then(|t| {
                parse_instant(t, zone)
                    .map_err(|e| {
                        self.errors
                            .push(FieldError::new(format!("{path}.{field}"), e))
                    })
                    .ok()
            })
        };
        let starts_at = instant("starts_at", &v.starts_at);
        let ends_at = instant("ends_at", &v.ends_at);
        if let (Some(start), Some(end)) = (starts_at, ends_at)
            && end <= start
        {
            self.error(format!("{path}.ends_at"), "must be after starts_at");
        }
        let mut weekdays = 0u8;
        for (j, day) in v.weekdays.iter().enumerate() {
            match WEEKDAY_NAMES
                .iter()
                .position(|d| d.eq_ignore_ascii_case(day))
            {
                Some(n) => weekdays |= 1 << n,
                None => self.error(
                    format!("{path}.weekdays[{j}]"),
                    format!("`{day}` is not a weekday (monday … sunday)"),
                ),
            }
        }
        let mut windows = Vec::new();
        for (j, window) in v.windows.iter().enumerate() {
            let from = parse_time_of_day(&window.from);
            let to = parse_time_of_day(&window.to);
            if from.is_none() {
                self.error(
                    format!("{path}.windows[{j}].from"),
                    format!("`{}` is not a time (HH:MM)", window.from),
                );
            }
            if to.is_none() {
                self.error(
                    format!("{path}.windows[{j}].to"),
                    format!("`{}` is not a time (HH:MM)", window.to),
                );
            }
            if let (Some(from), Some(to)) = (from, to) {
                if from == to {
                    self.error(
                        format!("{path}.windows[{j}]"),
                        "from and to are equal: the window is empty",
                    );
                }
                windows.push((from, to));
            }
        }
        Validity {
            starts_at,
            ends_at,
            weekdays,
            windows: windows.into_boxed_slice(),
        }
    }

    pub(super) fn conditions(
        &mut self,
        path: &str,
        c: &rules::Conditions,
        money: &Money,
    ) -> Conditions {
        let min = c
            .min_cart_amount
            .map(|a| self.amount(&format!("{path}.min_cart_amount"), a, money));
        let max = c
            .max_cart_amount
            .map(|a| self.amount(&format!("{path}.max_cart_amount"), a, money));
        if let (Some(min), Some(max)) = (min, max)
            && max < min
        {
            self.error(
                format!("{path}.max_cart_amount"),
                format!("{max} is below min_cart_amount {min}"),
            );
        }
        let coupon = c.coupon.as_ref().map(|coupon| {
            let mut codes = Vec::new();
            for (j, code) in coupon.codes.iter().enumerate() {
                let normalized = normalize_code(code);
                if normalized.is_empty() {
                    self.error(format!("{path}.coupon.codes[{j}]"), "must not be empty");
                }
                codes.push(normalized.into_boxed_str());
            }
            codes.into_boxed_slice()
        });
        if c.min_line_quantity == Some(0) {
            self.error(format!("{path}.min_line_quantity"), "must be at least 1");
        }
        let cart_contains = c
            .cart_contains
            .iter()
            .enumerate()
            .map(|(j, contains)| {
                let item_path = format!("{path}.cart_contains[{j}]");
                if !names_products(&contains.targets) && contains.targets.unit_price.is_none() {
                    self.error(
                        format!("{item_path}.targets"),
                        "must name the products (skus, segments, …) or a unit price range",
                    );
                }
                if contains.min_quantity == Some(0) {
                    self.error(format!("{item_path}.min_quantity"), "must be at least 1");
                }
                CartContains {
                    targets: self.targets(
                        &format!("{item_path}.targets"),
                        &contains.targets,
                        money,
                    ),
                    // With neither minimum, one unit is enough.
                    min_quantity: contains.min_quantity.unwrap_or(1),
                    min_amount: contains
                        .min_amount
                        .map(|a| self.amount(&format!("{item_path}.min_amount"), a, money)),
                }
            })
            .collect();
        let history = c
            .history
            .as_ref()
            .map(|h| self.history(&format!("{path}.history"), h, money));
        Conditions {
            min_cart_amount: min,
            max_cart_amount: max,
            min_quantity: c.min_quantity.unwrap_or(0),
            min_distinct_products: c.min_distinct_products.unwrap_or(0),
            coupon,
            shipping_methods: c
                .shipping_methods
                .iter()
                .map(|m| m.as_str().into())
                .collect(),
            min_line_quantity: c.min_line_quantity.unwrap_or(0),
            cart_contains,
            history,
        }
    }

    /// Order counts become bounds on the orders placed before: a first order is at most 0 before,
    /// an nth order exactly n − 1.
    pub(super) fn history(&mut self, path: &str, h: &rules::History, money: &Money) -> History {
        let mut min_orders = h.min_orders;
        let mut max_orders = h.max_orders;
        let mut exactly = |field: &str, before: u32, errors: &mut Vec<FieldError>| {
            if min_orders.is_some_and(|m| m > before) || max_orders.is_some_and(|m| m < before) {
                errors.push(FieldError::new(
                    format!("{path}.{field}"),
                    "contradicts min_orders / max_orders",
                ));
            }
            min_orders = Some(before);
            max_orders = Some(before);
        };
        if h.first_order {
            exactly("first_order", 0, &mut self.errors);
        }
        match h.nth_order {
            Some(0) => self.error(format!("{path}.nth_order"), "must be at least 1"),
            Some(n) if h.first_order && n != 1 => self.error(
                format!("{path}.nth_order"),
                "contradicts first_order (the first order is the 1st)",
            ),
            Some(n) => exactly("nth_order", n - 1, &mut self.errors),
            None => {}
        }
        if let (Some(min), Some(max)) = (min_orders, max_orders)
            && max < min
        {
            self.error(
                format!("{path}.max_orders"),
                format!("{max} is below min_orders {min}"),
            );
        }
        History {
            min_orders,
            max_orders,
            min_spent: h
                .min_spent
                .map(|a| self.amount(&format!("{path}.min_spent"), a, money)),
        }
    }
}
