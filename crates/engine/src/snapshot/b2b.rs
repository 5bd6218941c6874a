//! B2B offers as a snapshot holds them (DESIGN §2.3–2.4): each offer compiled once (dates turned
//! into instants of the store's zone), and, per customer scope, an index of its discounts by sku
//! and by segment, so that pricing a line reads only the discounts of the customer's scopes that
//! name the line's sku or one of its segments.
//!
//! Every part is behind an `Arc`: a snapshot copy copies pointers, and a change to one offer
//! rebuilds the index of its scope (old and new) and copies one shard of the maps by code and by
//! customer, never the whole.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::rules::{OfferScope, OfferType};

/// How specific a scope is: a more specific level with an applicable discount wins (CLIENT >
/// GROUP / COLLECTION POINT > ALL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    All,
    GroupOrPoint,
    Customer,
}

impl Level {
    pub fn of(scope: &OfferScope) -> Level {
        match scope {
            OfferScope::All => Level::All,
            OfferScope::Group(_) | OfferScope::CollectionPoint(_) => Level::GroupOrPoint,
            OfferScope::Customer(_) => Level::Customer,
        }
    }
}

/// Whole days of the store's calendar: from the first instant of the first day (included) to the
/// first instant of the day after the last (excluded), each with its day; `None`: unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Window {
    pub start: Option<(Timestamp, Date)>,
    /// The instant the day after the last begins, and the last day.
    pub end: Option<(Timestamp, Date)>,
}

/// Where an instant stands against a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Live {
    Yes,
    /// Until this first day.
    NotStarted(Date),
    /// Since the day after this last day.
    Ended(Date),
}

impl Window {
    pub fn at(&self, now: Timestamp) -> Live {
        match (self.start, self.end) {
            (Some((start, day)), _) if now < start => Live::NotStarted(day),
            (_, Some((end, day))) if now >= end => Live::Ended(day),
            _ => Live::Yes,
        }
    }

    pub fn first_day(&self) -> Option<Date> {
        self.start.map(|(_, day)| day)
    }

    pub fn last_day(&self) -> Option<Date> {
        self.end.map(|(_, day)| day)
    }
}

#[derive(Debug)]
pub(crate) struct CompiledOffer {
    pub code: Box<str>,
    pub title: Box<str>,
    pub kind: OfferType,
    pub scope: OfferScope,
    pub level: Level,
    pub window: Window,
    pub show_to_customer: bool,
    /// Between equal prices of one level, the older offer wins (absent: after every dated one).
    pub created_at: Option<Timestamp>,
    /// By number.
    pub commitments: Box<[CompiledCommitment]>,
}

#[derive(Debug)]
pub(crate) struct CompiledCommitment {
    pub number: u32,
    /// Its own dates, or its offer's.
    pub window: Window,
    pub discounts: Box<[CompiledDiscount]>,
}

#[derive(Debug)]
pub(crate) struct CompiledDiscount {
    pub code: Box<str>,
    pub target: Target,
    pub value: Value,
    /// At least 1.
    pub min_quantity: u32,
    /// By increasing `from`, each above `min_quantity`.
    pub breaks: Box<[(u32, Value)]>,
}

#[derive(Debug)]
pub(crate) enum Target {
    Sku(Box<str>),
    /// The segment's id and name.
    Segment(u32, Box<str>),
}

/// A fixed unit price (display mode, at the currency's scale), or a percentage off the list
/// price as written (10 for 10 %) with the part of the list price it keeps (0.90, exact: a
/// multiplication rather than a division per price).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value {
    Price(Decimal),
    Percent { percent: Decimal, kept: Decimal },
}

impl CompiledDiscount {
    /// The value for `units` units of the sku, with the `from` of the break that gave it; `None`
    /// below `min_quantity`.
    pub fn value_at(&self, units: u32) -> Option<(Value, Option<u32>)> {
        if units < self.min_quantity {
            return None;
        }
        Some(
            match self.breaks.iter().rev().find(|(from, _)| *from <= units) {
                Some(&(from, value)) => (value, Some(from)),
                None => (self.value, None),
            },
        )
    }

    /// Whether the count of units in the cart changes anything.
    pub fn counts_units(&self) -> bool {
        self.min_quantity > 1 || !self.breaks.is_empty()
    }
}

/// A discount of a scope entry: `offers[offer].commitments[commitment].discounts[discount]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DiscountAt {
    pub offer: u32,
    pub commitment: u32,
    pub discount: u32,
}

/// The offers of one scope (all customers, one group, one customer, one collection point) and
/// their discounts by target.
#[derive(Debug, Default)]
pub(crate) struct ScopeEntry {
    /// By code.
    pub offers: Box<[Arc<CompiledOffer>]>,
    /// By the sku's hash ([`sku_hash`]): a list may hold other skus of the same hash, which the
    /// caller tells apart by the discount's target.
    pub by_sku: FxHashMap<u64, SmallVec<[DiscountAt; 1]>>,
    pub by_segment: FxHashMap<u32, Box<[DiscountAt]>>,
}

pub(crate) fn sku_hash(sku: &str) -> u64 {
    let mut hasher = rustc_hash::FxBuildHasher.build_hasher();
    hasher.write(sku.as_bytes());
    hasher.finish()
}

