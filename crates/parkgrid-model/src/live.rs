//! How the live park is named on the wire: the park's id in MQTT topics and series names.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::Cx;
use crate::diag::FieldPath;

/// The live park (`[live]`): how its telemetry is named.
///
/// A device (or `parkgrid twin`) publishes an asset's measurements as a SenML pack (RFC 8428)
/// to the topic `<topic_prefix>/<asset id>`, with the base name `<park_id>/<asset id>/` and one
/// record per quantity (`p_kw`, `heat_kw`, `level_kwh`, …); a billing meter's cumulative
/// reading goes to `<topic_prefix>/meter/<meter id>` under the name
/// `<park_id>/meter/<meter id>/<e_kwh | heat_kwh | cold_kwh>`. `parkgrid serve` subscribes to
/// `<topic_prefix>/#`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Live {
    /// The park's id in series names (the first segment of every SenML name): 1–64 letters,
    /// digits, `_` and `-`.
    #[serde(default = "default_park_id")]
    pub park_id: String,
    /// The MQTT topic the park's telemetry is published under; default `parkgrid/<park_id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_prefix: Option<String>,
}

fn default_park_id() -> String {
    String::from("park")
}

impl Default for Live {
    fn default() -> Self {
        Live {
            park_id: default_park_id(),
            topic_prefix: None,
        }
    }
}

impl Live {
    /// The topic prefix: `topic_prefix`, else `parkgrid/<park_id>`.
    pub fn topic_prefix(&self) -> String {
        self.topic_prefix
            .clone()
            .unwrap_or_else(|| format!("parkgrid/{}", self.park_id))
    }

    pub(crate) fn check(&self, cx: &mut Cx, at: &FieldPath) {
        let id = &self.park_id;
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            cx.error(
                at,
                "park_id",
                format!("'{id}' is not a valid park id: 1–64 letters, digits, '_' and '-'"),
            );
        }
        if let Some(p) = &self.topic_prefix {
            if p.is_empty()
                || p.contains(['+', '#', '\0'])
                || p.starts_with('/')
                || p.ends_with('/')
                || p.len() > 256
            {
                cx.error(
                    at,
                    "topic_prefix",
                    format!(
                        "'{p}' is not a topic prefix: a non-empty MQTT topic of at most 256 \
                         characters, without wildcards ('+', '#') and without a leading or \
                         trailing '/'"
                    ),
                );
            }
        }
    }
}
