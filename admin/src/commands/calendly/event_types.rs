//! `calendly event-types`: the bookable event types (name, URI, active) and a ready
//! `event_mapping:` block for `connectors.calendly`, so nobody copies URIs by hand.
//!
//! Event types the config already maps keep their name and `list_id`; the others get a name
//! from their slug and `list_id: 0`, a placeholder the config check rejects until it is set to a
//! Brevo list id.

use std::collections::{BTreeMap, HashSet};

use meetflow_shared::config::EventMapping;
use meetflow_shared::providers::calendly_api::EventType;

use super::{Api, EventTypesArgs};
use crate::Out;
use crate::table::Table;

/// `calendly event-types`.
pub(super) async fn run(api: &Api, args: EventTypesArgs, out: &mut Out) -> anyhow::Result<()> {
    let me = api.me().await?;
    let types = api
        .client
        .list_event_types(&args.scope.scope(&me))
        .await
        .map_err(super::explain)?;
    let mapped = &api.settings.connectors.calendly.event_mapping;
    if types.is_empty() {
        writeln!(
            out,
            "no event types in {} scope",
            args.scope.scope(&me).as_str()
        )?;
        return Ok(());
    }
    let mut table = Table::new(&["NAME", "URI", "ACTIVE", "MAPPED AS"]);
    for t in &types {
        let as_name = mapped
            .iter()
            .find(|(_, m)| m.event_type_uri == t.uri)
            .map_or("-", |(n, _)| n.as_str());
        table.row(vec![
            t.name.clone().unwrap_or_else(|| "-".into()),
            t.uri.clone(),
            if t.active { "yes" } else { "no" }.into(),
            as_name.into(),
        ]);
    }
    write!(out, "{}\n{}", table.render(), mapping_block(&types, mapped))?;
    Ok(())
}

/// A config key from an event type's slug or name: lower case, `_` between words.
fn key_for(t: &EventType) -> String {
    let source = t.slug.as_deref().or(t.name.as_deref()).unwrap_or_default();
    let mut key = String::new();
    for c in source.chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
    }
    let key = key.trim_end_matches('_').to_owned();
    match key.chars().next() {
        None => "event_type".into(),
        Some(c) if c.is_ascii_digit() => format!("type_{key}"),
        Some(_) => key,
    }
}

/// The `event_mapping:` block to paste under `connectors.calendly:` (4-space indent, as in the
/// documented config layout).
fn mapping_block(types: &[EventType], mapped: &BTreeMap<String, EventMapping>) -> String {
    let mut used: HashSet<String> = mapped.keys().cloned().collect();
    let mut lines = vec![
        "# Paste under connectors.calendly (replace each list_id 0 with the Brevo list id).".into(),
        "# Each entry may also set its own workflow; unset keys take the global value:".into(),
        "#   templates: { confirmation, reminder, follow_up, cancellation, host_notify, win_back, no_show, host_cancellation }".into(),
        "#   offsets: [24h, 1h], follow_up_after_end: 30m, quiet_hours: \"21:00-08:00\", locale: th,".into(),
        "#   lists: [12, 13], brevo_events: { booked, cancelled, rescheduled, no_show }".into(),
        "    event_mapping:".to_owned(),
    ];
    for t in types {
        let existing = mapped.iter().find(|(_, m)| m.event_type_uri == t.uri);
        let (name, mapping) = match existing {
            Some((n, m)) => (n.clone(), m.clone()),
            None => {
                let base = key_for(t);
                let mut name = base.clone();
                let mut n = 2;
                while used.contains(&name) {
                    name = format!("{base}_{n}");
                    n += 1;
                }
                used.insert(name.clone());
                let m = EventMapping {
                    event_type_uri: t.uri.clone(),
                    list_id: Some(0),
                    ..EventMapping::default()
                };
                (name, m)
            }
        };
        let mut comment = Vec::new();
        if let Some(n) = &t.name {
            comment.push(n.replace('\n', " "));
        }
        if !t.active {
            comment.push("inactive".into());
        }
        let comment = if comment.is_empty() {
            String::new()
        } else {
            format!("  # {}", comment.join(", "))
        };
        lines.push(format!("      {name}: {}{comment}", inline(&mapping)));
    }
    lines.join("\n") + "\n"
}

/// A mapping as one YAML flow mapping, `{ event_type_uri: "...", list_id: 7, locale: "th" }`:
/// keys bare, values as JSON (valid YAML), the workflow keys an existing mapping sets kept.
fn inline(m: &EventMapping) -> String {
    let fields = match serde_json::to_value(m) {
        Ok(serde_json::Value::Object(fields)) => fields,
        _ => serde_json::Map::new(),
    };
    let parts: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{{ {} }}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn et(uri: &str, name: &str, slug: Option<&str>, active: bool) -> EventType {
        EventType {
            uri: uri.into(),
            name: Some(name.into()),
            slug: slug.map(Into::into),
            active,
            scheduling_url: None,
            duration: Some(30),
        }
    }

    #[test]
    fn keys_come_from_slugs_or_names() {
        assert_eq!(
            key_for(&et("u", "x", Some("product-demo"), true)),
            "product_demo"
        );
        assert_eq!(
            key_for(&et("u", "Product Demo (30 min)", None, true)),
            "product_demo_30_min"
        );
        assert_eq!(key_for(&et("u", "30 min", None, true)), "type_30_min");
        assert_eq!(key_for(&et("u", "!!", None, true)), "event_type");
    }

    #[test]
    fn block_keeps_existing_mappings_and_names_duplicates_apart() {
        let types = vec![
            et(
                "https://api.calendly.com/event_types/a",
                "Demo",
                Some("demo"),
                true,
            ),
            et(
                "https://api.calendly.com/event_types/b",
                "Demo",
                Some("demo"),
                false,
            ),
            et(
                "https://api.calendly.com/event_types/c",
                "Intro",
                Some("intro"),
                true,
            ),
        ];
        let mut mapped = BTreeMap::new();
        mapped.insert(
            "intro_call".to_owned(),
            EventMapping {
                event_type_uri: "https://api.calendly.com/event_types/c".into(),
                list_id: Some(7),
                ..EventMapping::default()
            },
        );
        let block = mapping_block(&types, &mapped);
        assert!(block.contains(
            "      demo: { event_type_uri: \"https://api.calendly.com/event_types/a\", list_id: 0 }  # Demo\n"
        ));
        assert!(block.contains("      demo_2: { event_type_uri: \"https://api.calendly.com/event_types/b\", list_id: 0 }  # Demo, inactive\n"));
        assert!(block.contains("      intro_call: { event_type_uri: \"https://api.calendly.com/event_types/c\", list_id: 7 }  # Intro\n"));
    }
}
