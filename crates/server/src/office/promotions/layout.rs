//! The promotion form as the template draws it: sections of groups (`<fieldset>`s) of fields,
//! each field with its label, value, hint and error. One generic template draws every field, so
//! that the dozens of inputs of every target, condition and offer share one accessible markup,
//! and the names the errors are matched against are the names drawn.

use std::collections::BTreeMap;

use super::form::{Rows, WEEKDAYS};
use super::values::FormValues;
use crate::office::page::Page;

/// A labelled input.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub id: String,
    pub label: String,
    /// `text`, `amount`, `count`, `list`, `lines`, `select`, `radio`, `check`, `checks`, `time`,
    /// `datetime`.
    pub kind: &'static str,
    pub value: String,
    pub choices: Vec<Choice>,
    pub hint: Option<String>,
    pub error: Option<String>,
}

impl Field {
    /// `aria-describedby`: the hint and the error, when there are.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("h-{}", self.id));
        }
        if self.error.is_some() {
            ids.push(format!("e-{}", self.id));
        }
        ids.join(" ")
    }

    /// Whether a `datetime-local` input must accept seconds (its value has some).
    pub fn with_seconds(&self) -> bool {
        self.value.len() > 16
    }
}

/// One option of a select, or one radio button or checkbox of a group of them.
#[derive(Debug, Clone)]
pub struct Choice {
    pub name: String,
    pub id: String,
    pub value: String,
    pub label: String,
    pub on: bool,
}

/// A `<fieldset>` of fields, with groups inside it (a tier, a slot, the rewarded products).
#[derive(Debug, Clone)]
pub struct Group {
    /// The name errors are matched against (`targets`, `validity.windows[0]`).
    pub name: String,
    pub id: String,
    pub legend: String,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub fields: Vec<Field>,
    pub subgroups: Vec<Group>,
}

impl Group {
    pub fn new(name: impl Into<String>, legend: String) -> Group {
        let name = name.into();
        Group {
            id: format!("g-{}", dom_id(&name)),
            name,
            legend,
            hint: None,
            error: None,
            fields: Vec::new(),
            subgroups: Vec::new(),
        }
    }

    pub fn hint(mut self, hint: String) -> Group {
        self.hint = Some(hint);
        self
    }

    /// Every name of the group and of what it holds.
    fn names(&self, out: &mut Vec<String>) {
        out.push(self.name.clone());
        for field in &self.fields {
            out.push(field.name.clone());
        }
        for group in &self.subgroups {
            group.names(out);
        }
    }

    /// The HTML id of the first field or group (in page order) that shows an error.
    fn first_error(&self) -> Option<String> {
        if self.error.is_some() {
            return Some(self.id.clone());
        }
        self.fields
            .iter()
            .find(|f| f.error.is_some())
            .map(|f| f.id.clone())
            .or_else(|| self.subgroups.iter().find_map(Group::first_error))
    }

    /// Puts each error on the field or group of its name; returns those that found none.
    fn attach(&mut self, errors: &mut BTreeMap<String, String>) {
        if let Some(error) = errors.remove(&self.name) {
            self.error = Some(error);
        }
        for field in &mut self.fields {
            if let Some(error) = errors.remove(&field.name) {
                field.error = Some(error);
            }
        }
        for group in &mut self.subgroups {
            group.attach(errors);
        }
    }
}

/// A part of the form under its own heading.
#[derive(Debug, Clone)]
pub struct Section {
    pub id: &'static str,
    pub heading: String,
    pub groups: Vec<Group>,
}

/// The whole form: its sections, the offer type's select and the offer's groups (one per type).
#[derive(Debug, Clone)]
pub struct Layout {
    pub sections: Vec<Section>,
    pub offer_type: Field,
    /// The chosen type's group first.
    pub offer_groups: Vec<Group>,
}

impl Layout {
    /// Every input and group name of the form.
    pub fn names(&self) -> Vec<String> {
        let mut names = vec![self.offer_type.name.clone()];
        for group in self.sections.iter().flat_map(|s| &s.groups) {
            group.names(&mut names);
        }
        for group in &self.offer_groups {
            group.names(&mut names);
        }
        names
    }

