//! Templates declared with their parameters (`engagelab.template_params`): at load, a parameter
//! meetflow does not send is refused; at send time, a declared parameter this message has no
//! value for (e.g. `join_url` of a meeting without a link, `advance` outside reminders) would go
//! out as its literal placeholder, so it is counted
//! (`meetflow_sms_template_params_missing_total{kind,param}`) and logged with the template id,
//! kind and parameter names only, never the recipient or the values.

use meetflow_shared::config::EngagelabSettings;
use serde_json::{Map, Value};

/// The parameters `template_id` declares that `params` lacks (empty when it declares none).
pub(crate) fn missing<'a>(
    engagelab: &'a EngagelabSettings,
    template_id: &str,
    params: &Map<String, Value>,
) -> Vec<&'a str> {
    engagelab
        .template_params
        .get(template_id)
        .into_iter()
        .flatten()
        .map(String::as_str)
        .filter(|p| {
            params
                .get(*p)
                .is_none_or(|v| v.as_str().is_some_and(str::is_empty))
        })
        .collect()
}

/// Counts and logs the declared parameters an SMS of `kind` goes out without.
pub(crate) fn check(
    engagelab: &EngagelabSettings,
    kind: &str,
    template_id: &str,
    params: &Map<String, Value>,
) {
    let missing = missing(engagelab, template_id, params);
    if missing.is_empty() {
        return;
    }
    for param in &missing {
        metrics::counter!(
            "meetflow_sms_template_params_missing_total",
            "kind" => kind.to_owned(),
            "param" => (*param).to_owned()
        )
        .increment(1);
    }
    tracing::warn!(
        template = template_id,
        kind,
        missing = ?missing,
        "SMS template declares parameters this message has no value for: sent literally"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_declared_parameters_without_a_value_are_missing() {
        let mut e = EngagelabSettings::default();
        e.template_params.insert(
            "tpl_rem".into(),
            vec!["name".into(), "join_url".into(), "advance".into()],
        );
        let mut params = Map::new();
        params.insert("name".into(), Value::String("Jo".into()));
        params.insert("advance".into(), Value::String(String::new()));
        assert_eq!(missing(&e, "tpl_rem", &params), ["join_url", "advance"]);
        assert!(missing(&e, "tpl_other", &params).is_empty(), "not declared");
    }
}
