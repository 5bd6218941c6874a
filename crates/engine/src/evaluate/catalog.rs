//! The catalog prices of a cart's lines (DESIGN §2.5) and the catalog subtotal that amount
//! conditions measure (§2.7), with the same catalog chain as price requests.

use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::{Candidates, Evaluation};
use crate::quote::Reason;
use crate::snapshot::Promotion;

impl<'a> Evaluation<'a> {
    /// Each line's catalog price: its base with every catalog promotion that reaches it (§2.5),
    /// applied as the cart would apply them alone; and the catalog subtotal that amount conditions
    /// measure (§2.7).
    pub(super) fn catalog_prices(
        &mut self,
        candidates: &Candidates,
        checks: &[Option<Reason<'a>>],
    ) {
        let money = self.snap.money;
        let mut reaching: Vec<SmallVec<[u32; 2]>> = Vec::new();
        for (c, check) in (0..candidates.len()).map(|i| candidates.get(i)).zip(checks) {
            let p = self.promotion(c);
            // Catalog promotions have no condition but their limits.
            if p.is_catalog && check.is_none() && self.limits_allow(p).is_ok() {
                if reaching.is_empty() {
                    reaching.resize(self.lines.len(), SmallVec::new());
                }
                for &l in c.lines {
                    reaching[l as usize].push(c.promotion);
                }
            }
        }
        let snap = self.snap;
        // What catalog promotions with a budget gave to the lines before: a budget is the cart's.
        let mut spent: SmallVec<[(u32, Decimal); 2]> = SmallVec::new();
        for (l, reaching) in reaching.iter().enumerate() {
            if reaching.is_empty() {
                continue;
            }
            let budget_left = |p: &Promotion, spent: Decimal| {
                p.limits.budget.map(|b| {
                    money
                        .round(b - self.usage(p).granted - spent)
                        .max(Decimal::ZERO)
                })
            };
            let line = &self.lines[l];
            // Which promotions apply, and in which order, is decided once, on the unit the
            // catalog shows; the line pays the same promotions in the same order.
            let unit = money.round(line.unit);
            let chain = snap.catalog_chain(unit, 1, line.floor, reaching, |p| {
                budget_left(p, Decimal::ZERO)
            });
            let shown = snap.shown_promotion(unit, &chain.applied);
            let mut amount = line.subtotal;
            // A line of one unit is the unit the chain priced, unless a budget is shared with
            // the lines before.
            let budgeted = chain
                .applied
                .iter()
                .any(|&i| snap.promotions[i as usize].limits.budget.is_some());
            let replay = if line.quantity == 1 && !budgeted {
                amount = chain.amount;
                &[][..]
            } else {
                &chain.applied[..]
            };
            for &i in replay {
                let p = &snap.promotions[i as usize];
                let before = spent
                    .iter()
                    .find(|(s, _)| *s == i)
                    .map_or(Decimal::ZERO, |s| s.1);
                let d = snap.catalog_discount(
                    p,
                    (amount, line.subtotal),
                    line.quantity,
                    line.floor,
                    budget_left(p, before),
                );
                amount -= d;
                if p.limits.budget.is_some() {
                    match spent.iter_mut().find(|(s, _)| *s == i) {
                        Some(entry) => entry.1 += d,
                        None => spent.push((i, d)),
                    }
                }
            }
            let line = &mut self.lines[l];
            line.catalog_amount = amount;
            line.catalog_unit = chain.amount;
            line.catalog_promotion = shown;
        }
        self.catalog_subtotal = self
            .lines
            .iter()
            .fold(money.zero(), |sum, l| sum + l.catalog_amount);
    }
}
