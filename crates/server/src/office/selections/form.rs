//! The selection form: its fields read from a form or a query (the live preview's), the saved
//! filter they make, the preview of what it matches, and product rows with their list price.

use std::collections::BTreeMap;

use remise_engine::rules::{Selection, SelectionFilter};

use crate::office::catalog_structure::{amount, amount_text, comma_list, slug, value, values};
use crate::office::form::FormErrors;
use crate::office::i18n;
use crate::office::page::Page;
use crate::published::Published;

/// How many matching products the preview lists.
pub const PREVIEW: usize = 20;

/// The form's fields as typed.
#[derive(Debug, Clone, Default)]
pub struct FilterForm {
    pub id: String,
    pub name: String,
    pub segments: Vec<String>,
    pub brands: String,
    pub tags: String,
    /// `name=value` lines.
    pub attributes: String,
    pub min_price: String,
    pub max_price: String,
}

/// A product as a row: sku, name, list price in the page's format (`None`: not in the catalog).
#[derive(Debug, Clone)]
pub struct ProductRow {
    pub sku: String,
    pub name: String,
    pub price: Option<String>,
}

/// What the filter matches now.
#[derive(Debug, Clone)]
pub struct Preview {
    pub count: usize,
    pub first: Vec<ProductRow>,
}

impl FilterForm {
    pub fn read(pairs: &[(String, String)]) -> FilterForm {
        FilterForm {
            id: value(pairs, "id").trim().to_owned(),
            name: value(pairs, "name").to_owned(),
            segments: values(pairs, "segments")
                .into_iter()
                .map(str::to_owned)
                .collect(),
            brands: value(pairs, "brands").to_owned(),
            tags: value(pairs, "tags").to_owned(),
            attributes: value(pairs, "attributes").to_owned(),
            min_price: value(pairs, "min_price").trim().to_owned(),
            max_price: value(pairs, "max_price").trim().to_owned(),
        }
    }

    pub fn from_selection(selection: &Selection) -> FilterForm {
        let filter = selection.filter.clone().unwrap_or_default();
        FilterForm {
            id: selection.id.clone(),
            name: selection.name.clone(),
            segments: filter.segments,
            brands: filter.brands.join(", "),
            tags: filter.tags.join(", "),
            attributes: filter
                .attributes
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("\n"),
            min_price: amount_text(filter.min_price),
            max_price: amount_text(filter.max_price),
        }
    }

    /// The id given, or the name's slug.
    pub fn id_or_slug(&self) -> String {
        if self.id.is_empty() {
            slug(&self.name)
        } else {
            self.id.clone()
        }
    }

    pub fn has_segment(&self, id: &str) -> bool {
        self.segments.iter().any(|s| s == id)
    }

    /// The saved filter the fields make (`None` when they give no criterion: a hand-picked
    /// selection); what cannot be read goes to `errors`, under the input's name.
    pub fn filter(&self, page: &Page, errors: &mut FormErrors) -> Option<SelectionFilter> {
        let mut attributes = BTreeMap::new();
        for line in self
            .attributes
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            match line.split_once(['=', ':']) {
                Some((name, value)) if !name.trim().is_empty() && !value.trim().is_empty() => {
                    attributes.insert(name.trim().to_owned(), value.trim().to_owned());
                }
                _ => {
                    errors.add(
                        "attributes",
                        page.t1("selections-attribute-unreadable", "line", line),
                    );
                    break;
                }
            }
        }
        let mut price = |field: &str, text: &str| match amount(text) {
            Ok(amount) => amount,
            Err(()) => {
                errors.add(field, page.t("selections-price-unreadable"));
                None
            }
        };
        let min_price = price("min_price", &self.min_price);
        let max_price = price("max_price", &self.max_price);
        let filter = SelectionFilter {
            segments: self.segments.clone(),
            brands: comma_list(&self.brands),
            tags: comma_list(&self.tags),
            attributes,
            min_price,
            max_price,
        };
        filter.has_criteria().then_some(filter)
    }
}

/// The check's field paths (`filter.segments[0]`, `filter.max_price`) as the form's inputs.
pub fn on_inputs(mut errors: FormErrors) -> FormErrors {
    for (field, _) in &mut errors.fields {
        let input = field.strip_prefix("filter.").unwrap_or(field);
        let input = input.split(['[', '.']).next().unwrap_or(input);
        *field = match input {
            "filter" => "criteria",
            "skus" => "sku",
            other => other,
        }
        .to_owned();
    }
    errors
}

/// The count and first products `filter` matches; the engine's errors go to `errors`.
pub fn preview(
    page: &Page,
    published: &Published,
    filter: &SelectionFilter,
    errors: &mut FormErrors,
) -> Option<Preview> {
    match published.snapshot.preview_filter(filter, PREVIEW) {
        Ok(matches) => Some(Preview {
            count: matches.count,
            first: matches
                .first
                .iter()
                .map(|sku| product_row(page, published, sku))
                .collect(),
        }),
        Err(problems) => {
            let mut found = FormErrors::default();
            for problem in problems {
                found.add(&problem.path, i18n::problem(page.lang, &problem.message));
            }
            errors.fields.extend(on_inputs(found).fields);
            None
        }
    }
}

pub fn product_row(page: &Page, published: &Published, sku: &str) -> ProductRow {
    let product = published.model.products.get(sku);
    let snapshot = &published.snapshot;
    ProductRow {
        sku: sku.to_owned(),
        name: product.map(|p| p.name.clone()).unwrap_or_default(),
        price: product.map(|p| {
            i18n::money(
                page.lang,
                p.price,
                snapshot.currency(),
                snapshot.currency_scale(),
            )
        }),
    }
}

/// Up to `limit` catalog products whose sku or name contains `query` (any case), but those in
/// `except`; stops at the first `limit` found.
pub fn search(
    page: &Page,
    published: &Published,
    query: &str,
    except: &[String],
    limit: usize,
) -> Vec<ProductRow> {
    if query.is_empty() {
        return Vec::new();
    }
    let needle = query.to_lowercase();
    published
        .model
        .products
        .values()
        .filter(|p| !except.contains(&p.sku))
        .filter(|p| {
            p.sku.to_lowercase().contains(&needle) || p.name.to_lowercase().contains(&needle)
        })
        .take(limit)
        .map(|p| product_row(page, published, &p.sku))
        .collect()
}

/// A filter in a few words for the list: "Segments: marvel · Brands: Hasbro · ≤ 30.00".
pub fn summary(page: &Page, filter: &SelectionFilter) -> String {
    let mut parts = Vec::new();
    let mut list = |key: &str, items: &[String]| {
        if !items.is_empty() {
            parts.push(page.t1(key, "items", items.join(", ")));
        }
    };
    list("selections-summary-segments", &filter.segments);
    list("selections-summary-brands", &filter.brands);
    list("selections-summary-tags", &filter.tags);
    let attributes: Vec<String> = filter
        .attributes
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    list("selections-summary-attributes", &attributes);
    if let Some(min) = filter.min_price {
        parts.push(page.t1("selections-summary-min", "price", min));
    }
    if let Some(max) = filter.max_price {
        parts.push(page.t1("selections-summary-max", "price", max));
    }
    parts.join(" · ")
}
