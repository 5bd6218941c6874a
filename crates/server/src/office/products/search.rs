//! The products list's filters on a product's facts: a segment with its sub-segments, a brand, a
//! tag; and the folding of text (lower case, no accents: "lycee" finds "Lycée"), as the API's
//! title searches compare it, into a reused buffer, so that testing a large catalog allocates
//! nothing per product. (Text in the sku or the name is searched in `search_index`.)

use std::collections::HashSet;

use remise_engine::rules::Product;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use crate::model::Model;

/// Appends `text` to `out` lower-cased and without accents (what `offer_filter::fold` gives).
pub fn fold_into(text: &str, out: &mut String) {
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            // The marks are dropped, so decomposing char by char gives what NFD of the whole
            // text would (NFD only reorders marks).
            decompose_canonical(c, |part| {
                if !is_combining_mark(part) {
                    out.extend(part.to_lowercase());
                }
            });
        }
    }
}

/// `text` folded.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    fold_into(text, &mut out);
    out
}

/// The filters on facts, ready to test products with.
#[derive(Debug, Default)]
pub struct FactFilters {
    /// The segment asked for and all its descendants.
    pub segments: Option<HashSet<String>>,
    /// Folded.
    pub brand: Option<String>,
    /// Folded.
    pub tag: Option<String>,
}

impl FactFilters {
    /// Whether `product` passes; `buffer` is scratch space.
    pub fn matches(&self, product: &Product, buffer: &mut String) -> bool {
        if let Some(segments) = &self.segments
            && !product.segments.iter().any(|s| segments.contains(s))
        {
            return false;
        }
        if let Some(brand) = &self.brand {
            let Some(own) = &product.brand else {
                return false;
            };
            if !folds_to(own, brand, buffer) {
                return false;
            }
        }
        if let Some(tag) = &self.tag
            && !product.tags.iter().any(|t| folds_to(t, tag, buffer))
        {
            return false;
        }
        true
    }
}

fn folds_to(text: &str, folded: &str, buffer: &mut String) -> bool {
    buffer.clear();
    fold_into(text, buffer);
    buffer == folded
}

/// `root` and every segment under it, at any depth. A parent chain longer than the number of
/// segments is a cycle (which the checks refuse) and ends the walk.
pub fn with_descendants(model: &Model, root: &str) -> HashSet<String> {
    let limit = model.segments.len();
    model
        .segments
        .keys()
        .filter(|id| {
            let mut at = Some(id.as_str());
            for _ in 0..=limit {
                match at {
                    Some(current) if current == root => return true,
                    Some(current) => {
                        at = model
                            .segments
                            .get(current)
                            .and_then(|s| s.parent.as_deref());
                    }
                    None => return false,
                }
            }
            false
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use remise_engine::rules::Segment;
    use rust_decimal::Decimal;

    use super::*;

    #[test]
    fn folds_as_the_api_does() {
        for text in [
            "Lycée",
            "ÉCOLE",
            "Thé vert Œuf",
            "ﬁ ligature",
            "Straße",
            "ÅNGSTRÖM",
            "plain",
        ] {
            assert_eq!(fold(text), crate::offer_filter::fold(text), "{text}");
        }
        assert_eq!(fold("Masque ÉLECTRONIQUE"), "masque electronique");
    }

    fn segment(id: &str, parent: Option<&str>) -> Segment {
        // Read as a document, so that fields added to segments later keep their defaults.
        serde_json::from_value(serde_json::json!({ "id": id, "parent": parent }))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_segment_counts_its_sub_segments() {
        let mut model = Model::default();
        for s in [
            segment("toys", None),
            segment("heroes", Some("toys")),
            segment("marvel", Some("heroes")),
            segment("books", None),
        ] {
            model.segments.insert(s.id.clone(), s);
        }
        let mut got: Vec<String> = with_descendants(&model, "heroes").into_iter().collect();
        got.sort();
        assert_eq!(got, ["heroes", "marvel"]);
        assert_eq!(with_descendants(&model, "toys").len(), 3);
        assert!(with_descendants(&model, "nothing").is_empty());
    }

    #[test]
    fn filters_fold_brand_and_tag() {
        let mut product = Product::new("MASK-1", Decimal::ONE);
        product.brand = Some("Hasbro".to_owned());
        product.tags = vec!["Nouveauté".to_owned()];
        let mut buffer = String::new();
        let filters = |brand: Option<&str>, tag: Option<&str>| FactFilters {
            segments: None,
            brand: brand.map(fold),
            tag: tag.map(fold),
        };
        assert!(filters(None, None).matches(&product, &mut buffer));
        assert!(filters(Some("HASBRO"), Some("nouveaute")).matches(&product, &mut buffer));
        assert!(!filters(Some("Hasb"), None).matches(&product, &mut buffer));
        assert!(!filters(None, Some("exclu web")).matches(&product, &mut buffer));
    }
}
