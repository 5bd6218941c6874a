//! Best for customer: among the promotions whose conditions hold, choose which to apply (and how
//! many times a multi-unit one applies) so that the cart costs the least.
//!
//! The rules of application do not change: a plan is applied in priority order with the usual
//! combination modes and unit claims. What is searched is the plan. A promotion that is stackable,
//! claims no units, and whose lines no other promotion watches (an exclusive one, or one that
//! picks units by price) can only lower the total: every offer lowers each line by an amount that
//! grows with what it is given, so a lower input never gives a higher output. It is always in.
//! The others, the *choices*, are searched: every plan when there are at most [`EXACT_PLANS`],
//! otherwise a local search from the priority result, and the quote says which.

use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::{Candidates, Evaluation, Plan, Rejection};
use crate::quote::Optimization;
use crate::rules::Combination;
use crate::snapshot::{ItemOffer, Offer, Promotion};

/// Up to this many plans, every one is evaluated: the choice is exact.
pub(super) const EXACT_PLANS: u64 = 4096;
/// Under the priority strategy the search only informs (what the other strategy would save), so
/// it runs only when it is this cheap.
const COMPARISON_PLANS: u64 = 64;
/// Past [`EXACT_PLANS`], the local search evaluates at most this many plans.
const SEARCH_BUDGET: u32 = 256;
/// A multi-unit promotion is tried at 0, 1, … up to this many applications.
const MAX_APPLICATION_CHOICES: u32 = 16;

/// A promotion whose presence may raise the total, and the limits to try for it: `None` (as the
/// offer allows, the priority choice), then fewer applications, then `Some(0)` (left out).
struct Choice {
    candidate: usize,
    options: SmallVec<[Option<u32>; 4]>,
}

pub(super) struct Chosen<'a> {
    pub plan: Plan,
    pub report: Optimization<'a>,
}

pub(super) enum Search<'a> {
    /// Every applicable promotion can only lower the total: the priority plan is the best.
    NothingToChoose,
    /// Under the priority strategy: more plans than a comparison may cost.
    TooMany,
    Done(Chosen<'a>),
}