impl ScopeEntry {
    /// The entry of these offers (all of one scope).
    pub fn new(mut offers: Vec<Arc<CompiledOffer>>) -> ScopeEntry {
        offers.sort_by(|a, b| a.code.cmp(&b.code));
        let mut by_sku: FxHashMap<u64, SmallVec<[DiscountAt; 1]>> = FxHashMap::default();
        let mut by_segment: FxHashMap<u32, Vec<DiscountAt>> = FxHashMap::default();
        for (o, offer) in offers.iter().enumerate() {
            for (c, commitment) in offer.commitments.iter().enumerate() {
                for (d, discount) in commitment.discounts.iter().enumerate() {
                    // Indices fit: an offer's lists are far below u32::MAX entries.
                    let at = DiscountAt {
                        offer: o as u32,
                        commitment: c as u32,
                        discount: d as u32,
                    };
                    match &discount.target {
                        Target::Sku(sku) => by_sku.entry(sku_hash(sku)).or_default().push(at),
                        Target::Segment(id, _) => by_segment.entry(*id).or_default().push(at),
                    }
                }
            }
        }
        ScopeEntry {
            offers: offers.into_boxed_slice(),
            by_sku,
            by_segment: by_segment
                .into_iter()
                .map(|(id, list)| (id, list.into_boxed_slice()))
                .collect(),
        }
    }

    pub fn get(&self, at: DiscountAt) -> (&CompiledOffer, &CompiledCommitment, &CompiledDiscount) {
        let offer = &self.offers[at.offer as usize];
        let commitment = &offer.commitments[at.commitment as usize];
        (
            offer,
            commitment,
            &commitment.discounts[at.discount as usize],
        )
    }

    /// Calls `visit` with every discount of this scope that names `sku` or one of `segments`.
    pub fn reaching<'e>(
        &'e self,
        sku: &str,
        hash: u64,
        segments: &[u32],
        mut visit: impl FnMut(&'e CompiledOffer, &'e CompiledCommitment, &'e CompiledDiscount),
    ) {
        if let Some(list) = self.by_sku.get(&hash) {
            for &at in list {
                let (o, c, d) = self.get(at);
                if matches!(&d.target, Target::Sku(s) if **s == *sku) {
                    visit(o, c, d);
                }
            }
        }
        if self.by_segment.is_empty() {
            return;
        }
        for s in segments {
            if let Some(list) = self.by_segment.get(s) {
                for &at in list.iter() {
                    let (o, c, d) = self.get(at);
                    visit(o, c, d);
                }
            }
        }
    }
}

/// String → value, in shards by the key's hash, each behind an `Arc`: a change to one key copies
/// its shard only.
#[derive(Debug, Clone)]
pub(crate) struct Shards<V> {
    shards: Box<[Arc<Shard<V>>]>,
}

type Shard<V> = FxHashMap<Box<str>, V>;

const SHARDS: usize = 64;

impl<V> Default for Shards<V> {
    fn default() -> Shards<V> {
        Shards {
            shards: (0..SHARDS).map(|_| Arc::default()).collect(),
        }
    }
}

impl<V: Clone> Shards<V> {
    fn shard(key: &str) -> usize {
        // The high bits: Fx mixes them best.
        (sku_hash(key) >> 58) as usize % SHARDS
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.shards[Self::shard(key)].get(key)
    }

    pub fn insert(&mut self, key: &str, value: V) {
        Arc::make_mut(&mut self.shards[Self::shard(key)]).insert(key.into(), value);
    }

    pub fn remove(&mut self, key: &str) {
        let shard = &mut self.shards[Self::shard(key)];
        if shard.contains_key(key) {
            Arc::make_mut(shard).remove(key);
        }
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.shards.iter().flat_map(|s| s.values())
    }
}

/// The B2B offers of a snapshot.
#[derive(Debug, Clone, Default)]
pub(crate) struct Contracts {
    pub by_code: Shards<Arc<CompiledOffer>>,
    pub all: Option<Arc<ScopeEntry>>,
    /// By group id (`Names::groups`).
    pub groups: Arc<Vec<Option<Arc<ScopeEntry>>>>,
    pub customers: Shards<Arc<ScopeEntry>>,
    pub points: Shards<Arc<ScopeEntry>>,
    pub count: usize,
}

impl Contracts {
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Every scope entry.
    pub fn entries(&self) -> impl Iterator<Item = &ScopeEntry> {
        self.all
            .iter()
            .chain(self.groups.iter().flatten())
            .chain(self.customers.values())
            .chain(self.points.values())
            .map(|e| &**e)
    }

    /// The entry of `scope`, if it holds offers.
    pub fn entry(&self, scope: &OfferScope, group_id: Option<u32>) -> Option<&Arc<ScopeEntry>> {
        match scope {
            OfferScope::All => self.all.as_ref(),
            OfferScope::Group(_) => group_id
                .and_then(|g| self.groups.get(g as usize))
                .and_then(Option::as_ref),
            OfferScope::Customer(c) => self.customers.get(c),
            OfferScope::CollectionPoint(p) => self.points.get(p),
        }
    }

    /// Sets the entry of `scope` (none when it holds no offer any more).
    pub fn set_entry(
        &mut self,
        scope: &OfferScope,
        group_id: Option<u32>,
        entry: Option<Arc<ScopeEntry>>,
    ) {
        match scope {
            OfferScope::All => self.all = entry,
            OfferScope::Group(_) => {
                if let Some(g) = group_id {
                    let groups = Arc::make_mut(&mut self.groups);
                    if groups.len() <= g as usize {
                        groups.resize(g as usize + 1, None);
                    }
                    groups[g as usize] = entry;
                }
            }
            OfferScope::Customer(c) => match entry {
                Some(entry) => self.customers.insert(c, entry),
                None => self.customers.remove(c),
            },
            OfferScope::CollectionPoint(p) => match entry {
                Some(entry) => self.points.insert(p, entry),
                None => self.points.remove(p),
            },
        }
    }
}
