//! The application form's fields: the input as the form's named values and back (numbers
//! checked as numbers, each route segment a row), and the multipart body read within bounds.

// The page module's constants and imports, shared by its two halves.
use super::*;

/// A stored number as a person would type it: 126, not 126.0.
pub(in crate::web::pages) fn number_text(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        _ => n.to_string(),
    }
}

/// The form's values from a stored application input (for editing or copying).
pub(super) fn values_of(input: &Value) -> HashMap<String, String> {
    let mut values = HashMap::new();
    for section in ["cargo", "vehicle", "route", "travel", "escort"] {
        let Some(fields) = input[section].as_object() else {
            continue;
        };
        for (key, value) in fields {
            let name = format!("{section}.{key}");
            match (key.as_str(), value) {
                ("segments", Value::Array(rows)) => {
                    for (i, row) in rows.iter().enumerate() {
                        for part in ["road", "jurisdiction", "length_km"] {
                            let text = match &row[part] {
                                Value::String(s) => s.clone(),
                                Value::Number(n) => number_text(n),
                                _ => continue,
                            };
                            values.insert(format!("route.segments[{i}].{part}"), text);
                        }
                    }
                }
                ("trailer_plates", Value::Array(plates)) => {
                    let list: Vec<&str> = plates.iter().filter_map(Value::as_str).collect();
                    values.insert(name, list.join(" "));
                }
                (_, Value::String(s)) => drop(values.insert(name, s.clone())),
                (_, Value::Number(n)) => drop(values.insert(name, number_text(n))),
                (_, Value::Bool(b)) => {
                    drop(values.insert(name, if *b { "yes" } else { "" }.into()))
                }
                _ => {}
            }
        }
    }
    values
}

/// A number as people type it: `4.8`, and `4,8` with a decimal comma too. A comma is never a
/// thousands separator: `12,6` is 12.6 m, and `4,800` (a thousands separator or three decimals?)
/// is refused as ambiguous rather than guessed. Blank is none.
pub(in crate::web::pages) fn typed_number(text: &str) -> Result<Option<f64>, Message> {
    let text = text.trim().replace('，', ",");
    if text.is_empty() {
        return Ok(None);
    }
    let ambiguous = || Message::new("error.number_comma").with("value", text.clone());
    let decimal = match text.split_once(',') {
        None => text.clone(),
        Some((whole, fraction)) => {
            if text.contains('.') || fraction.contains(',') || fraction.len() == 3 {
                return Err(ambiguous());
            }
            format!("{whole}.{fraction}")
        }
    };
    let plain = decimal
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'));
    match decimal.parse::<f64>() {
        Ok(n) if plain && n.is_finite() => Ok(Some(n)),
        _ => Err(Message::new("error.number")),
    }
}

pub(super) fn segment_count(values: &HashMap<String, String>) -> usize {
    (0..100)
        .filter(|i| {
            ["road", "jurisdiction", "length_km"].iter().any(|p| {
                values
                    .get(&format!("route.segments[{i}].{p}"))
                    .is_some_and(|v| !v.trim().is_empty())
            })
        })
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
}

