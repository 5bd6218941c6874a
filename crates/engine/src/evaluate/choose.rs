//! Best for customer: among the promotions whose conditions hold, choose which to apply (and how
//! many times a multi-unit one applies) so that the cart costs the least.
//!
//! The rules of application do not change: a plan is applied in priority order with the usual
//! combination modes and unit claims. What is searched is the plan. A promotion that is stackable,
//! claims no units, and whose lines no other promotion watches (an exclusive one, or one that
//! picks units by price) can only lower the total: every offer lowers each line by an amount that
//! grows with what it is given, so a lower input never gives a higher output. It is always in.
//! A multi-unit offer is always a choice (how many units it takes changes what is left for the
//! others in ways that are not monotone), and so is every promotion whose lines one watches.
//!
//! The choices are searched in two passes: a short local search from the priority plan finds a
//! good plan, then a branch and bound over the groups of equal priority proves it best or finds
//! a better one, within [`SEARCH_STEPS`]; the quote says whether the search completed (`exact`).
//! The brute-force cross-check in `tests/best_for_customer.rs` holds the rules above to account.

use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::{Candidates, Evaluation, Plan, Rejection};
use crate::quote::Optimization;
use crate::rules::Combination;
use crate::rules::PercentBasis;
use crate::snapshot::{ItemOffer, Offer, Promotion, UnitLimit, UnitReward};

/// The most steps (groups applied) the search takes; past it, the best plan found so far is used
/// and the quote says the choice is not proven exact.
const SEARCH_STEPS: u32 = 1_000;
/// Under the priority strategy the search only informs (what the other strategy would save), so
/// it is reported only when it completes within this many steps.
const COMPARISON_STEPS: u32 = 256;
/// The local search that finds a first good plan tries at most this many plans.
const CLIMB_PLANS: u32 = 64;
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
    /// Under the priority strategy: more steps than a comparison may cost.
    TooMany,
    /// Under the priority strategy, the request did not ask for the comparison.
    NotAsked,
    Done(Chosen<'a>),
}

/// The search's own state: the plan being built along the current path, the best found so far,
/// and what it costs.
struct Walk<'s> {
    candidates: &'s Candidates,
    groups: &'s [SmallVec<[usize; 8]>],
    choices: &'s [Choice],
    /// Per group, the indices in `choices` of its members.
    choices_by_group: Vec<SmallVec<[usize; 4]>>,
    /// Per group, what its promotions can still take off at most: (lines or shipping, rate).
    bounds: Vec<SmallVec<[Bound; 4]>>,
    plan: Plan,
    best: (Decimal, Plan),
    steps: u32,
    budget: u32,
    leaves: u32,
    complete: bool,
}

#[derive(PartialEq)]
struct Fingerprint {
    lines: Vec<super::Parts>,
    shipping: Vec<(Decimal, Option<u32>)>,
}

/// An upper bound on what one promotion can still take off: `rate` × what is left of `lines`
/// (and of the chosen shipping method, with `shipping`).
struct Bound {
    lines: SmallVec<[u16; 8]>,
    shipping: bool,
    rate: Decimal,
}