impl<'a> Evaluation<'a> {
    /// Searches the best plan. Leaves the evaluation state as it found it.
    pub(super) fn choose(
        &mut self,
        candidates: &Candidates,
        verdicts: &mut [Option<Rejection<'a>>],
        groups: &[SmallVec<[usize; 8]>],
        comparison_only: bool,
    ) -> Search<'a> {
        let choices = self.choices(candidates, verdicts);
        let plans: u64 = choices
            .iter()
            .map(|c| c.options.len() as u64)
            .try_fold(1u64, |product, n| product.checked_mul(n))
            .unwrap_or(u64::MAX);
        let exact = plans <= EXACT_PLANS;
        if choices.is_empty() {
            return Search::NothingToChoose;
        }
        if comparison_only && plans > COMPARISON_PLANS {
            return Search::TooMany;
        }
        let saved = self.save();
        self.recording = false;
        let mut plan = Plan::priority(candidates.len());
        let priority_total = self.total_of(candidates, verdicts, groups, &plan, &saved);
        let mut best = (priority_total, plan.clone());
        let mut evaluated = 1u32;
        if exact {
            // Mixed-radix count over the choices' options; plan 0 (all first options) is done.
            let mut digits = vec![0usize; choices.len()];
            while increment(&mut digits, &choices) {
                for (choice, &digit) in choices.iter().zip(&digits) {
                    plan.limits[choice.candidate] = choice.options[digit];
                }
                let total = self.total_of(candidates, verdicts, groups, &plan, &saved);
                evaluated += 1;
                if total < best.0 {
                    best = (total, plan.clone());
                }
            }
        } else {
            // Hill climbing: change one choice at a time while it lowers the total.
            let mut improved = true;
            while improved && evaluated < SEARCH_BUDGET {
                improved = false;
                for choice in &choices {
                    for &option in &choice.options {
                        if evaluated >= SEARCH_BUDGET {
                            break;
                        }
                        let mut trial = best.1.clone();
                        if trial.limits[choice.candidate] == option {
                            continue;
                        }
                        trial.limits[choice.candidate] = option;
                        let total = self.total_of(candidates, verdicts, groups, &trial, &saved);
                        evaluated += 1;
                        if total < best.0 {
                            best = (total, trial);
                            improved = true;
                        }
                    }
                }
            }
        }
        self.restore(&saved);
        self.recording = true;
        let snap = self.snap;
        let ids = |keep: &dyn Fn(Option<u32>) -> bool| -> Vec<&'a str> {
            choices
                .iter()
                .filter(|c| keep(best.1.limits[c.candidate]))
                .map(|c| &*snap.promotions[candidates.get(c.candidate).promotion as usize].id)
                .collect()
        };
        let report = Optimization {
            priority_total,
            best_total: best.0,
            saving: priority_total - best.0,
            exact,
            choices: choices.len() as u32,
            plans_evaluated: evaluated,
            left_out: ids(&|limit| limit == Some(0)),
            limited: ids(&|limit| matches!(limit, Some(k) if k > 0)),
        };
        Search::Done(Chosen {
            plan: best.1,
            report,
        })
    }

    /// The promotions whose presence is a choice, with the limits to try.
    fn choices(&self, candidates: &Candidates, verdicts: &[Option<Rejection<'a>>]) -> Vec<Choice> {
        let applicable: SmallVec<[usize; 16]> = (0..candidates.len())
            .filter(|&i| verdicts[i].is_none())
            .collect();
        // Promotions whose result depends on what others did to their lines: an exclusive one
        // (refused once its items are discounted) and those that pick units by price (multi-unit
        // offers, percentages on N units). A promotion that changes prices on their lines may
        // change what they pick, so its presence is a choice too.
        let mut watched: Vec<SmallVec<[usize; 2]>> = vec![SmallVec::new(); self.lines.len()];
        let mut exclusive_shipping = None;
        for &i in &applicable {
            let c = candidates.get(i);
            let p = self.promotion(c);
            let picks_units = matches!(
                p.offer,
                Offer::BuyXGetY(_)
                    | Offer::Bundle(_)
                    | Offer::Merchandise(ItemOffer::PercentOff {
                        max_units: Some(_),
                        ..
                    })
            );
            if matches!(p.offer, Offer::Shipping { .. }) {
                if p.combination == Combination::Exclusive {
                    exclusive_shipping = Some(i);
                }
                continue;
            }
            if p.combination != Combination::Exclusive && !picks_units {
                continue;
            }
            for l in self.items(c, p) {
                watched[l as usize].push(i);
            }
        }
        let mut choices = Vec::new();
        for &i in &applicable {
            let c = candidates.get(i);
            let p = self.promotion(c);
            let watched_by_another = if matches!(p.offer, Offer::Shipping { .. }) {
                exclusive_shipping.is_some_and(|e| e != i)
            } else {
                c.lines
                    .iter()
                    .any(|&l| watched[l as usize].iter().any(|&w| w != i))
            };
            let most = self.most_applications(p, c.lines);
            if p.combination == Combination::Stackable && most.is_none() && !watched_by_another {
                continue;
            }
            let mut options: SmallVec<[Option<u32>; 4]> = SmallVec::new();
            options.push(None);
            if let Some(most) = most {
                options.extend((1..most.min(MAX_APPLICATION_CHOICES)).rev().map(Some));
            }
            options.push(Some(0));
            choices.push(Choice {
                candidate: i,
                options,
            });
        }
        choices
    }

    /// For a multi-unit promotion, how many times at most it could apply to this cart.
    fn most_applications(&self, p: &Promotion, lines: &[u16]) -> Option<u32> {
        let quantity = |l: u16| self.lines[l as usize].quantity;
        match &p.offer {
            Offer::BuyXGetY(offer) => Some(self.buy_x_get_y_count(p, offer, lines, quantity).2),
            Offer::Bundle(offer) => {
                // Each slot can be filled at most this many times (slots may share units, so
                // this is an upper bound).
                let most = offer
                    .slots
                    .iter()
                    .map(|(targets, per_bundle)| {
                        let units: u32 = self
                            .lines_matching(p, targets)
                            .iter()
                            .map(|&l| quantity(l))
                            .sum();
                        units / per_bundle
                    })
                    .min()
                    .unwrap_or(0);
                Some(offer.max_applications.map_or(most, |max| most.min(max)))
            }
            _ => None,
        }
    }

    /// Applies `plan` from the saved state without recording anything, and returns the total.
    fn total_of(
        &mut self,
        candidates: &Candidates,
        verdicts: &mut [Option<Rejection<'a>>],
        groups: &[SmallVec<[usize; 8]>],
        plan: &Plan,
        saved: &super::Saved,
    ) -> Decimal {
        self.restore(saved);
        self.apply_plan(candidates, verdicts, groups, plan);
        self.grand_total()
    }
}

/// Advances a mixed-radix counter; false once it wraps around.
fn increment(digits: &mut [usize], choices: &[Choice]) -> bool {
    for (digit, choice) in digits.iter_mut().zip(choices) {
        *digit += 1;
        if *digit < choice.options.len() {
            return true;
        }
        *digit = 0;
    }
    false
}
