//! The largest amounts and quantities the engine accepts, and why they are enough to keep every
//! computation of a quote from overflowing.
//!
//! `rust_decimal` panics when a result does not fit its 96-bit mantissa (`Decimal::MAX` ≈
//! 7.9 × 10^28): an amount in a request or a rule file must therefore be bounded before the engine
//! computes with it. The bounds, checked when rules are compiled and when a request is read:
//!
//! - every money amount (prices, costs, minimum and "was" prices, shipping prices, fixed offer
//!   amounts, thresholds, budgets, vouchers, what a customer spent, what a budget granted) is at
//!   most [`MAX_AMOUNT`] = 10^15 in the currency's unit and not negative; prices and fixed amounts
//!   have at most the currency's decimals;
//! - tax rates are between 0 and 1, percentages between 0 and 100;
//! - a cart holds at most [`MAX_UNITS`] = 10^9 units in all (the sum of its lines' quantities), and
//!   a buy X get Y buys and gets at most as many.
//!
//! Why nothing overflows then (A = 10^15, U = 10^9):
//! - a unit price in the display mode is at most A × (1 + rate) ≤ 2A; a line, and so the whole
//!   merchandise of a cart, at most U × 2A = 2 × 10^24; a shipping option at most 2A;
//! - a discount never takes more than what is left and no amount goes below zero, so every amount
//!   an evaluation holds (parts, lines, discounts, totals, budgets left) stays within the cart's
//!   merchandise plus its shipping options;
//! - the products the engine forms are an amount times a rate or (1 + rate) (≤ 2 × amount), or a
//!   per-unit amount times a number of units (≤ 2A × U): at most 4 × 10^24, 10^4 times below the
//!   ceiling; written at the currency's scale (at most 4 decimals in ISO 4217) such an amount's
//!   mantissa is at most 4 × 10^28, still below the ceiling (a `Decimal` beyond it would lose
//!   decimals, not panic, when rescaled);
//! - the products of two amounts (a split in proportion, a share of a part's units) go through
//!   [`crate::money::mul_div`], which computes `a × (b / c)` (with `b ≤ c`, so at most `a`) when
//!   `a × b` would not fit;
//! - sums over promotions (whose number no rule bounds) saturate: they only bound a search or
//!   order ties;
//! - sums of units fit a `u32` (U < 2^32), as does a buy X get Y's `buy + get` (2U < 2^32).

use rust_decimal::Decimal;

/// The largest money amount, in the currency's unit: 10^15 (a million billion euros, or yen).
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

/// The most units a cart may hold, all lines together: 10^9.
pub const MAX_UNITS: u32 = 1_000_000_000;

// Two counts of units (a buy X get Y's `buy + get`, units of a cart) add up within a u32.
const _: () = assert!(MAX_UNITS <= u32::MAX / 2);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounds_are_the_documented_figures() {
        assert_eq!(MAX_AMOUNT, Decimal::from(10u64.pow(15)));
        assert_eq!(MAX_UNITS, 10u32.pow(9));
        // The proof's margins: the largest cart and its largest products fit.
        let cart = MAX_AMOUNT * Decimal::TWO * Decimal::from(MAX_UNITS);
        assert!(cart.checked_mul(Decimal::TWO).is_some());
    }
}
