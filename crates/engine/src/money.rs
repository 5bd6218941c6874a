//! Exact money: rounding to a currency's minor unit, tax splits and largest-remainder allocation.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::limits::MAX_AMOUNT;
use crate::quote::Taxed;
use crate::rules::{Display, Rounding};

/// A currency and how its amounts are rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    pub currency: iso_currency::Currency,
    /// Digits after the decimal point (ISO 4217 minor unit).
    pub scale: u32,
    pub strategy: RoundingStrategy,
}

impl Money {
    /// `None` for an unknown ISO 4217 code.
    pub fn parse(code: &str, rounding: Rounding) -> Option<Money> {
        let currency = iso_currency::Currency::from_code(code)?;
        // Currencies without a minor unit (gold, SDR, …) are priced in whole units.
        let scale = currency.exponent().map_or(0, u32::from);
        let strategy = match rounding {
            Rounding::HalfAwayFromZero => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
        };
        Some(Money {
            currency,
            scale,
            strategy,
        })
    }

    pub fn code(&self) -> &'static str {
        self.currency.code()
    }

    /// Rounds to the minor unit and fixes the scale so that `12.5` prints as `12.50`.
    pub fn round(&self, amount: Decimal) -> Decimal {
        let mut rounded = amount.round_dp_with_strategy(self.scale, self.strategy);
        rounded.rescale(self.scale);
        rounded
    }

    /// The same value at the currency's scale, or `None` if that would lose digits.
    pub fn exact(&self, amount: Decimal) -> Option<Decimal> {
        let rounded = self.round(amount);
        (rounded == amount).then_some(rounded)
    }

    /// Why `amount` cannot be a price or an amount in this currency, if it cannot: every price,
    /// amount and threshold of rules and requests is checked by this one rule.
    pub fn amount_problem(&self, amount: Decimal) -> Option<String> {
        if let Some(problem) = bound_problem(amount) {
            Some(problem)
        } else if self.exact(amount).is_none() {
            Some(format!(
                "{amount} has more decimals than {} allows ({})",
                self.code(),
                self.scale
            ))
        } else {
            None
        }
    }

    pub fn zero(&self) -> Decimal {
        Decimal::new(0, self.scale)
    }

    /// Splits an amount already rounded to the currency, `amount`, in the customer's display mode.
    pub fn split_tax(&self, amount: Decimal, rate: Decimal, display: Display) -> Taxed {
        match display {
            Display::Gross => {
                let net = self.round(amount / (Decimal::ONE + rate));
                Taxed {
                    net,
                    tax: amount - net,
                    gross: amount,
                }
            }
            Display::Net => {
                let tax = self.round(amount * rate);
                Taxed {
                    net: amount,
                    tax,
                    gross: amount + tax,
                }
            }
        }
    }

    /// A unit price entered in the store's price mode, expressed in the display mode (unrounded).
    pub fn in_display(
        &self,
        price: Decimal,
        rate: Decimal,
        entered_gross: bool,
        display: Display,
    ) -> Decimal {
        match (entered_gross, display) {
            (true, Display::Gross) | (false, Display::Net) => price,
            (true, Display::Net) => price / (Decimal::ONE + rate),
            (false, Display::Gross) => price * (Decimal::ONE + rate),
        }
    }

    /// Splits `total` (already at the currency's scale) over `weights` in proportion, by the
    /// largest-remainder method: every part is at the currency's scale and the parts sum exactly to
    /// `total`. Ties in remainders go to the earlier weight. Zero weights get zero unless all are
    /// zero, in which case the split is even.
    pub fn allocate(&self, total: Decimal, weights: &[Decimal], parts: &mut Vec<Decimal>) {
        parts.clear();
        if weights.is_empty() {
            return;
        }
        let sum: Decimal = weights.iter().sum();
        let unit = Decimal::new(1, self.scale);
        let even = sum.is_zero();
        let weight = |w: Decimal| if even { Decimal::ONE } else { w };
        let sum = if even {
            Decimal::from(weights.len())
        } else {
            sum
        };
        let mut remainders: smallvec::SmallVec<[(Decimal, usize); 16]> = smallvec::SmallVec::new();
        let mut given = Decimal::ZERO;
        for (i, &w) in weights.iter().enumerate() {
            let exact = mul_div(total, weight(w), sum);
            let floor = self.round_toward_zero(exact);
            given += floor;
            remainders.push(((exact - floor).abs(), i));
            parts.push(floor);
        }
        let mut left = total - given;
        // Largest remainder first; the stable sort keeps earlier lines first among equals.
        remainders.sort_by_key(|&(remainder, _)| std::cmp::Reverse(remainder));
        let step = if left.is_sign_negative() { -unit } else { unit };
        for &(_, i) in remainders.iter().cycle() {
            if left.is_zero() {
                break;
            }
            parts[i] += step;
            left -= step;
        }
    }

    fn round_toward_zero(&self, amount: Decimal) -> Decimal {
        let mut rounded = amount.round_dp_with_strategy(self.scale, RoundingStrategy::ToZero);
        rounded.rescale(self.scale);
        rounded
    }
}

