//! Text search over a large catalog: every product's sku and name folded (lower case, no
//! accents) into lines of text, one per product in sku order, so that a search is a substring
//! search through a few megabytes rather than folding every product's text on every keystroke.
//!
//! The lines are cut into chunks of about [`CHUNK`] products. When the published revision moves,
//! the products that changed are found by comparing the two models' maps (which share all that
//! did not change) and only their chunks are folded again; a change of many products rebuilds
//! the whole index.

use std::ops::Bound;
use std::sync::{Arc, Mutex, PoisonError};

use imbl::OrdMap;
use remise_engine::rules::Product;

use super::search::fold_into;
use crate::published::Published;

/// Products per chunk when a chunk is built; a chunk that grew past twice this is split.
const CHUNK: usize = 1_000;
/// Past this many changed products, the index is built again rather than updated.
const MAX_UPDATED: usize = 20_000;

/// Separates a line's sku from its name: no query holds it (see [`clean_query`]).
const SEPARATOR: char = '\u{1f}';

/// The lines of the products from `first` (included) to the next chunk's first sku.
struct Chunk {
    /// `None` for the first chunk: every sku before the second chunk's.
    first: Option<String>,
    /// Per product: its folded sku, [`SEPARATOR`], its folded name, `\n`.
    text: String,
    /// Where each product's line starts in `text`.
    starts: Vec<usize>,
    /// Each line's sku, in order.
    skus: Vec<String>,
}

impl Chunk {
    fn new<'a>(first: Option<String>, products: impl Iterator<Item = &'a Product>) -> Chunk {
        let mut chunk = Chunk {
            first,
            text: String::new(),
            starts: Vec::new(),
            skus: Vec::new(),
        };
        for product in products {
            chunk.push(product);
        }
        chunk
    }

    fn push(&mut self, product: &Product) {
        let start = self.text.len();
        self.starts.push(start);
        self.skus.push(product.sku.clone());
        fold_into(&product.sku, &mut self.text);
        self.text.push(SEPARATOR);
        fold_into(&product.name, &mut self.text);
        // A control character in a name would end its line early or join it to the next.
        if self.text[start..].chars().any(char::is_control) {
            let line: String = self.text[start..]
                .chars()
                .map(|c| {
                    if c.is_control() && c != SEPARATOR {
                        ' '
                    } else {
                        c
                    }
                })
                .collect();
            self.text.truncate(start);
            self.text.push_str(&line);
        }
        self.text.push('\n');
    }

    /// The skus of this chunk from line `line` on whose line holds `query`, in order.
    fn matches<'a>(&'a self, query: &'a str, line: usize) -> impl Iterator<Item = &'a str> + 'a {
        let mut at = self.starts.get(line).copied().unwrap_or(self.text.len());
        std::iter::from_fn(move || {
            let found = at + self.text.get(at..)?.find(query)?;
            // `starts[0]` is 0, at or before any match.
            let line = self
                .starts
                .partition_point(|&s| s <= found)
                .saturating_sub(1);
            at = self
                .starts
                .get(line + 1)
                .copied()
                .unwrap_or(self.text.len());
            self.skus.get(line).map(String::as_str)
        })
    }
}

pub struct SearchIndex {
    revision: i64,
    /// The products it was built from: what the next revision's are compared with.
    products: OrdMap<String, Product>,
    chunks: Vec<Arc<Chunk>>,
}

impl SearchIndex {
    pub fn build(published: &Published) -> SearchIndex {
        let products = &published.model.products;
        let mut chunks = Vec::with_capacity(products.len() / CHUNK + 1);
        let mut current = Chunk::new(None, std::iter::empty());
        for product in products.values() {
            if current.skus.len() == CHUNK {
                let next = Chunk::new(Some(product.sku.clone()), std::iter::empty());
                chunks.push(Arc::new(std::mem::replace(&mut current, next)));
            }
            current.push(product);
        }
        chunks.push(Arc::new(current));
        SearchIndex {
            revision: published.revision,
            products: products.clone(),
            chunks,
        }
    }

