//! The JSON reader: an array of products (or `{ "products": [...] }`) read one element at a time
//! from any `Read`, through serde's sequence visitor, each element named by its index.

use std::fmt;
use std::io::{BufReader, Read};
use std::ops::ControlFlow;

use remise_engine::rules::Product;
use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{Places, Rows};
use crate::body::from_value;
use crate::problem::{ApiError, ApiResult};

/// The shape the file must have, said when it has another.
const SHAPE: &str = "expected an array of products or { \"products\": [...] }";

/// Where the reading is, to tell a wrong shape of the file from a wrong shape of `products`.
#[derive(Clone, Copy, PartialEq)]
enum Stage {
    File,
    Products,
}

/// What the visitors share: the rows, and why they stopped when they stopped on purpose.
struct Reading<'r, 'a, F> {
    rows: &'r mut Rows<'a, F>,
    stage: Stage,
    /// An error of the import itself (too many rows), which stopped the reading.
    fatal: Option<ApiError>,
    /// The writer is gone: stop without an error of our own.
    stopped: bool,
}

/// Reads the elements of a JSON file.
pub(super) fn read<F: FnMut(Option<Product>) -> ControlFlow<()>>(
    reader: impl Read,
    rows: &mut Rows<'_, F>,
) -> ApiResult<()> {
    let mut reading = Reading {
        rows,
        stage: Stage::File,
        fatal: None,
        stopped: false,
    };
    let mut json = serde_json::Deserializer::from_reader(BufReader::new(reader));
    let result = (&mut json)
        .deserialize_any(File(&mut reading))
        .and_then(|()| json.end());
    let error = match result {
        Ok(()) => return Ok(()),
        Err(error) => error,
    };
    if let Some(fatal) = reading.fatal {
        return Err(fatal);
    }
    if reading.stopped {
        return Ok(());
    }
    Err(match error.classify() {
        serde_json::error::Category::Io => ApiError::InvalidJson {
            field: None,
            detail: format!("the file could not be read: {error}"),
        },
        serde_json::error::Category::Data => match reading.stage {
            Stage::Products => ApiError::validation("products", "must be an array"),
            Stage::File => ApiError::validation("", SHAPE),
        },
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            crate::body::malformed(&error)
        }
    })
}

/// The file: an array, or an object whose one key is `products`.
struct File<'x, 'r, 'a, F>(&'x mut Reading<'r, 'a, F>);

impl<'de, F: FnMut(Option<Product>) -> ControlFlow<()>> Visitor<'de> for File<'_, '_, '_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SHAPE)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        elements(self.0, seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if map.next_key::<String>()?.as_deref() != Some("products") {
            return Err(de::Error::custom(SHAPE));
        }
        self.0.rows.places = Places::Index("products");
        self.0.stage = Stage::Products;
        map.next_value_seed(ProductsSeed(&mut *self.0))?;
        self.0.stage = Stage::File;
        if map.next_key::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom(SHAPE));
        }
        Ok(())
    }
}

/// The value of `products`: an array.
struct ProductsSeed<'x, 'r, 'a, F>(&'x mut Reading<'r, 'a, F>);

impl<'de, F: FnMut(Option<Product>) -> ControlFlow<()>> DeserializeSeed<'de>
    for ProductsSeed<'_, '_, '_, F>
{
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Option<Product>) -> ControlFlow<()>> Visitor<'de>
    for ProductsSeed<'_, '_, '_, F>
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of products")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        elements(self.0, seq)
    }
}

/// Each element of the array, read as JSON then as a product (so that a wrong field is named
/// by its path, as in any other body), then checked.
fn elements<'de, A: SeqAccess<'de>, F: FnMut(Option<Product>) -> ControlFlow<()>>(
    reading: &mut Reading<'_, '_, F>,
    mut seq: A,
) -> Result<(), A::Error> {
    let mut index = 0u64;
    while let Some(item) = seq.next_element::<Value>()? {
        let rows = &mut *reading.rows;
        let place = match rows.row(index) {
            Ok(place) => place,
            Err(fatal) => {
                reading.fatal = Some(fatal);
                return Err(de::Error::custom("too many rows"));
            }
        };
        let flow = match from_value::<Product>(item, &place) {
            Ok(product) => rows.product(product, index, &place),
            Err(ApiError::InvalidJson { field, detail }) => {
                let field = field.unwrap_or_else(|| place.clone());
                // The detail starts with the field, which the problem already names.
                let message = detail
                    .strip_prefix(&format!("{field}: "))
                    .map_or_else(|| detail.clone(), str::to_owned);
                rows.problems.push(field, message);
                rows.rejected()
            }
            Err(other) => {
                reading.fatal = Some(other);
                return Err(de::Error::custom("stopped"));
            }
        };
        if flow.is_break() {
            reading.stopped = true;
            return Err(de::Error::custom("stopped"));
        }
        index += 1;
    }
    Ok(())
}
