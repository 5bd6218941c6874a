//! The simulator's form: its fields as they came in the URL (a GET, so that a simulation can be
//! shared and other screens can link to one prefilled), and the cart they describe.

use std::str::FromStr;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use remise_engine::cart::{PresentedCode, ShippingOption};
use remise_engine::rules::Display;
use remise_engine::{Cart, CartLine, Customer};
use rust_decimal::Decimal;

use crate::office::form::FormErrors;
use crate::office::page::Page;

/// The form's fields, as text, to show them again.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub channel: String,
    pub customer: String,
    pub groups: Vec<String>,
    pub collection_point: String,
    pub orders: String,
    pub spent: String,
    /// `""` (the customer's groups decide), `gross` or `net`.
    pub display: String,
    /// `datetime-local` in the store's zone (`2026-12-05T14:30`), or RFC 3339.
    pub at: String,
    /// The cart's lines: `(sku, quantity)` from the rows of the form.
    pub rows: Vec<(String, String)>,
    /// More lines, one `SKU QUANTITY` per line (the form without JavaScript).
    pub lines_text: String,
    pub codes: String,
    /// Shipping options, one `METHOD PRICE [TAX %]` per line.
    pub shipping: String,
    /// The chosen shipping method.
    pub method: String,
    /// A campaign that is not active, whose promotions are added for this simulation only.
    pub campaign: String,
    /// Also search what the best-for-customer strategy would give.
    pub compare: bool,
    /// Whether the URL asked for a simulation at all (the first visit shows the form only).
    pub submitted: bool,
}

impl Input {
    /// Reads the URL's pairs; unknown names are ignored (links may carry more).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Input {
        let mut input = Input::default();
        let mut skus = Vec::new();
        let mut quantities = Vec::new();
        for (name, value) in pairs {
            input.submitted = true;
            match name.as_str() {
                "channel" => input.channel = value,
                "customer" => input.customer = value,
                "group" => input.groups.push(value),
                "collection_point" => input.collection_point = value,
                "orders" => input.orders = value,
                "spent" => input.spent = value,
                "display" => input.display = value,
                "at" => input.at = value,
                "sku" => skus.push(value),
                "qty" => quantities.push(value),
                "lines" => input.lines_text = value,
                "codes" => input.codes = value,
                "shipping" => input.shipping = value,
                "method" => input.method = value,
                "campaign" => input.campaign = value,
                "compare" => input.compare = !value.is_empty(),
                _ => {}
            }
        }
        // Rows come as pairs in order; a row without its quantity counts one unit.
        for (i, sku) in skus.into_iter().enumerate() {
            let quantity = quantities.get(i).cloned().unwrap_or_else(|| "1".to_owned());
            input.rows.push((sku, quantity));
        }
        input
    }

    /// Every line of the cart, rows first, then the text area's, with their 1-based number.
    pub fn all_lines(&self) -> Vec<(String, String)> {
        let mut lines: Vec<(String, String)> = self
            .rows
            .iter()
            .map(|(sku, qty)| (sku.trim().to_owned(), qty.trim().to_owned()))
            .collect();
        for text in self.lines_text.lines() {
            let mut words = text
                .split(|c: char| c.is_whitespace() || c == ';' || c == ',')
                .filter(|w| !w.is_empty());
            let Some(sku) = words.next() else { continue };
            let quantity = words.next().unwrap_or("1");
            let quantity = match words.next() {
                // More words: kept, so that the error says what was not understood.
                Some(rest) => format!("{quantity} {rest}"),
                None => quantity.to_owned(),
            };
            lines.push((sku.to_owned(), quantity));
        }
        lines
    }

    /// The cart the form describes, at the instant it says (in `zone`) or `now`. Every field's
    /// problem is reported, next to its field.
    pub fn cart(&self, page: &Page, zone: &TimeZone, now: Timestamp) -> Result<Cart, FormErrors> {
        let mut errors = FormErrors::default();
        let at = match self.at.trim() {
            "" => now,
            text => match crate::model::parse_instant(text, zone) {
                Some(at) => at,
                None => {
                    errors.add("at", page.t1("simulator-error-at", "value", text));
                    now
                }
            },
        };
        let mut lines = Vec::new();
        for (number, (sku, quantity)) in self.all_lines().into_iter().enumerate() {
            let number = number + 1;
            match quantity.parse::<i64>() {
                // Zero removes a row (the form's way without JavaScript).
                Ok(0) => {}
                Ok(units) if units > 0 => {
                    let mut line = CartLine::new(sku, 1);
                    line.quantity = units;
                    lines.push(line);
                }
                _ => errors.add(
                    "lines",
                    page.t2(
                        "simulator-error-quantity",
                        "line",
                        number,
                        "value",
                        quantity,
                    ),
                ),
            }
        }
        if lines.is_empty() && errors.get("lines").is_none() {
            errors.add("lines", page.t("simulator-error-no-lines"));
        }
        let orders = match self.orders.trim() {
            "" => None,
            text => match text.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.add("orders", page.t1("simulator-error-orders", "value", text));
                    None
                }
            },
        };
        let spent = match self.spent.trim() {
            "" => None,
            text => match decimal(text).filter(|d| !d.is_sign_negative()) {
                Some(amount) => Some(amount),
                None => {
                    errors.add("spent", page.t1("simulator-error-amount", "value", text));
                    None
                }
            },
        };
        let display = match self.display.as_str() {
            "" => None,
            "gross" => Some(Display::Gross),
            "net" => Some(Display::Net),
            other => {
                errors.add(
                    "display",
                    page.t1("simulator-error-display", "value", other),
                );
                None
            }
        };
        let mut shipping_options = Vec::new();
        for (number, text) in self
            .shipping
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
        {
            match shipping_option(text) {
                Some(option) => shipping_options.push(option),
                None => errors.add(
                    "shipping",
                    page.t2(
                        "simulator-error-shipping",
                        "line",
                        number + 1,
                        "value",
                        text.trim(),
                    ),
                ),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let mut cart = Cart::new(at.to_string(), lines);
        cart.customer = Customer {
            id: text(&self.customer),
            groups: self.groups.iter().filter_map(|g| text(g)).collect(),
            collection_point: text(&self.collection_point),
            orders,
            spent,
        };
        cart.channel = text(&self.channel);
        cart.display = display;
        cart.codes = self
            .codes
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|c| !c.is_empty())
            .map(|c| PresentedCode::Plain(c.to_owned()))
            .collect();
        cart.shipping_options = shipping_options;
        cart.shipping_method = text(&self.method);
        cart.compare_strategies = self.compare;
        Ok(cart)
    }

    /// The instant to show in the form: as typed, or now in the store's zone.
    pub fn at_or_now(&self, zone: &TimeZone, now: Timestamp) -> String {
        if self.at.trim().is_empty() {
            local_input(now, zone)
        } else {
            self.at.clone()
        }
    }
}