    /// The HTML id of the first field or group (in page order) that shows an error, for a
    /// link from the message at the top.
    pub fn first_error(&self) -> Option<String> {
        self.sections
            .iter()
            .flat_map(|s| &s.groups)
            .find_map(Group::first_error)
            .or_else(|| {
                self.offer_type
                    .error
                    .as_ref()
                    .map(|_| self.offer_type.id.clone())
            })
            .or_else(|| self.offer_groups.first().and_then(Group::first_error))
    }

    /// Puts each error (by input or group name) in its place; the others are returned, for
    /// the list at the top of the form.
    pub fn attach(&mut self, errors: Vec<(String, String)>) -> Vec<(String, String)> {
        let mut left = Vec::new();
        let mut by_name: BTreeMap<String, String> = BTreeMap::new();
        for (name, message) in errors {
            // One message per input: the first (the form's own before the engine's).
            if by_name.contains_key(&name) {
                continue;
            }
            by_name.insert(name, message);
        }
        if let Some(error) = by_name.remove(&self.offer_type.name) {
            self.offer_type.error = Some(error);
        }
        for group in self.sections.iter_mut().flat_map(|s| &mut s.groups) {
            group.attach(&mut by_name);
        }
        for group in &mut self.offer_groups {
            group.attach(&mut by_name);
        }
        left.extend(by_name);
        left
    }
}

/// An input name as an HTML id: `offer.tiered.tiers[0].from` → `offer-tiered-tiers-0-from`.
pub fn dom_id(name: &str) -> String {
    let mut id = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '.' | '[' => id.push('-'),
            ']' => {}
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => id.push(c),
            _ => id.push('_'),
        }
    }
    id
}

/// Makes fields from the form's values with the page's messages.
pub struct Fields<'a> {
    pub page: &'a Page,
    pub values: &'a FormValues,
}

impl Fields<'_> {
    fn field(&self, name: &str, label_key: &str, kind: &'static str) -> Field {
        Field {
            name: name.to_owned(),
            id: format!("f-{}", dom_id(name)),
            label: self.page.t(label_key),
            kind,
            value: self.values.raw(name).to_owned(),
            choices: Vec::new(),
            hint: None,
            error: None,
        }
    }

    pub fn text(&self, name: &str, label_key: &str) -> Field {
        self.field(name, label_key, "text")
    }

    pub fn amount(&self, name: &str, label_key: &str) -> Field {
        self.field(name, label_key, "amount")
    }

    pub fn count(&self, name: &str, label_key: &str) -> Field {
        self.field(name, label_key, "count")
    }

    pub fn time(&self, name: &str, label_key: &str) -> Field {
        self.field(name, label_key, "time")
    }

    pub fn datetime(&self, name: &str, label_key: &str) -> Field {
        self.field(name, label_key, "datetime")
    }

    /// A list typed as text, items separated by commas.
    pub fn list(&self, name: &str, label_key: &str) -> Field {
        Field {
            hint: Some(self.page.t("promotions-hint-list")),
            ..self.field(name, label_key, "list")
        }
    }

    pub fn lines(&self, name: &str, label_key: &str, hint_key: &str) -> Field {
        Field {
            hint: Some(self.page.t(hint_key)),
            ..self.field(name, label_key, "lines")
        }
    }

    pub fn check(&self, name: &str, label_key: &str) -> Field {
        Field {
            value: if self.values.checked(name) {
                "on".to_owned()
            } else {
                String::new()
            },
            ..self.field(name, label_key, "check")
        }
    }

    /// A select (or radio buttons, `kind` `radio`) of `(value, label key)`; the first is chosen
    /// when the value is none of them.
    pub fn choose(
        &self,
        kind: &'static str,
        name: &str,
        label_key: &str,
        options: &[(&str, &str)],
    ) -> Field {
        let current = self.values.get(name);
        let chosen = options
            .iter()
            .position(|(value, _)| *value == current)
            .unwrap_or(0);
        let id = format!("f-{}", dom_id(name));
        let choices = options
            .iter()
            .enumerate()
            .map(|(i, (value, key))| Choice {
                name: name.to_owned(),
                id: format!("{id}-{}", dom_id(value)),
                value: (*value).to_owned(),
                label: self.page.t(key),
                on: i == chosen,
            })
            .collect();
        Field {
            choices,
            value: options
                .get(chosen)
                .map_or(String::new(), |(v, _)| (*v).to_owned()),
            ..self.field(name, label_key, kind)
        }
    }

    pub fn hinted(&self, mut field: Field, hint_key: &str) -> Field {
        field.hint = Some(self.page.t(hint_key));
        field
    }

    /// The weekdays, one checkbox each (`validity.weekdays.monday`…).
    pub fn weekdays(&self) -> Field {
        const KEYS: [&str; 7] = [
            "promotions-day-monday",
            "promotions-day-tuesday",
            "promotions-day-wednesday",
            "promotions-day-thursday",
            "promotions-day-friday",
            "promotions-day-saturday",
            "promotions-day-sunday",
        ];
        let name = "validity.weekdays";
        let choices = WEEKDAYS
            .iter()
            .zip(KEYS)
            .map(|(day, key)| {
                let day_name = format!("{name}.{day}");
                Choice {
                    id: format!("f-{}", dom_id(&day_name)),
                    on: self.values.checked(&day_name),
                    name: day_name,
                    value: "on".to_owned(),
                    label: self.page.t(key),
                }
            })
            .collect();
        Field {
            choices,
            hint: Some(self.page.t("promotions-hint-weekdays")),
            ..self.field(name, "promotions-field-weekdays", "checks")
        }
    }

    /// The fields of targets under `prefix`; `with_all`: the "every product" box.
    pub fn targets(&self, prefix: &str, with_all: bool) -> Vec<Field> {
        let name = |field: &str| format!("{prefix}.{field}");
        let mut fields = Vec::new();
        if with_all {
            fields.push(self.check(&name("all"), "promotions-field-all"));
        }
        fields.extend([
            self.list(&name("skus"), "promotions-field-skus"),
            self.list(&name("segments"), "promotions-field-segments"),
            self.list(&name("selections"), "promotions-field-selections"),
            self.list(&name("brands"), "promotions-field-brands"),
            self.list(&name("tags"), "promotions-field-tags"),
            self.lines(
                &name("attributes"),
                "promotions-field-attributes",
                "promotions-hint-attributes",
            ),
            self.amount(&name("unit_price.min"), "promotions-field-unit-price-min"),
            self.amount(&name("unit_price.max"), "promotions-field-unit-price-max"),
        ]);
        fields
    }
}

