//! The AsyncAPI document served next to the channels: `/asyncapi.json`, `/asyncapi.yaml` and,
//! when given, the HTML page at `/asyncapi`. Holds the encoded bodies; adapters serve them.
//! Must not generate documentation (that is `chanx-gen docs`).

use bytes::Bytes;

/// Path of the JSON document.
pub const JSON_PATH: &str = "/asyncapi.json";
/// Path of the YAML document.
pub const YAML_PATH: &str = "/asyncapi.yaml";
/// Path of the HTML page.
pub const HTML_PATH: &str = "/asyncapi";

/// A spec ready to serve. Bodies are encoded once and shared by every response.
#[derive(Debug, Clone)]
pub struct Docs {
    json: Bytes,
    yaml: Option<Bytes>,
    html: Option<Bytes>,
}

/// The spec could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    /// The JSON text is not JSON.
    #[error("the AsyncAPI document is not valid JSON")]
    Json(#[from] serde_json::Error),
    /// The YAML text is not YAML (feature `yaml`).
    #[cfg(feature = "yaml")]
    #[error("the AsyncAPI document is not valid YAML")]
    Yaml(#[source] serde_yaml::Error),
}

impl Docs {
    /// Serves this JSON document (and, with feature `yaml`, its YAML rendering).
    pub fn from_json(spec: &serde_json::Value) -> Self {
        let json = Bytes::from(serde_json::to_vec_pretty(spec).expect("a JSON value always serializes"));
        Self { json, yaml: to_yaml(spec), html: None }
    }

    /// Serves a JSON document given as text (checked, served as given).
    pub fn from_json_str(text: impl Into<String>) -> Result<Self, DocsError> {
        let text = text.into();
        let value: serde_json::Value = serde_json::from_str(&text)?;
        Ok(Self { json: Bytes::from(text), yaml: to_yaml(&value), html: None })
    }

    /// Serves a YAML document: the original text at `/asyncapi.yaml`, its JSON form at
    /// `/asyncapi.json`.
    #[cfg(feature = "yaml")]
    pub fn from_yaml_str(text: impl Into<String>) -> Result<Self, DocsError> {
        let text = text.into();
        let value: serde_json::Value = serde_yaml::from_str(&text).map_err(DocsError::Yaml)?;
        let mut docs = Self::from_json(&value);
        docs.yaml = Some(Bytes::from(text));
        Ok(docs)
    }

    /// Serves this YAML text at `/asyncapi.yaml` (as given; it should say what the JSON says).
    pub fn with_yaml(mut self, yaml: impl Into<String>) -> Self {
        self.yaml = Some(Bytes::from(yaml.into()));
        self
    }

    /// Serves this HTML page at `/asyncapi` (for instance the one `chanx-gen docs` writes).
    pub fn with_html(mut self, html: impl Into<String>) -> Self {
        self.html = Some(Bytes::from(html.into()));
        self
    }

    /// The JSON body.
    pub fn json(&self) -> &Bytes {
        &self.json
    }

    /// The YAML body, if there is one.
    pub fn yaml(&self) -> Option<&Bytes> {
        self.yaml.as_ref()
    }

    /// The HTML body, if there is one.
    pub fn html(&self) -> Option<&Bytes> {
        self.html.as_ref()
    }
}

#[cfg(feature = "yaml")]
fn to_yaml(value: &serde_json::Value) -> Option<Bytes> {
    serde_yaml::to_string(value).ok().map(Bytes::from)
}

#[cfg(not(feature = "yaml"))]
fn to_yaml(_: &serde_json::Value) -> Option<Bytes> {
    None
}