    /// This index brought to `published`: the chunks of the products that changed folded
    /// again; `None` when too many changed (build it again).
    fn updated(&self, published: &Published) -> Option<SearchIndex> {
        let products = &published.model.products;
        // The chunks holding a changed sku, each once.
        let mut touched: Vec<usize> = Vec::new();
        for (count, change) in self.products.diff(products).enumerate() {
            if count == MAX_UPDATED {
                return None;
            }
            let sku = match change {
                imbl::ordmap::DiffItem::Add(sku, _)
                | imbl::ordmap::DiffItem::Remove(sku, _)
                | imbl::ordmap::DiffItem::Update { new: (sku, _), .. } => sku,
            };
            let chunk = self.chunk_of(sku);
            if touched.last() != Some(&chunk) {
                touched.push(chunk);
            }
        }
        touched.dedup();
        let mut chunks = Vec::with_capacity(self.chunks.len() + touched.len());
        let mut touched = touched.into_iter().peekable();
        for (i, chunk) in self.chunks.iter().enumerate() {
            if touched.next_if_eq(&i).is_none() {
                chunks.push(chunk.clone());
                continue;
            }
            let start = chunk
                .first
                .as_deref()
                .map_or(Bound::Unbounded, Bound::Included);
            let end = self
                .chunks
                .get(i + 1)
                .and_then(|next| next.first.as_deref())
                .map_or(Bound::Unbounded, Bound::Excluded);
            let mut first = chunk.first.clone();
            let mut rebuilt = Chunk::new(first.clone(), std::iter::empty());
            for product in products.range::<_, str>((start, end)).map(|(_, p)| p) {
                // Grown past twice its size: the rest goes to a new chunk.
                if rebuilt.skus.len() == 2 * CHUNK {
                    first = Some(product.sku.clone());
                    let next = Chunk::new(first.clone(), std::iter::empty());
                    chunks.push(Arc::new(std::mem::replace(&mut rebuilt, next)));
                }
                rebuilt.push(product);
            }
            // An emptied chunk goes, unless it is the first (which covers every sku before
            // the second chunk's).
            if !rebuilt.skus.is_empty() || rebuilt.first.is_none() {
                chunks.push(Arc::new(rebuilt));
            }
        }
        Some(SearchIndex {
            revision: published.revision,
            products: products.clone(),
            chunks,
        })
    }

    /// The chunk whose range holds `sku`.
    fn chunk_of(&self, sku: &str) -> usize {
        self.chunks
            .partition_point(|c| c.first.as_deref().is_none_or(|first| first <= sku))
            .saturating_sub(1)
    }

    /// The skus after `after` whose folded sku or name holds `query` (folded, see
    /// [`clean_query`]; none when it is empty), in sku order.
    pub fn matches<'a>(
        &'a self,
        query: &'a str,
        after: Option<&str>,
    ) -> impl Iterator<Item = &'a str> + 'a {
        let (first, line) = match after {
            None => (0, 0),
            Some(after) => {
                let chunk = self.chunk_of(after);
                let line = self
                    .chunks
                    .get(chunk)
                    .map_or(0, |c| c.skus.partition_point(|s| s.as_str() <= after));
                (chunk, line)
            }
        };
        self.chunks
            .iter()
            .enumerate()
            .skip(first)
            .filter(move |_| !query.is_empty())
            .flat_map(move |(i, chunk)| chunk.matches(query, if i == first { line } else { 0 }))
    }
}

/// A folded query without the characters that separate the index's fields and lines.
pub fn clean_query(folded: &str) -> String {
    folded.chars().filter(|c| !c.is_control()).collect()
}

/// The index of the published revision, kept for the next searches.
#[derive(Default)]
pub struct ProductSearch(Mutex<Option<Arc<SearchIndex>>>);