/// Why `amount` cannot be a money amount, whatever its decimals: negative, or above
/// [`MAX_AMOUNT`] (see [`crate::limits`]).
pub fn bound_problem(amount: Decimal) -> Option<String> {
    if amount.is_sign_negative() && !amount.is_zero() {
        Some(format!("must not be negative (got {amount})"))
    } else if amount > MAX_AMOUNT {
        Some(format!(
            "must be at most {MAX_AMOUNT} (10^15) in the currency's unit (got {amount})"
        ))
    } else {
        None
    }
}

/// `a × b / c` for `0 ≤ b ≤ c` (a part `b` of a whole `c`): exact as written while `a × b` fits a
/// `Decimal`, else `a × (b / c)`, which is at most `a` and cannot overflow (only carts near the
/// limits of [`crate::limits`] take that path, where it rounds at the 28th digit).
pub(crate) fn mul_div(a: Decimal, b: Decimal, c: Decimal) -> Decimal {
    match a.checked_mul(b) {
        Some(product) => product / c,
        None => a * (b / c),
    }
}

/// Why `rate` cannot be a tax rate, if it cannot.
pub(crate) fn rate_problem(rate: Decimal) -> Option<String> {
    (rate.is_sign_negative() && !rate.is_zero() || rate > Decimal::ONE)
        .then(|| format!("must be between 0 and 1 (got {rate}; 20 % is 0.20)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn eur() -> Money {
        Money::parse("EUR", Rounding::HalfAwayFromZero).unwrap()
    }

    #[test]
    fn rounds_half_away_from_zero_or_half_even() {
        assert_eq!(eur().round(dec!(0.005)), dec!(0.01));
        assert_eq!(eur().round(dec!(-0.005)), dec!(-0.01));
        let even = Money::parse("EUR", Rounding::HalfEven).unwrap();
        assert_eq!(even.round(dec!(0.005)), dec!(0.00));
        assert_eq!(even.round(dec!(0.015)), dec!(0.02));
        let yen = Money::parse("JPY", Rounding::HalfAwayFromZero).unwrap();
        assert_eq!(yen.round(dec!(2.5)).to_string(), "3");
        let dinar = Money::parse("BHD", Rounding::HalfAwayFromZero).unwrap();
        assert_eq!(dinar.round(dec!(1.2345)).to_string(), "1.235");
    }

    #[test]
    fn three_lines_share_ten_euros_exactly() {
        let mut parts = Vec::new();
        eur().allocate(dec!(10.00), &[dec!(1), dec!(1), dec!(1)], &mut parts);
        assert_eq!(parts, vec![dec!(3.34), dec!(3.33), dec!(3.33)]);
        eur().allocate(dec!(10.00), &[dec!(0), dec!(0)], &mut parts);
        assert_eq!(parts, vec![dec!(5.00), dec!(5.00)]);
        eur().allocate(dec!(1.00), &[dec!(3), dec!(0), dec!(7)], &mut parts);
        assert_eq!(parts, vec![dec!(0.30), dec!(0.00), dec!(0.70)]);
    }

    #[test]
    fn amounts_above_the_limit_are_refused() {
        let limit = crate::limits::MAX_AMOUNT;
        assert_eq!(eur().amount_problem(limit), None);
        let above = eur().amount_problem(limit + dec!(0.01)).unwrap();
        assert!(above.contains("at most 1000000000000000"), "{above}");
        assert!(eur().amount_problem(Decimal::MAX).is_some());
        assert!(eur().amount_problem(dec!(-0.01)).is_some());
    }

    #[test]
    fn allocating_the_largest_amounts_does_not_overflow() {
        // 10^15 × 2·10^24 does not fit a Decimal: the split goes through the share instead.
        let mut parts = Vec::new();
        let third = dec!(1_000_000_000_000_000_000_000);
        eur().allocate(
            dec!(1_000_000_000_000_000),
            &[third, third * Decimal::TWO],
            &mut parts,
        );
        assert_eq!(
            parts,
            vec![dec!(333333333333333.33), dec!(666666666666666.67)]
        );
        // Small figures keep the exact product.
        assert_eq!(mul_div(dec!(0.01), dec!(3), dec!(6)), dec!(0.005));
    }

    #[test]
    fn tax_splits_add_up() {
        let t = eur().split_tax(dec!(10.00), dec!(0.2), Display::Gross);
        assert_eq!(
            (t.net, t.tax, t.gross),
            (dec!(8.33), dec!(1.67), dec!(10.00))
        );
        let t = eur().split_tax(dec!(8.33), dec!(0.2), Display::Net);
        assert_eq!(
            (t.net, t.tax, t.gross),
            (dec!(8.33), dec!(1.67), dec!(10.00))
        );
    }
}