/// An instant as a `datetime-local` input shows it, in `zone`.
pub fn local_input(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned(zone.clone())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A decimal typed the French way or the English way (`4,90`, `4.90`).
fn decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(&text.trim().replace(',', ".")).ok()
}

/// `METHOD PRICE [TAX %]`: `standard 4,90 20` is standard shipping at 4.90 with 20 % tax.
fn shipping_option(text: &str) -> Option<ShippingOption> {
    let mut words = text.split_whitespace();
    let method = words.next()?.to_owned();
    let price = decimal(words.next()?).filter(|p| !p.is_sign_negative())?;
    let tax_rate = match words.next() {
        None => Decimal::ZERO,
        Some(rate) => {
            decimal(rate.trim_end_matches('%'))
                .filter(|r| !r.is_sign_negative() && *r <= Decimal::ONE_HUNDRED)?
                / Decimal::ONE_HUNDRED
        }
    };
    if words.next().is_some() {
        return None;
    }
    Some(ShippingOption {
        method,
        price,
        tax_rate,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rust_decimal_macros::dec;

    use super::*;
    use crate::office::i18n::Lang;

    fn page() -> Page {
        Page {
            lang: Lang::En,
            user: None,
            csrf: String::new(),
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn rows_and_text_lines_make_the_cart() {
        let input = Input::from_pairs(pairs(&[
            ("sku", "FIG-SPIDERMAN"),
            ("qty", "2"),
            ("sku", "GAME-UNO"),
            ("qty", "0"),
            ("lines", "LEGO-AVENGERS 1\r\nPILES-AA\n\n  GAME-UNO;3 "),
            ("at", "2026-12-05T14:30"),
            ("codes", "marvel10, OTHER"),
            ("shipping", "standard 4,90 20\nexpress 9.90 20%"),
            ("method", "standard"),
            ("group", "pro"),
            ("channel", "web"),
        ]));
        let zone = TimeZone::get("Europe/Paris").unwrap();
        let cart = input.cart(&page(), &zone, Timestamp::UNIX_EPOCH).unwrap();
        let lines: Vec<(&str, i64)> = cart
            .lines
            .iter()
            .map(|l| (l.sku.as_str(), l.quantity))
            .collect();
        assert_eq!(
            lines,
            [
                ("FIG-SPIDERMAN", 2),
                ("LEGO-AVENGERS", 1),
                ("PILES-AA", 1),
                ("GAME-UNO", 3)
            ]
        );
        assert_eq!(
            cart.at.parse::<Timestamp>().unwrap(),
            "2026-12-05T13:30:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(cart.codes.len(), 2);
        assert_eq!(cart.shipping_options[0].price, dec!(4.90));
        assert_eq!(cart.shipping_options[1].tax_rate, dec!(0.20));
        assert_eq!(cart.shipping_method.as_deref(), Some("standard"));
        assert_eq!(cart.customer.groups, ["pro"]);
        assert_eq!(cart.channel.as_deref(), Some("web"));
    }

    #[test]
    fn every_field_error_is_reported() {
        let input = Input::from_pairs(pairs(&[
            ("sku", "A"),
            ("qty", "-2"),
            ("lines", "B deux"),
            ("at", "tomorrow"),
            ("orders", "x"),
            ("spent", "-5"),
            ("display", "both"),
            ("shipping", "standard"),
        ]));
        let zone = TimeZone::UTC;
        let errors = input
            .cart(&page(), &zone, Timestamp::UNIX_EPOCH)
            .unwrap_err();
        let fields: Vec<&str> = errors.fields.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "at", "lines", "lines", "orders", "spent", "display", "shipping"
            ]
        );
        assert!(errors.fields[1].1.contains("-2"), "{:?}", errors.fields);
        assert!(errors.fields[2].1.contains("deux"), "{:?}", errors.fields);
    }

    #[test]
    fn a_cart_needs_a_line() {
        let input = Input::from_pairs(pairs(&[("lines", "  \n"), ("sku", "A"), ("qty", "0")]));
        let errors = input
            .cart(&page(), &TimeZone::UTC, Timestamp::UNIX_EPOCH)
            .unwrap_err();
        assert_eq!(errors.fields.len(), 1);
        assert_eq!(errors.fields[0].0, "lines");
    }
}