impl ProductSearch {
    /// The index of `published`: the one kept when it is of that revision, else that one
    /// updated (or built, the first time or after a large change). Building takes a while on a
    /// large catalog: call it off the async workers.
    pub fn index(&self, published: &Published) -> Arc<SearchIndex> {
        // The slot holds a finished index or none: one left by a panicking thread is whole.
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let index = match slot.as_ref() {
            Some(index) if index.revision == published.revision => return index.clone(),
            Some(index) => index.updated(published),
            None => None,
        };
        let index = Arc::new(index.unwrap_or_else(|| SearchIndex::build(published)));
        *slot = Some(index.clone());
        index
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::model::Model;
    use crate::office::products::search::fold;

    fn product(sku: &str, name: &str) -> Product {
        let mut product = Product::new(sku, Decimal::ONE);
        product.name = name.to_owned();
        product
    }

    fn published(revision: i64, products: &[(&str, &str)]) -> Published {
        let mut model = Model::default();
        for (sku, name) in products {
            model.products.insert((*sku).to_owned(), product(sku, name));
        }
        Published::build(revision, model).unwrap_or_else(|e| panic!("{e}"))
    }

    fn found(index: &SearchIndex, q: &str, after: Option<&str>) -> Vec<String> {
        let q = clean_query(&fold(q));
        index.matches(&q, after).map(str::to_owned).collect()
    }

    #[test]
    fn finds_skus_and_names_folded_in_sku_order_from_the_cursor() {
        let published = published(
            1,
            &[
                ("B-2", "Thé vert"),
                ("A-1", "Café\nnoir"),
                ("C-3", "THE NOIR"),
                ("D-4", "Tasse"),
            ],
        );
        let index = SearchIndex::build(&published);
        assert_eq!(found(&index, "the", None), ["B-2", "C-3"]);
        assert_eq!(found(&index, "THÉ", Some("B-2")), ["C-3"]);
        assert_eq!(found(&index, "noir", None), ["A-1", "C-3"]);
        assert_eq!(found(&index, "a-1", None), ["A-1"]);
        // A match never spans two products or a sku and its name.
        assert!(found(&index, "noir\nb-2", None).is_empty());
        assert!(found(&index, "1cafe", None).is_empty());
        assert!(found(&index, "zzz", None).is_empty());
        assert!(found(&index, "", None).is_empty());
        assert!(found(&index, "e", Some("Z")).is_empty());
    }

    /// Thousands of products across chunks, changed, added and removed: the index updated
    /// finds what one built from scratch finds.
    #[test]
    fn an_updated_index_finds_what_a_new_one_finds() {
        let mut model = Model::default();
        for i in 0..5_000 {
            let sku = format!("P{i:05}");
            model
                .products
                .insert(sku.clone(), product(&sku, &format!("Jouet {i}")));
        }
        let before = Published::build(1, model.clone()).unwrap_or_else(|e| panic!("{e}"));
        let index = SearchIndex::build(&before);
        assert_eq!(index.chunks.len(), 5);
        // A renamed product, a new one in the middle, one removed, and a run of new ones that
        // makes a chunk grow past twice its size.
        model
            .products
            .insert("P01234".into(), product("P01234", "Éléphant"));
        model
            .products
            .insert("P02500a".into(), product("P02500a", "éléphant bleu"));
        model.products.remove("P04999");
        for i in 0..2_500 {
            let sku = format!("P03000-{i:04}");
            model.products.insert(sku.clone(), product(&sku, "Girafe"));
        }
        let after = Published::build(2, model).unwrap_or_else(|e| panic!("{e}"));
        let updated = index.updated(&after).unwrap_or_else(|| panic!("updated"));
        let fresh = SearchIndex::build(&after);
        assert!(updated.chunks.len() > index.chunks.len());
        for (q, cursor) in [
            ("elephant", None),
            ("jouet 1234", None),
            ("jouet 4999", None),
            ("girafe", Some("P03000-1000")),
            ("p0", Some("P02999")),
            ("jouet", Some("P04990")),
        ] {
            let got = found(&updated, q, cursor);
            assert_eq!(got, found(&fresh, q, cursor), "{q} after {cursor:?}");
        }
        assert_eq!(found(&updated, "elephant", None), ["P01234", "P02500a"]);
        assert!(found(&updated, "jouet 4999", None).is_empty());
        assert_eq!(found(&updated, "girafe", None).len(), 2_500);
    }

    #[test]
    fn an_index_is_kept_for_its_revision_and_updated_after() {
        let search = ProductSearch::default();
        let first = published(1, &[("A", "a")]);
        let one = search.index(&first);
        assert!(Arc::ptr_eq(&one, &search.index(&first)));
        let mut model = first.model.clone();
        model.products.insert("B".into(), product("B", "bee"));
        let second = Published::build(2, model).unwrap_or_else(|e| panic!("{e}"));
        let two = search.index(&second);
        assert!(!Arc::ptr_eq(&one, &two));
        assert_eq!(found(&two, "bee", None), ["B"]);
    }
}
