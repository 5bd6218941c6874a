//! The readable report of `remise eval --explain`: what the customer pays, line by line, why
//! each promotion applied or not, which units each multi-unit offer (buy X get Y, bundle) used, and
//! what the vouchers paid.

use std::fmt::Write;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use remise_engine::quote::{
    Application, LineDiscount, LineUnits, LineVoucher, PromotionOutcome, Status, Taxed,
};
use remise_engine::rules::Display;
use remise_engine::{Cart, Quote};
use serde::Serialize;

/// The report, ready to print.
pub fn report(cart: &Cart, quote: &Quote) -> String {
    let mut out = String::new();
    header(&mut out, cart, quote);
    lines(&mut out, quote);
    shipping(&mut out, quote);
    gifts(&mut out, quote);
    parcel_inserts(&mut out, quote);
    totals(&mut out, quote);
    promotions(&mut out, quote);
    multi_unit(&mut out, quote);
    vouchers(&mut out, quote);
    nudges(&mut out, quote);
    best_for_customer(&mut out, quote);
    out
}

fn header(out: &mut String, cart: &Cart, quote: &Quote) {
    let customer = cart.customer.id.as_deref().unwrap_or("anonymous");
    let groups = if cart.customer.groups.is_empty() {
        "no group".to_owned()
    } else {
        format!("groups: {}", cart.customer.groups.join(", "))
    };
    let mode = match quote.display {
        Display::Gross => "tax included",
        Display::Net => "tax excluded",
    };
    let _ = writeln!(out, "Cart at {}", cart.at);
    let _ = writeln!(
        out,
        "Customer {customer} ({groups}), channel {}",
        cart.channel.as_deref().unwrap_or("(none)")
    );
    let _ = writeln!(
        out,
        "Amounts in {}, {} ({} display), strategy: {}",
        quote.currency,
        mode,
        label(&quote.display),
        label(&quote.strategy)
    );
}

fn section(out: &mut String, title: &str) {
    let _ = writeln!(out, "\n{title}");
}

fn table(out: &mut String, table: &Table) {
    let _ = writeln!(out, "{table}");
}

