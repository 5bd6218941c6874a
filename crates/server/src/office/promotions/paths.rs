//! Where the form shows an error of the engine's checks: their paths name the promotion's
//! fields (`offer.percent`, `validity.windows[0].from`, `targets.segments[2]`); the form's
//! inputs are named after the same paths, with the offer's fields under their type and list
//! items in the rows they were typed in.

use super::form::RowMap;

/// The input or group of the form that shows an error at `path`, among `known` (every input
/// and group the form shows): the path turned into the form's names, then cut back one step at
/// a time (`targets.segments[2]` → `targets.segments`) until something shows it. `None`: no
/// part of the form does (the error goes to the list at the top).
pub fn slot_for(path: &str, offer_type: &str, rows: &RowMap, known: &[String]) -> Option<String> {
    let mut name = form_name(path, offer_type, rows);
    loop {
        if known.contains(&name) {
            return Some(name);
        }
        let cut = name.rfind(['.', '['])?;
        name.truncate(cut);
        if name.is_empty() {
            return None;
        }
    }
}

/// `path` in the form's names.
fn form_name(path: &str, offer_type: &str, rows: &RowMap) -> String {
    let path = renumber(path, "validity.windows[", &rows.windows);
    let path = renumber(&path, "conditions.cart_contains[", &rows.cart_contains);
    let Some(rest) = path.strip_prefix("offer.") else {
        return if path == "offer" {
            "offer.type".to_owned()
        } else {
            path
        };
    };
    if rest == "type" {
        return "offer.type".to_owned();
    }
    let rest = renumber(rest, "tiers[", &rows.tiers);
    let rest = renumber(&rest, "slots[", &rows.slots);
    let rest = match offer_type {
        "buy_x_get_y" => value_of(&rest, "reward.", &["percent", "amount", "price"]),
        "bundle" => value_of(&rest, "price.", &["price", "percent", "amount"]),
        "tiered" => tier_name(&rest),
        _ => rest,
    };
    format!("offer.{offer_type}.{rest}")
}

/// `reward.percent` → `reward.value`: one input holds the value whatever its kind.
fn value_of(path: &str, prefix: &str, fields: &[&str]) -> String {
    match path.strip_prefix(prefix) {
        Some(field) if fields.contains(&field) => format!("{prefix}value"),
        _ => path.to_owned(),
    }
}

/// A tier's `from` / `over` is its threshold input, its offer's amount its value input.
fn tier_name(path: &str) -> String {
    let Some((tier, field)) = path.split_once("].") else {
        return path.to_owned();
    };
    let field = match field {
        "from" | "over" => "threshold".to_owned(),
        _ => value_of(field, "offer.", &["percent", "amount", "price"]),
    };
    format!("{tier}].{field}")
}

/// The item index after `list` (`tiers[2]`) replaced by the row it was typed in.
fn renumber(path: &str, list: &str, rows: &[usize]) -> String {
    let Some(rest) = path.strip_prefix(list) else {
        return path.to_owned();
    };
    let Some((index, after)) = rest.split_once(']') else {
        return path.to_owned();
    };
    match index.parse::<usize>().ok().and_then(|i| rows.get(i)) {
        Some(row) => format!("{list}{row}]{after}"),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        [
            "targets",
            "targets.segments",
            "validity.windows[1]",
            "validity.windows[1].from",
            "offer.percent_off.percent",
            "offer.buy_x_get_y.get",
            "offer.buy_x_get_y.reward.value",
            "offer.tiered.tiers[2].threshold",
            "offer.tiered.tiers[2].offer.value",
            "offer.tiered.tiers[2]",
            "offer.bundle.slots[0].targets",
            "offer.type",
        ]
        .map(str::to_owned)
        .to_vec()
    }

    #[test]
    fn engine_paths_find_their_inputs() {
        let rows = RowMap {
            windows: vec![1],
            tiers: vec![2],
            slots: vec![0],
            ..RowMap::default()
        };
        let slot = |path: &str, kind: &str| slot_for(path, kind, &rows, &known());
        assert_eq!(
            slot("offer.percent", "percent_off").as_deref(),
            Some("offer.percent_off.percent")
        );
        assert_eq!(
            slot("targets.segments[3]", "gift").as_deref(),
            Some("targets.segments")
        );
        assert_eq!(
            slot("validity.windows[0].from", "gift").as_deref(),
            Some("validity.windows[1].from")
        );
        assert_eq!(
            slot("validity.windows[0]", "gift").as_deref(),
            Some("validity.windows[1]")
        );
        assert_eq!(
            slot("offer.reward.percent", "buy_x_get_y").as_deref(),
            Some("offer.buy_x_get_y.reward.value")
        );
        assert_eq!(
            slot("offer.tiers[0].over", "tiered").as_deref(),
            Some("offer.tiered.tiers[2].threshold")
        );
        assert_eq!(
            slot("offer.tiers[0].offer.amount", "tiered").as_deref(),
            Some("offer.tiered.tiers[2].offer.value")
        );
        assert_eq!(
            slot("offer.tiers[0].offer.type", "tiered").as_deref(),
            Some("offer.tiered.tiers[2]")
        );
        assert_eq!(
            slot("offer.slots[0].targets", "bundle").as_deref(),
            Some("offer.bundle.slots[0].targets")
        );
        assert_eq!(slot("offer", "gift").as_deref(), Some("offer.type"));
        assert_eq!(slot("campaign", "gift"), None);
        assert_eq!(slot("limits.budget", "gift"), None);
    }
}