/// The form's sections but the offer (`offer::groups` makes the offer's).
pub fn sections(f: &Fields<'_>, rows: &Rows, id_input: bool) -> Vec<Section> {
    let page = f.page;
    let mut general = Group::new("general", page.t("promotions-group-general"));
    if id_input {
        general
            .fields
            .push(f.hinted(f.text("id", "promotions-field-id"), "promotions-hint-id"));
    }
    general.fields.extend([
        f.text("name", "promotions-field-name"),
        f.hinted(
            f.text("priority", "promotions-field-priority"),
            "promotions-hint-priority",
        ),
        f.choose(
            "radio",
            "combination",
            "promotions-field-combination",
            &[
                ("stackable", "promotions-combination-stackable"),
                ("stop_further", "promotions-combination-stop-further"),
                ("exclusive", "promotions-combination-exclusive"),
            ],
        ),
        f.choose(
            "select",
            "skip_discounted",
            "promotions-field-skip-discounted",
            &[
                ("", "promotions-skip-none"),
                ("catalog", "promotions-skip-catalog"),
                ("any", "promotions-skip-any"),
            ],
        ),
    ]);
    let mut targets = Group::new("targets", page.t("promotions-group-targets"))
        .hint(page.t("promotions-hint-targets"));
    targets.fields = f.targets("targets", true);
    let mut exclude = Group::new("exclude", page.t("promotions-group-exclude"))
        .hint(page.t("promotions-hint-exclude"));
    exclude.fields = f.targets("exclude", false);
    let mut audience = Group::new("audience", page.t("promotions-group-audience"))
        .hint(page.t("promotions-hint-audience"));
    audience.fields = vec![
        f.hinted(
            f.list("audience.channels", "promotions-field-channels"),
            "promotions-hint-channels",
        ),
        f.list("audience.groups", "promotions-field-groups"),
        f.list("audience.customers", "promotions-field-customers"),
        f.list(
            "audience.collection_points",
            "promotions-field-collection-points",
        ),
    ];
    let mut validity = Group::new("validity", page.t("promotions-group-validity"))
        .hint(page.t("promotions-hint-validity"));
    validity.fields = vec![
        f.datetime("validity.starts_at", "promotions-field-starts-at"),
        f.datetime("validity.ends_at", "promotions-field-ends-at"),
        f.weekdays(),
    ];
    for row in 0..rows.windows {
        let prefix = format!("validity.windows[{row}]");
        let mut window = Group::new(
            prefix.clone(),
            page.t1("promotions-group-window", "n", row + 1),
        );
        window.fields = vec![
            f.time(&format!("{prefix}.from"), "promotions-field-from"),
            f.time(&format!("{prefix}.to"), "promotions-field-to"),
        ];
        validity.subgroups.push(window);
    }
    if let Some(first) = validity.subgroups.first_mut() {
        first.hint = Some(page.t("promotions-hint-windows"));
    }
    vec![
        Section {
            id: "general",
            heading: page.t("promotions-section-general"),
            groups: vec![general],
        },
        Section {
            id: "products",
            heading: page.t("promotions-section-targets"),
            groups: vec![targets, exclude],
        },
        Section {
            id: "who",
            heading: page.t("promotions-section-audience"),
            groups: vec![audience, validity],
        },
        Section {
            id: "conditions",
            heading: page.t("promotions-section-conditions"),
            groups: conditions(f, rows),
        },
        Section {
            id: "limits",
            heading: page.t("promotions-section-limits"),
            groups: vec![limits(f)],
        },
    ]
}

