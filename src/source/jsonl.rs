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
    if is_dotted(opts) {
        return parse_dotted(line, opts);
    }
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
    let raw = if is_dotted(opts) {
        find_raw(line, &path(&opts.text_field)).ok()??
    } else {
        let mut de = serde_json::Deserializer::from_str(line);
        let raw = TextRaw { opts }.deserialize(&mut de).ok()??;
        de.end().ok()?;
        raw
    };
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

/// Whether a field name reaches into nested objects (`content.text`).
fn is_dotted(opts: &SourceOptions) -> bool {
    opts.text_field.contains('.') || opts.id_field.contains('.')
}

fn path(field: &str) -> Vec<&str> {
    field.split('.').collect()
}

/// [`parse_line`] with dotted field names: each found by [`find_raw`].
fn parse_dotted(line: &str, opts: &SourceOptions) -> Result<(Option<String>, String), SkipReason> {
    let malformed = |e: serde_json::Error| SkipReason::MalformedJson(e.to_string());
    let text = find_raw(line, &path(&opts.text_field)).map_err(malformed)?;
    let text: Value = match text {
        None => return Err(SkipReason::MissingText(opts.text_field.clone())),
        Some(raw) => serde_json::from_str(raw.get()).map_err(malformed)?,
    };
    let Value::String(text) = text else {
        return Err(SkipReason::TextNotString(opts.text_field.clone()));
    };
    let id = match find_raw(line, &path(&opts.id_field)).map_err(malformed)? {
        None => None,
        Some(raw) => match serde_json::from_str::<Value>(raw.get()).map_err(malformed)? {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        },
    };
    Ok((id, text))
}

/// The raw value at `path` in the JSON object `json` (which must be one
/// whole object, or it is an error): at each level a key equal to the rest
/// of the path joined by dots wins (`"content.text": ...` as one key),
/// else the first part's value is searched if it is an object; the last of
/// repeated keys counts, as for plain names. `None` if it is not there.
fn find_raw<'de>(
    json: &'de str,
    path: &[&str],
) -> Result<Option<&'de serde_json::value::RawValue>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let (whole, head) = Level { path }.deserialize(&mut de)?;
    de.end()?;
    if whole.is_some() {
        return Ok(whole);
    }
    match head {
        Some(raw) if raw.get().trim_start().starts_with('{') => find_raw(raw.get(), &path[1..]),
        _ => Ok(None),
    }
}

/// One object's level of [`find_raw`]: the value under the whole rest of
/// the path, and the value under its first part (to search further).
struct Level<'p> {
    path: &'p [&'p str],
}

type Found<'de> =
    (Option<&'de serde_json::value::RawValue>, Option<&'de serde_json::value::RawValue>);

impl<'de> DeserializeSeed<'de> for Level<'_> {
    type Value = Found<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Level<'_> {
    type Value = Found<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let whole = self.path.join(".");
        let (mut at_whole, mut at_head) = (None, None);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if *key == *whole {
                at_whole = Some(map.next_value::<&'de serde_json::value::RawValue>()?);
            } else if self.path.len() > 1 && *key == *self.path[0] {
                at_head = Some(map.next_value::<&'de serde_json::value::RawValue>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok((at_whole, at_head))
    }
}
