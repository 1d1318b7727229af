//! One JSON Lines record: only the id and text fields are kept; every other
//! field is skipped without being built.

use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::SourceOptions;
use crate::error::SkipReason;

/// Parses one line into `(id, text)`.
pub(super) fn parse_line(
    line: &str,
    opts: &SourceOptions,
) -> Result<(Option<String>, String), SkipReason> {
    let mut de = serde_json::Deserializer::from_str(line);
    let fields = Fields { opts }
        .deserialize(&mut de)
        .and_then(|f| de.end().map(|()| f))
        .map_err(|e| SkipReason::MalformedJson(e.to_string()))?;
    let text = match fields.text {
        None => return Err(SkipReason::MissingText(opts.text_field.clone())),
        Some(Value::String(s)) => s,
        Some(_) => return Err(SkipReason::TextNotString(opts.text_field.clone())),
    };
    let id = match fields.id {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    };
    Ok((id, text))
}

/// The byte range of the text field's value in `line` (the JSON string,
/// quotes included), found the way [`parse_line`] finds the text (the last
/// of repeated keys wins). Every other value is passed over unparsed, so
/// it may hold anything `parse_line` accepts (lone surrogates, any depth).
pub(super) fn text_value_range(line: &str, opts: &SourceOptions) -> Option<std::ops::Range<usize>> {
    let mut de = serde_json::Deserializer::from_str(line);
    let raw = TextRaw { opts }.deserialize(&mut de).ok()??;
    de.end().ok()?;
    // `raw` borrows from `line`: its offset is the distance between them.
    let start = raw.get().as_ptr() as usize - line.as_ptr() as usize;
    Some(start..start + raw.get().len())
}

struct TextRaw<'a> {
    opts: &'a SourceOptions,
}

impl<'de> DeserializeSeed<'de> for TextRaw<'_> {
    type Value = Option<&'de serde_json::value::RawValue>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TextRaw<'_> {
    type Value = Option<&'de serde_json::value::RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut text = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == self.opts.text_field {
                text = Some(map.next_value::<&'de serde_json::value::RawValue>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(text)
    }
}

struct Fields<'a> {
    opts: &'a SourceOptions,
}

struct Parsed {
    id: Option<Value>,
    text: Option<Value>,
}

impl<'de> DeserializeSeed<'de> for Fields<'_> {
    type Value = Parsed;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Parsed, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Fields<'_> {
    type Value = Parsed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed, A::Error> {
        let mut out = Parsed { id: None, text: None };
        while let Some(key) = map.next_key::<String>()? {
            if key == self.opts.text_field {
                out.text = Some(map.next_value()?);
            } else if key == self.opts.id_field {
                out.id = Some(map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}