fn conditions(f: &Fields<'_>, rows: &Rows) -> Vec<Group> {
    let page = f.page;
    let mut cart = Group::new("conditions", page.t("promotions-group-cart"));
    cart.fields = vec![
        f.amount(
            "conditions.min_cart_amount",
            "promotions-field-min-cart-amount",
        ),
        f.amount(
            "conditions.max_cart_amount",
            "promotions-field-max-cart-amount",
        ),
        f.count("conditions.min_quantity", "promotions-field-min-quantity"),
        f.count(
            "conditions.min_distinct_products",
            "promotions-field-min-distinct-products",
        ),
        f.count(
            "conditions.min_line_quantity",
            "promotions-field-min-line-quantity",
        ),
        f.list(
            "conditions.shipping_methods",
            "promotions-field-shipping-methods",
        ),
    ];
    let mut coupon = Group::new("conditions.coupon", page.t("promotions-group-coupon"))
        .hint(page.t("promotions-hint-coupon"));
    coupon.fields = vec![
        f.check(
            "conditions.coupon.required",
            "promotions-field-coupon-required",
        ),
        f.list("conditions.coupon.codes", "promotions-field-coupon-codes"),
    ];
    let mut history = Group::new("conditions.history", page.t("promotions-group-history"))
        .hint(page.t("promotions-hint-history"));
    history.fields = vec![
        f.check(
            "conditions.history.first_order",
            "promotions-field-first-order",
        ),
        f.count("conditions.history.nth_order", "promotions-field-nth-order"),
        f.count(
            "conditions.history.min_orders",
            "promotions-field-min-orders",
        ),
        f.count(
            "conditions.history.max_orders",
            "promotions-field-max-orders",
        ),
        f.amount("conditions.history.min_spent", "promotions-field-min-spent"),
    ];
    let mut groups = vec![cart, coupon, history];
    for row in 0..rows.cart_contains {
        let prefix = format!("conditions.cart_contains[{row}]");
        let mut contains = Group::new(
            prefix.clone(),
            page.t1("promotions-group-cart-contains", "n", row + 1),
        );
        if row == 0 {
            contains.hint = Some(page.t("promotions-hint-cart-contains"));
        }
        contains.fields = vec![
            f.count(
                &format!("{prefix}.min_quantity"),
                "promotions-field-contains-quantity",
            ),
            f.amount(
                &format!("{prefix}.min_amount"),
                "promotions-field-contains-amount",
            ),
        ];
        let targets_name = format!("{prefix}.targets");
        let mut targets = Group::new(
            targets_name.clone(),
            page.t1("promotions-group-contains-targets", "n", row + 1),
        );
        targets.fields = f.targets(&targets_name, true);
        contains.subgroups.push(targets);
        groups.push(contains);
    }
    groups
}

fn limits(f: &Fields<'_>) -> Group {
    let mut limits = Group::new("limits", f.page.t("promotions-group-limits"))
        .hint(f.page.t("promotions-hint-limits"));
    limits.fields = vec![
        f.count("limits.total_uses", "promotions-field-total-uses"),
        f.count(
            "limits.uses_per_customer",
            "promotions-field-uses-per-customer",
        ),
        f.amount("limits.budget", "promotions-field-budget"),
    ];
    limits
}