/// A table with `headers`, whose columns at `right` are right-aligned (amounts, quantities).
fn new_table(headers: &[&str], right: &[usize]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(headers.to_vec());
    for &i in right {
        if let Some(column) = table.column_mut(i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

fn lines(out: &mut String, quote: &Quote) {
    section(out, "Lines");
    if quote.lines.is_empty() {
        let _ = writeln!(out, "  (empty cart)");
        return;
    }
    let mut t = new_table(
        &[
            "line",
            "product",
            "qty",
            "reference unit",
            "catalog unit",
            "subtotal",
            "discounts",
            "amount",
            "net",
            "tax",
            "gross",
        ],
        &[2, 3, 4, 5, 7, 8, 9, 10],
    );
    for line in &quote.lines {
        let catalog = match &line.catalog_promotion {
            Some(promotion) => format!("{}\n({promotion})", line.catalog_unit_price),
            None => line.catalog_unit_price.to_string(),
        };
        let [net, tax, gross] = taxed(&line.total);
        t.add_row(vec![
            line.id.to_string(),
            format!("{}\n{}", line.sku, line.name),
            line.quantity.to_string(),
            line.reference_unit_price.to_string(),
            catalog,
            line.subtotal.to_string(),
            [discounts(&line.discounts), paid_by_vouchers(&line.vouchers)]
                .into_iter()
                .filter(|cell| !cell.is_empty())
                .collect::<Vec<_>>()
                .join("\n"),
            line.amount.to_string(),
            net,
            tax,
            gross,
        ]);
    }
    table(out, &t);
}

fn shipping(out: &mut String, quote: &Quote) {
    section(out, "Shipping");
    if quote.shipping.is_empty() {
        let _ = writeln!(out, "  (no shipping option in the cart)");
        return;
    }
    let mut t = new_table(
        &[
            "method",
            "chosen",
            "price",
            "discounts",
            "amount",
            "net",
            "tax",
            "gross",
        ],
        &[2, 4, 5, 6, 7],
    );
    for option in &quote.shipping {
        let [net, tax, gross] = taxed(&option.total);
        t.add_row(vec![
            option.method.to_owned(),
            if option.selected { "yes" } else { "" }.to_owned(),
            option.price.to_string(),
            discounts(&option.discounts),
            option.amount.to_string(),
            net,
            tax,
            gross,
        ]);
    }
    table(out, &t);
}

fn gifts(out: &mut String, quote: &Quote) {
    section(out, "Gifts");
    if quote.gifts.is_empty() {
        let _ = writeln!(out, "  (none)");
        return;
    }
    let mut t = new_table(&["promotion", "product", "qty", "value"], &[2, 3]);
    for gift in &quote.gifts {
        t.add_row(vec![
            gift.promotion.to_owned(),
            format!("{}\n{}", gift.sku, gift.name),
            gift.quantity.to_string(),
            gift.value.to_string(),
        ]);
    }
    table(out, &t);
}

fn parcel_inserts(out: &mut String, quote: &Quote) {
    section(out, "Parcel inserts");
    if quote.parcel_inserts.is_empty() {
        let _ = writeln!(out, "  (none)");
        return;
    }
    let mut t = new_table(&["promotion", "item", "description"], &[]);
    for insert in &quote.parcel_inserts {
        t.add_row(vec![insert.promotion, insert.item, insert.description]);
    }
    table(out, &t);
}

fn totals(out: &mut String, quote: &Quote) {
    section(out, "Totals");
    let totals = &quote.totals;
    let mut t = new_table(&["", "amount", "net", "tax", "gross"], &[1, 2, 3, 4]);
    let amount = |label: &str, amount: String| vec![label.to_owned(), amount];
    let split = |label: &str, total: &Taxed| {
        let [net, tax, gross] = taxed(total);
        let shown = match quote.display {
            Display::Gross => total.gross,
            Display::Net => total.net,
        };
        vec![label.to_owned(), shown.to_string(), net, tax, gross]
    };
    let chosen = quote
        .shipping
        .iter()
        .find(|s| s.selected)
        .map_or_else(|| "none chosen".to_owned(), |s| s.method.to_owned());
    t.add_row(amount(
        "subtotal at reference prices",
        totals.subtotal.to_string(),
    ))
    .add_row(amount(
        "subtotal at catalog prices",
        totals.catalog_subtotal.to_string(),
    ))
    .add_row(amount("merchandise discounts", negative(totals.discount)));
    if let Some(vouchers) = totals.vouchers {
        t.add_row(amount("vouchers", negative(vouchers)));
    }
    t.add_row(split("merchandise", &totals.merchandise))
        .add_row(amount(
            "shipping discounts",
            negative(totals.shipping_discount),
        ))
        .add_row(split(&format!("shipping ({chosen})"), &totals.shipping))
        .add_row(split("grand total", &totals.grand));
    table(out, &t);
}

fn promotions(out: &mut String, quote: &Quote) {
    section(out, "Promotions considered, in order");
    if quote.promotions.is_empty() {
        let _ = writeln!(out, "  (no promotion concerns this cart)");
        return;
    }
    let mut t = new_table(
        &[
            "#",
            "promotion",
            "name",
            "priority",
            "status",
            "discount",
            "on",
            "reason",
        ],
        &[0, 3, 5],
    );
    for (i, promotion) in quote.promotions.iter().enumerate() {
        let discount = if promotion.status == Status::Rejected && promotion.discount.is_zero() {
            String::new()
        } else {
            negative(promotion.discount)
        };
        let on = applies_to(quote, promotion);
        let reason = promotion
            .reason
            .as_ref()
            .map(|r| r.0.to_string())
            .unwrap_or_default();
        t.add_row(vec![
            (i + 1).to_string(),
            promotion.id.to_string(),
            promotion.name.to_string(),
            promotion.priority.to_string(),
            label(&promotion.status),
            discount,
            on,
            reason,
        ]);
    }
    table(out, &t);
}

/// What a promotion acted on: its lines, shipping methods, gifts and parcel inserts.
fn applies_to(quote: &Quote, promotion: &PromotionOutcome) -> String {
    let mut parts = Vec::new();
    match promotion.lines.as_slice() {
        [] => {}
        [line] => parts.push(format!("line {line}")),
        lines => parts.push(format!("lines {}", lines.join(", "))),
    }
    for method in &promotion.shipping_methods {
        parts.push(format!("shipping {method}"));
    }
    match promotion.applications.as_slice() {
        [] => {}
        [one] if is_bundle(one) => parts.push("1 bundle".to_owned()),
        [_] => parts.push("1 application".to_owned()),
        all if is_bundle(&all[0]) => parts.push(format!("{} bundles", all.len())),
        all => parts.push(format!("{} applications", all.len())),
    }
    if promotion.status == Status::Applied {
        for gift in quote.gifts.iter().filter(|g| g.promotion == promotion.id) {
            parts.push(format!("gift {} × {}", gift.sku, gift.quantity));
        }
        for insert in quote
            .parcel_inserts
            .iter()
            .filter(|i| i.promotion == promotion.id)
        {
            parts.push(format!("insert {}", insert.item));
        }
    }
    parts.join("\n")
}

/// For each buy X get Y, the units that triggered each application and those it rewarded; for
/// each bundle, the units that formed it: `application 1: line 1 (SKU) ×2 → line 3 (SKU) ×1`.
fn multi_unit(out: &mut String, quote: &Quote) {
    section(
        out,
        "Units used by multi-unit offers (buy X get Y, bundles)",
    );
    let mut any = false;
    for promotion in quote
        .promotions
        .iter()
        .filter(|p| !p.applications.is_empty())
    {
        any = true;
        let _ = writeln!(out, "  {} ({})", promotion.id, promotion.name);
        for (i, application) in promotion.applications.iter().enumerate() {
            let n = i + 1;
            if is_bundle(application) {
                let _ = writeln!(out, "    bundle {n}: {}", units(quote, &application.units));
            } else {
                let _ = writeln!(
                    out,
                    "    application {n}: {} → {}",
                    units(quote, &application.triggers),
                    units(quote, &application.rewards)
                );
            }
        }
    }
    if !any {
        let _ = writeln!(out, "  (none)");
    }
}

fn is_bundle(application: &Application) -> bool {
    !application.units.is_empty()
}

/// `line 1 (MUG) ×2 + line 3 (BOWL) ×1`.
fn units(quote: &Quote, units: &[LineUnits]) -> String {
    if units.is_empty() {
        return "(none)".to_owned();
    }
    units
        .iter()
        .map(|u| {
            let sku = quote
                .lines
                .iter()
                .find(|l| l.id == u.line)
                .map_or(String::new(), |l| format!(" ({})", l.sku));
            format!("line {}{sku} ×{}", u.line, u.units)
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// What each voucher of the cart paid, and what is left of it: `GC-50  50.00  30.00  20.00`.
fn vouchers(out: &mut String, quote: &Quote) {
    section(out, "Vouchers");
    if quote.vouchers.is_empty() {
        let _ = writeln!(out, "  (none)");
        return;
    }
    let mut t = new_table(
        &["voucher", "amount", "granted", "remaining", "paid for"],
        &[1, 2, 3],
    );
    for voucher in &quote.vouchers {
        let paid_for = if voucher.lines.is_empty() {
            "(no line left to pay for)".to_owned()
        } else {
            voucher
                .lines
                .iter()
                .map(|part| {
                    let sku = quote
                        .lines
                        .iter()
                        .find(|l| l.id == part.line)
                        .map_or(String::new(), |l| format!(" ({})", l.sku));
                    format!("line {}{sku} {}", part.line, negative(part.amount))
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        t.add_row(vec![
            voucher.code.to_owned(),
            voucher.amount.to_string(),
            voucher.granted.to_string(),
            voucher.remaining.to_string(),
            paid_for,
        ]);
    }
    table(out, &t);
}

fn nudges(out: &mut String, quote: &Quote) {
    section(out, "Nudges");
    if quote.nudges.is_empty() {
        let _ = writeln!(out, "  (none)");
        return;
    }
    for nudge in &quote.nudges {
        let _ = writeln!(out, "  • {nudge}  [{}]", nudge.promotion);
    }
}

/// What the best-for-customer search found, next to the priority order.
fn best_for_customer(out: &mut String, quote: &Quote) {
    section(out, "Best for customer");
    let Some(report) = &quote.best_for_customer else {
        let _ = writeln!(
            out,
            "  (not computed: the comparison would take more than 256 steps)"
        );
        return;
    };
    let how = if report.exact {
        format!("exact, {} plans evaluated", report.plans_evaluated)
    } else {
        format!("local search, {} plans evaluated", report.plans_evaluated)
    };
    // The plans are compared without the vouchers, which are spent on the chosen one.
    let before = if quote.vouchers.is_empty() {
        ""
    } else {
        ", totals before vouchers"
    };
    let _ = writeln!(
        out,
        "  priority order {} → best choice {}: saves {} ({how}{before})",
        report.priority_total, report.best_total, report.saving
    );
    if !report.left_out.is_empty() {
        let _ = writeln!(out, "  left out: {}", report.left_out.join(", "));
    }
    if !report.limited.is_empty() {
        let _ = writeln!(out, "  applied fewer times: {}", report.limited.join(", "));
    }
}

/// One discount per row of the cell: `-10.00 marvel-20`.
fn discounts(discounts: &[LineDiscount]) -> String {
    discounts
        .iter()
        .map(|d| format!("{} {}", negative(d.amount), d.promotion))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One voucher per row of the cell: `-2.22 voucher GC-50`.
fn paid_by_vouchers(vouchers: &[LineVoucher]) -> String {
    vouchers
        .iter()
        .map(|v| format!("{} voucher {}", negative(v.amount), v.code))
        .collect::<Vec<_>>()
        .join("\n")
}

fn negative(amount: impl std::fmt::Display) -> String {
    let text = amount.to_string();
    if text.chars().all(|c| c == '0' || c == '.') {
        text
    } else {
        format!("-{text}")
    }
}

fn taxed(total: &Taxed) -> [String; 3] {
    [
        total.net.to_string(),
        total.tax.to_string(),
        total.gross.to_string(),
    ]
}

/// The name an enum of the quote has in JSON (`not_effective` → `not effective`).
fn label<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name.replace('_', " "),
        _ => String::new(),
    }
}
