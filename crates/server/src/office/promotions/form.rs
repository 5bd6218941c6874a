//! What the promotion form is made of: its offer types, its lists of rows (time windows, cart
//! contents, tiers, bundle slots) and how many of each it shows.

use super::values::FormValues;

/// Every offer type of the rule format, in the order the form lists them.
pub const OFFER_TYPES: [&str; 16] = [
    "percent_off",
    "amount_off_each",
    "amount_off_line",
    "amount_off_total",
    "unit_price",
    "cart_percent_off",
    "cart_amount_off",
    "tiered",
    "buy_x_get_y",
    "bundle",
    "free_shipping",
    "shipping_percent_off",
    "shipping_amount_off",
    "shipping_capped_price",
    "gift",
    "parcel_insert",
];

/// The offers a tier may give (merchandise offers).
pub const TIER_OFFER_TYPES: [&str; 7] = [
    "percent_off",
    "amount_off_each",
    "amount_off_line",
    "amount_off_total",
    "unit_price",
    "cart_percent_off",
    "cart_amount_off",
];

pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The most rows of one list the form reads (far more than a promotion needs).
pub const ROW_LIMIT: usize = 50;

/// The input name of an offer type's field: each type has its own inputs, so that without
/// JavaScript every type's section can be on the page at once.
pub fn offer_field(kind: &str, field: &str) -> String {
    format!("offer.{kind}.{field}")
}

/// The chosen offer type (the first one when none or an unknown one is chosen).
pub fn offer_type(values: &FormValues) -> &'static str {
    let chosen = values.get("offer.type");
    OFFER_TYPES
        .into_iter()
        .find(|t| *t == chosen)
        .unwrap_or(OFFER_TYPES[0])
}

/// For each list of the promotion, the form row each item came from (empty rows are skipped,
/// so the engine's `windows[0]` may be the form's second row).
#[derive(Debug, Clone, Default)]
pub struct RowMap {
    pub windows: Vec<usize>,
    pub cart_contains: Vec<usize>,
    pub tiers: Vec<usize>,
    pub slots: Vec<usize>,
}

/// How many rows of each list the form shows: those in use (up to the last one filled in) and
/// empty ones to add more.
#[derive(Debug, Clone, Copy)]
pub struct Rows {
    pub windows: usize,
    pub cart_contains: usize,
    pub tiers: usize,
    pub slots: usize,
}

impl Rows {
    /// Enough rows for what `values` holds, plus empty ones.
    pub fn for_values(values: &FormValues) -> Rows {
        let used = |in_use: &dyn Fn(usize) -> bool| {
            (0..ROW_LIMIT)
                .rev()
                .find(|&row| in_use(row))
                .map_or(0, |row| row + 1)
        };
        let windows = used(&|row| values.any_under(&format!("validity.windows[{row}].")));
        let cart_contains =
            used(&|row| values.any_under(&format!("conditions.cart_contains[{row}].")));
        // A tier's selects always hold a value: its threshold or its value tell it is used.
        let tiers = used(&|row| {
            let prefix = offer_field("tiered", &format!("tiers[{row}]"));
            !values.get(&format!("{prefix}.threshold")).is_empty()
                || !values.get(&format!("{prefix}.offer.value")).is_empty()
        });
        let slots = used(&|row| {
            values.any_under(&offer_field("bundle", &format!("slots[{row}].targets.")))
                || !values
                    .get(&offer_field("bundle", &format!("slots[{row}].quantity")))
                    .is_empty()
        });
        let more = |used: usize, spare: usize, least: usize| (used + spare).clamp(least, ROW_LIMIT);
        Rows {
            windows: more(windows, 1, 2),
            cart_contains: more(cart_contains, 1, 1),
            tiers: more(tiers, 1, 3),
            slots: more(slots, 1, 3),
        }
    }
}