/// The typed values as an application input. Text that should be a number and is not is an
/// error of its field; blank fields are simply missing (a draft may be partial).
pub(super) fn input_of(values: &HashMap<String, String>) -> (Value, Vec<FieldError>) {
    let mut errors = Vec::new();
    let mut number = |name: &str, text: &str| -> Option<Value> {
        match typed_number(text) {
            Ok(None) => None,
            Ok(Some(n)) if n.fract() == 0.0 && n.abs() < 1e15 => Some(json!(n as i64)),
            Ok(Some(n)) => Some(json!(n)),
            Err(message) => {
                errors.push(FieldError::new(name, message));
                None
            }
        }
    };
    let mut sections: Map<String, Value> = Map::new();
    for section in ["cargo", "vehicle", "route", "travel", "escort"] {
        sections.insert(section.into(), Value::Object(Map::new()));
    }
    let mut segments: Vec<Map<String, Value>> = Vec::new();
    let mut names: Vec<&String> = values.keys().collect();
    names.sort();
    for name in names {
        let raw = &values[name];
        let Some((section, key)) = name.split_once('.') else {
            continue;
        };
        if section == "route" && key.starts_with("segments[") {
            let Some((index, part)) = key["segments[".len()..].split_once("].") else {
                continue;
            };
            let Ok(i) = index.parse::<usize>() else {
                continue;
            };
            if i >= 100 {
                continue;
            }
            if segments.len() <= i {
                segments.resize(i + 1, Map::new());
            }
            let value = if part == "length_km" {
                number(name, raw)
            } else {
                Some(raw.trim()).filter(|t| !t.is_empty()).map(|t| json!(t))
            };
            if let Some(value) = value {
                segments[i].insert(part.into(), value);
            }
            continue;
        }
        let Some(Value::Object(target)) = sections.get_mut(section) else {
            continue;
        };
        let value = match key {
            "divisible" | "police_escort" => Some(json!(matches!(raw.as_str(), "yes" | "on"))),
            "trailer_plates" => Some(json!(raw
                .split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、')
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>())),
            _ if NUMBERS.contains(&name.as_str()) => number(name, raw),
            _ => Some(raw.trim()).filter(|t| !t.is_empty()).map(|t| json!(t)),
        };
        if let Some(value) = value {
            target.insert(key.into(), value);
        }
    }
    // Blank rows are rows not wanted; the rest keep their order.
    let rows: Vec<Value> = segments
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(Value::Object)
        .collect();
    if let Some(Value::Object(route)) = sections.get_mut("route") {
        route.insert("segments".into(), Value::Array(rows));
    }
    for checkbox in [("cargo", "divisible"), ("escort", "police_escort")] {
        if let Some(Value::Object(s)) = sections.get_mut(checkbox.0) {
            s.entry(checkbox.1).or_insert(json!(false));
        }
    }
    (Value::Object(sections), errors)
}

/// A submitted form: its fields, the files chosen for each kind, and which button was pressed.
pub(in crate::web::pages) struct Posted {
    pub(in crate::web::pages) values: HashMap<String, String>,
    pub(in crate::web::pages) files: Vec<(String, String, Vec<u8>)>,
    pub(in crate::web::pages) csrf: String,
    pub(in crate::web::pages) action: String,
}

pub(in crate::web::pages) async fn read_form(mut payload: Multipart) -> Result<Posted, AppError> {
    let mut posted = Posted {
        values: HashMap::new(),
        files: Vec::new(),
        csrf: String::new(),
        action: String::new(),
    };
    // The form and its files together: a few drawings of at most 10 MB each.
    let mut total = 0usize;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|e| AppError::BadRequest(e.to_string()))?;
        let name = field.name().unwrap_or_default().to_string();
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
            total += chunk.len();
            if bytes.len() + chunk.len() > MAX_ATTACHMENT_BYTES {
                return Err(AppError::PayloadTooLarge("10 MB".into()));
            }
            if total > MAX_FORM_BYTES {
                return Err(AppError::PayloadTooLarge("32 MB".into()));
            }
            bytes.extend_from_slice(&chunk);
        }
        match (name.as_str(), filename) {
            (_, Some(file)) if name.starts_with("file.") => {
                if !bytes.is_empty() {
                    posted
                        .files
                        .push((name["file.".len()..].to_string(), file, bytes));
                }
            }
            ("csrf", _) => posted.csrf = String::from_utf8_lossy(&bytes).into(),
            ("action", _) => posted.action = String::from_utf8_lossy(&bytes).into(),
            _ => {
                let value = String::from_utf8_lossy(&bytes).into_owned();
                crate::web::input::check_text(&name, &value)?;
                posted.values.insert(name, value);
            }
        }
    }
    Ok(posted)
}

#[cfg(test)]
mod tests {
    use super::typed_number;

    #[test]
    fn a_decimal_comma_is_a_point_and_never_a_thousands_separator() {
        assert_eq!(typed_number("4,8"), Ok(Some(4.8)));
        assert_eq!(typed_number("12,6"), Ok(Some(12.6)));
        assert_eq!(typed_number(" 126 "), Ok(Some(126.0)));
        assert_eq!(typed_number("4.85"), Ok(Some(4.85)));
        assert_eq!(typed_number("4，8"), Ok(Some(4.8)));
        assert_eq!(typed_number(""), Ok(None));
        // A thousands separator or three decimals: refused, not guessed.
        for ambiguous in ["4,800", "58,000", "1,234.5", "1,2,3"] {
            let refused = typed_number(ambiguous).unwrap_err();
            assert_eq!(refused.key, "error.number_comma", "{ambiguous}");
        }
        for wrong in ["4,9x", "abc", "NaN", "inf", "1e400"] {
            assert!(typed_number(wrong).is_err(), "{wrong}");
        }
    }
}