impl<'a> Evaluation<'a> {
    /// Searches the best plan: a short local search from the priority plan finds a good one,
    /// then a branch and bound over the groups of equal priority, in the order they apply, proves
    /// it best or finds a better one. Each step applies one group under one choice of its members;
    /// a branch is cut when even every remaining promotion at its most could not beat the best plan
    /// found. Leaves the evaluation state as it found it.
    pub(super) fn choose(
        &mut self,
        candidates: &Candidates,
        verdicts: &mut [Option<Rejection<'a>>],
        groups: &[SmallVec<[usize; 8]>],
        comparison_only: bool,
    ) -> Search<'a> {
        let choices = self.choices(candidates, verdicts);
        if choices.is_empty() {
            return Search::NothingToChoose;
        }
        let mut group_of = vec![0usize; candidates.len()];
        for (g, group) in groups.iter().enumerate() {
            for &i in group {
                group_of[i] = g;
            }
        }
        let mut choices_by_group = vec![SmallVec::new(); groups.len()];
        for (k, choice) in choices.iter().enumerate() {
            choices_by_group[group_of[choice.candidate]].push(k);
        }
        let bounds = groups
            .iter()
            .map(|group| {
                group
                    .iter()
                    .filter(|&&i| verdicts[i].is_none())
                    .filter_map(|&i| self.bound(candidates.get(i)))
                    .collect()
            })
            .collect();
        let saved = self.save();
        self.recording = false;
        // A good plan first, by a short local search from the priority plan, so that the exact
        // search can cut early; then the exact search, which keeps that plan on ties.
        let priority = Plan::priority(candidates.len());
        let priority_total = self.total_of(candidates, verdicts, groups, &priority, &saved);
        // A comparison only needs the exact answer, and only when it is cheap.
        let (incumbent, climbed_plans) = if comparison_only {
            ((priority_total, priority), 0)
        } else {
            let start = (priority_total, priority);
            self.climb(candidates, verdicts, groups, &choices, start, &saved)
        };
        let mut walk = Walk {
            candidates,
            groups,
            choices: &choices,
            choices_by_group,
            bounds,
            plan: Plan::priority(candidates.len()),
            best: incumbent,
            steps: 0,
            budget: if comparison_only {
                COMPARISON_STEPS
            } else {
                SEARCH_STEPS
            },
            leaves: 0,
            complete: true,
        };
        self.restore(&saved);
        self.descend(0, &mut walk, verdicts);
        self.restore(&saved);
        self.recording = true;
        if comparison_only && !walk.complete {
            return Search::TooMany;
        }
        let (best_total, best_plan) = walk.best;
        let snap = self.snap;
        let ids = |keep: &dyn Fn(Option<u32>) -> bool| -> Vec<&'a str> {
            choices
                .iter()
                .filter(|c| keep(best_plan.limits[c.candidate]))
                .map(|c| &*snap.promotions[candidates.get(c.candidate).promotion as usize].id)
                .collect()
        };
        let report = Optimization {
            priority_total,
            best_total,
            saving: priority_total - best_total,
            exact: walk.complete,
            choices: choices.len() as u32,
            // The priority plan, the local search's plans, and the complete plans the exact
            // search reached.
            plans_evaluated: 1 + climbed_plans + walk.leaves,
            left_out: ids(&|limit| limit == Some(0)),
            limited: ids(&|limit| matches!(limit, Some(k) if k > 0)),
        };
        Search::Done(Chosen {
            plan: best_plan,
            report,
        })
    }

    /// Changes one choice at a time while that lowers the total, within [`CLIMB_PLANS`] plans.
    fn climb(
        &mut self,
        candidates: &Candidates,
        verdicts: &mut [Option<Rejection<'a>>],
        groups: &[SmallVec<[usize; 8]>],
        choices: &[Choice],
        start: (Decimal, Plan),
        saved: &super::Saved,
    ) -> ((Decimal, Plan), u32) {
        let mut best = start;
        let mut tried = 0;
        let mut improved = true;
        while improved && tried < CLIMB_PLANS {
            improved = false;
            for choice in choices {
                for &option in &choice.options {
                    if tried >= CLIMB_PLANS || best.1.limits[choice.candidate] == option {
                        continue;
                    }
                    let mut trial = best.1.clone();
                    trial.limits[choice.candidate] = option;
                    let total = self.total_of(candidates, verdicts, groups, &trial, saved);
                    tried += 1;
                    if total < best.0 {
                        best = (total, trial);
                        improved = true;
                    }
                }
            }
        }
        (best, tried)
    }

    /// Applies a whole plan from the saved state and returns what the customer would pay.
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

    fn descend(&mut self, g: usize, walk: &mut Walk<'_>, verdicts: &mut [Option<Rejection<'a>>]) {
        if walk.steps >= walk.budget {
            walk.complete = false;
            return;
        }
        walk.steps += 1;
        let total = self.grand_total();
        if g == walk.groups.len() {
            walk.leaves += 1;
            if total < walk.best.0 {
                walk.best = (total, walk.plan.clone());
            }
            return;
        }
        // Saturating: a bound summed over any number of promotions (see `crate::limits`).
        let most_off = walk.bounds[g..]
            .iter()
            .flatten()
            .fold(Decimal::ZERO, |sum, bound| {
                sum.saturating_add(self.most_off(bound))
            });
        // Ties keep the plan found first.
        if total - most_off.min(total) >= walk.best.0 {
            return;
        }
        let members = walk.choices_by_group[g].clone();
        if members.is_empty() {
            self.apply_tied(walk.candidates, verdicts, &walk.groups[g], &walk.plan);
            self.descend(g + 1, walk, verdicts);
            return;
        }
        let mut digits: SmallVec<[usize; 4]> = SmallVec::from_elem(0, members.len());
        let saved = self.save();
        // Choices that leave the cart in the same state lead to the same plans below: only the
        // first of them is explored (a cap above what the offer can do changes nothing, say).
        let mut reached: SmallVec<[Fingerprint; 4]> = SmallVec::new();
        loop {
            if walk.steps >= walk.budget {
                walk.complete = false;
                break;
            }
            for (&k, &digit) in members.iter().zip(&digits) {
                let choice = &walk.choices[k];
                walk.plan.limits[choice.candidate] = choice.options[digit];
            }
            // Applying a group is what a step costs, whether or not the branch goes on.
            walk.steps += 1;
            self.apply_tied(walk.candidates, verdicts, &walk.groups[g], &walk.plan);
            let fingerprint = self.fingerprint();
            if !reached.contains(&fingerprint) {
                reached.push(fingerprint);
                self.descend(g + 1, walk, verdicts);
            }
            self.restore(&saved);
            if !increment(&mut digits, members.iter().map(|&k| &walk.choices[k])) {
                break;
            }
        }
        for &k in &members {
            walk.plan.limits[walk.choices[k].candidate] = None;
        }
    }

    /// What later promotions depend on: what is left of each line and shipping option, and which
    /// are closed or claimed.
    fn fingerprint(&self) -> Fingerprint {
        Fingerprint {
            lines: self.lines.iter().map(|l| l.parts.clone()).collect(),
            shipping: self
                .shipping
                .iter()
                .map(|s| (s.amount, s.closed_by))
                .collect(),
        }
    }

    /// What a promotion could take off at most, whatever happens: its rate of what is left of the
    /// lines it acts on.
    fn bound(&self, c: super::Candidate<'_>) -> Option<Bound> {
        let p = self.promotion(c);
        let full = Decimal::ONE;
        // A percentage of the original price may take more than its rate of what is left.
        let of_left = |rate: Decimal| match self.snap.semantics.percentages {
            PercentBasis::Remaining => rate,
            PercentBasis::Original => full,
        };
        let (rate, shipping) = match &p.offer {
            Offer::Gift { .. } | Offer::ParcelInsert { .. } => return None,
            Offer::Shipping { .. } => {
                return Some(Bound {
                    lines: SmallVec::new(),
                    shipping: true,
                    rate: full,
                });
            }
            Offer::Merchandise(ItemOffer::PercentOff(rate, _)) => (of_left(*rate), false),
            Offer::Merchandise(ItemOffer::CartPercentOff(rate, shipping)) => {
                (of_left(*rate), *shipping)
            }
            Offer::Merchandise(ItemOffer::CartAmountOff(_, shipping)) => (full, *shipping),
            Offer::BuyXGetY(offer) => match offer.reward {
                UnitReward::PercentOff(rate) => (rate, false),
                _ => (full, false),
            },
            _ => (full, false),
        };
        Some(Bound {
            lines: self.items(c, p),
            shipping,
            rate,
        })
    }

    fn most_off(&self, bound: &Bound) -> Decimal {
        let shipping = if bound.shipping {
            self.chosen_shipping()
                .filter(|s| s.closed_by.is_none())
                .map_or(Decimal::ZERO, |s| s.amount)
        } else {
            Decimal::ZERO
        };
        let lines: Decimal = bound
            .lines
            .iter()
            .flat_map(|&l| &self.lines[l as usize].parts)
            .filter(|part| part.is_open())
            .map(|part| part.amount)
            .sum();
        (lines + shipping) * bound.rate
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
                    | Offer::Merchandise(
                        ItemOffer::PercentOff(
                            _,
                            UnitLimit {
                                max_units: Some(_),
                                ..
                            }
                        ) | ItemOffer::PercentOff(
                            _,
                            UnitLimit {
                                per_line: Some(_),
                                ..
                            }
                        ) | ItemOffer::AmountOffEach(
                            _,
                            UnitLimit {
                                max_units: Some(_),
                                ..
                            }
                        ) | ItemOffer::AmountOffEach(
                            _,
                            UnitLimit {
                                per_line: Some(_),
                                ..
                            }
                        ) | ItemOffer::UnitPrice(
                            _,
                            UnitLimit {
                                max_units: Some(_),
                                ..
                            }
                        ) | ItemOffer::UnitPrice(
                            _,
                            UnitLimit {
                                per_line: Some(_),
                                ..
                            }
                        )
                    )
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
            // A multi-unit offer is always a choice: how many units it takes changes what is left
            // for the promotions after it, in ways that are not monotone.
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
            Offer::BuyXGetY(offer) => {
                Some(self.buy_x_get_y_count(p, offer, lines, quantity).2.times)
            }
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
}

/// Advances a mixed-radix counter; false once it wraps around.
fn increment<'c>(digits: &mut [usize], choices: impl Iterator<Item = &'c Choice>) -> bool {
    for (digit, choice) in digits.iter_mut().zip(choices) {
        *digit += 1;
        if *digit < choice.options.len() {
            return true;
        }
        *digit = 0;
    }
    false
}
