//! The promotions that concern a cart: for each line, those the index gives for its sku,
//! segments, selections, brand, attributes and tags, with those on every product merged in;
//! exclusions, unit-price bounds and, under `promotions_on_offer_prices: false`, lines priced by a
//! B2B offer left out.

use super::{Evaluation, Line};

/// A promotion that concerns the cart, with the lines it targets.
#[derive(Clone, Copy)]
pub(super) struct Candidate<'c> {
    pub promotion: u32,
    pub lines: &'c [u16],
}

/// The candidates of a cart, in consideration order; their lines share one buffer.
pub(super) struct Candidates {
    entries: Vec<(u32, std::ops::Range<usize>)>,
    lines: Vec<u16>,
    /// Entries left with no line because B2B offers priced every line they target, under
    /// `promotions_on_offer_prices: false`.
    pub on_offer_prices: Vec<usize>,
}

impl Candidates {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn get(&self, i: usize) -> Candidate<'_> {
        let (promotion, range) = &self.entries[i];
        Candidate {
            promotion: *promotion,
            lines: &self.lines[range.clone()],
        }
    }
}

impl Evaluation<'_> {
    /// The promotions that concern the cart, in consideration order, with the lines they target.
    pub(super) fn candidates(&self) -> Candidates {
        let snap = self.snap;
        let mut pairs: Vec<u64> = Vec::with_capacity(self.lines.len() * 8);
        for (li, line) in self.lines.iter().enumerate() {
            snap.targeting_lists(&line.facts(), |ids| {
                pairs.extend(ids.iter().map(|&p| (u64::from(p) << 16) | li as u64));
            });
        }
        sort_pairs(&mut pairs, snap.promotions.len());
        pairs.dedup();

        let line_count = self.lines.len();
        // "Net prices are net": lines priced by a B2B offer are no promotion's to discount.
        let skip_offer_priced =
            !snap.promotions_on_offer_prices && self.lines.iter().any(Line::offer_priced);
        let mut on_offer_prices = Vec::new();
        // The lines of every cart line come first: promotions on all products without
        // exclusions share that range.
        let mut lines: Vec<u16> = (0..line_count as u16).collect();
        let mut entries = Vec::with_capacity(snap.index.all.len() + pairs.len() / 2);
        let mut all = snap.index.all.iter().copied().peekable();
        let mut targeted = pairs.iter().copied().peekable();
        loop {
            let next_targeted = targeted.peek().map(|&pair| (pair >> 16) as u32);
            // Merge the two sorted streams: the smaller promotion index comes first.
            let (promotion, range) = match (next_targeted, all.peek().copied()) {
                (Some(t), a) if a.is_none_or(|a| t < a) => {
                    let start = lines.len();
                    while let Some(pair) = targeted.next_if(|&pair| (pair >> 16) as u32 == t) {
                        lines.push((pair & 0xFFFF) as u16);
                    }
                    (t, start..lines.len())
                }
                (_, Some(a)) => {
                    all.next();
                    (a, 0..line_count)
                }
                // `(Some(_), None)` is taken by the first arm: both streams are done.
                (_, None) => break,
            };
            let p = &snap.promotions[promotion as usize];
            let drop_offer_lines = skip_offer_priced && p.offer.discounts_merchandise();
            // Lines held back only because a B2B offer priced them.
            let mut offer_priced = 0;
            let range = if p.exclude.is_some() || p.unit_price.is_some() || drop_offer_lines {
                let start = lines.len();
                for k in range {
                    let l = lines[k];
                    let line = &self.lines[l as usize];
                    let excluded = p.exclude.as_ref().is_some_and(|e| e.matches(&line.facts()));
                    let priced = p.unit_price.is_none_or(|b| b.contains(line.base_unit));
                    if excluded || !priced {
                        continue;
                    }
                    if drop_offer_lines && line.offer_priced() {
                        offer_priced += 1;
                    } else {
                        lines.push(l);
                    }
                }
                start..lines.len()
            } else {
                range
            };
            if range.is_empty() && offer_priced > 0 {
                on_offer_prices.push(entries.len());
            } else if range.is_empty() && !p.all {
                // A targeted promotion whose every targeted line is excluded does not concern
                // the cart.
                continue;
            }
            entries.push((promotion, range));
        }
        Candidates {
            entries,
            lines,
            on_offer_prices,
        }
    }
}

/// Sorts `(promotion << 16 | line)` pairs pushed line by line. Many pairs (a large cart against
/// many promotions) are placed by counting, in one pass over them and one over the promotions,
/// instead of a comparison sort; the placement is stable, so each promotion's lines stay in the
/// ascending order they were pushed in.
fn sort_pairs(pairs: &mut Vec<u64>, promotions: usize) {
    if pairs.len() < 256 || pairs.len() * 4 < promotions {
        pairs.sort_unstable();
        return;
    }
    // Promotion indices are below `promotions` (they index the snapshot's promotions).
    let mut next = vec![0u32; promotions + 1];
    for &pair in pairs.iter() {
        next[(pair >> 16) as usize + 1] += 1;
    }
    for i in 1..next.len() {
        next[i] += next[i - 1];
    }
    let mut sorted = vec![0u64; pairs.len()];
    for &pair in pairs.iter() {
        let slot = &mut next[(pair >> 16) as usize];
        sorted[*slot as usize] = pair;
        *slot += 1;
    }
    *pairs = sorted;
}
