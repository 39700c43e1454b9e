//! The project form's fields: a project input as the form's named values
//! (`loads[2].vehicle.overall_height_m`, `fleet[4].loads`) and back, blank and removed rows
//! dropped and the rest renumbered so that every error lands on the row it is about, and a
//! fleet pasted from a spreadsheet (tab-separated: tractor plate, trailer plates, trailer
//! type, axles, loads) turned into rows.

use super::form::fields::number_text;
use crate::domain::{FieldError, Message};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

/// The row families of the form, each `family[i].…`.
pub const FAMILIES: [&str; 3] = ["route.segments", "loads", "fleet"];

/// Fields whose value is a number.
const NUMBER_KEYS: [&str; 15] = [
    "sets",
    "pieces",
    "length_m",
    "width_m",
    "height_m",
    "mass_kg",
    "axles",
    "overall_length_m",
    "overall_width_m",
    "overall_height_m",
    "gross_mass_kg",
    "max_axle_load_kg",
    "trips",
    "vehicles",
    "length_km",
];

/// Fields whose value is a list typed as words.
const LIST_KEYS: [&str; 2] = ["trailer_plates", "loads"];

const BOOL_KEYS: [&str; 2] = ["divisible", "police_escort"];

fn flatten(prefix: &str, value: &Value, out: &mut HashMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&name, v, out);
            }
        }
        Value::Array(items) if items.iter().all(Value::is_string) => {
            let words: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            out.insert(prefix.to_string(), words.join(" "));
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        Value::String(s) => drop(out.insert(prefix.to_string(), s.clone())),
        Value::Number(n) => drop(out.insert(prefix.to_string(), number_text(n))),
        Value::Bool(b) => drop(out.insert(prefix.to_string(), if *b { "yes" } else { "" }.into())),
        Value::Null => {}
    }
}

/// The form's values from a stored project input (for editing).
pub fn values_of(input: &Value) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for part in ["project", "route", "travel", "escort", "loads", "fleet"] {
        if !input[part].is_null() {
            flatten(part, &input[part], &mut out);
        }
    }
    out
}

/// `loads[3].cargo.length_m` → (`loads`, 3, `cargo.length_m`).
fn row_of(name: &str) -> Option<(&'static str, usize, &str)> {
    FAMILIES.iter().find_map(|family| {
        let rest = name.strip_prefix(family)?.strip_prefix('[')?;
        let (index, tail) = rest.split_once(']')?;
        let tail = tail.strip_prefix('.').unwrap_or(tail);
        Some((*family, index.parse().ok()?, tail))
    })
}

/// How many rows of a family have something typed in.
pub fn rows_in(values: &HashMap<String, String>, family: &str) -> usize {
    values
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .filter_map(|(k, _)| row_of(k))
        .filter(|(f, _, _)| *f == family)
        .map(|(_, i, _)| i + 1)
        .max()
        .unwrap_or(0)
}

/// A trailer type as people write it in a spreadsheet: the code, or its name in either
/// language; anything else is kept for the rules to name.
fn trailer_code(raw: &str) -> String {
    let t = raw.trim();
    let lower = t.to_lowercase();
    if lower.contains("hydraulic") || t.contains("液压") || t.contains("轴线") {
        "hydraulic_modular".into()
    } else if lower.contains("blade") || t.contains("叶片") || t.contains("伸缩") {
        "extendable_blade".into()
    } else if lower.contains("flatbed") || t.contains("平板") {
        "flatbed".into()
    } else {
        t.to_string()
    }
}

/// Rows of a fleet pasted from a spreadsheet, added after the rows already there. A header
/// line (no plate-like first cell) is skipped; a line without five columns is an error of
/// `fleet_paste` naming it.
pub fn paste_fleet(values: &mut HashMap<String, String>) -> Vec<FieldError> {
    let text = values.remove("fleet_paste").unwrap_or_default();
    let mut errors = Vec::new();
    let mut next = rows_in(values, "fleet");
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').map(str::trim).collect();
        // A plate starts with a province character and a letter; a header line does not.
        let mut first = cells.first().copied().unwrap_or_default().chars();
        let plate_like = matches!(
            (first.next(), first.next()),
            (Some(p), Some(l)) if !p.is_ascii() && l.is_ascii_alphabetic()
        );
        if n == 0 && !plate_like {
            continue;
        }
        if cells.len() < 5 {
            errors.push(FieldError::new(
                "fleet_paste",
                Message::new("error.paste_columns")
                    .with("line", n + 1)
                    .with("count", cells.len()),
            ));
            continue;
        }
        let row = format!("fleet[{next}]");
        values.insert(format!("{row}.tractor_plate"), cells[0].to_string());
        values.insert(format!("{row}.trailer_plates"), cells[1].to_string());
        values.insert(format!("{row}.trailer_type"), trailer_code(cells[2]));
        values.insert(format!("{row}.axles"), cells[3].to_string());
        values.insert(format!("{row}.loads"), cells[4].to_string());
        next += 1;
    }
    if !errors.is_empty() {
        // Nothing pasted is lost: the text stays for the applicant to correct.
        values.insert("fleet_paste".into(), text);
    }
    errors
}

/// Drops blank rows and rows marked for removal, renumbering the rest in order, so that the
/// values, the input made of them and the errors about it all count rows the same way.
/// Returns the original row of each kept load (files are posted by the original row).
pub fn compact(values: &mut HashMap<String, String>) -> Vec<usize> {
    let mut kept_loads = Vec::new();
    for family in FAMILIES {
        let mut rows: BTreeMap<usize, bool> = BTreeMap::new();
        let mut removed = Vec::new();
        for (name, value) in values.iter() {
            let Some((f, i, tail)) = row_of(name) else {
                continue;
            };
            if f != family {
                continue;
            }
            if tail == "remove" {
                if matches!(value.as_str(), "yes" | "on") {
                    removed.push(i);
                }
                continue;
            }
            let typed = rows.entry(i).or_insert(false);
            *typed |= !value.trim().is_empty();
        }
        let kept: Vec<usize> = rows
            .iter()
            .filter(|(i, typed)| **typed && !removed.contains(i))
            .map(|(i, _)| *i)
            .collect();
        let renamed: Vec<(String, String)> = values
            .iter()
            .filter_map(|(name, value)| {
                let (f, i, tail) = row_of(name)?;
                (f == family).then_some(())?;
                let new = kept.iter().position(|k| *k == i)?;
                (tail != "remove").then(|| (format!("{family}[{new}].{tail}"), value.clone()))
            })
            .collect();
        values.retain(|name, _| row_of(name).is_none_or(|(f, _, _)| f != family));
        values.extend(renamed);
        if family == "loads" {
            kept_loads = kept;
        }
    }
    kept_loads
}

fn insert_path(root: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        root.insert((*first).to_string(), value);
        return;
    }
    let entry = root
        .entry((*first).to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(map) = entry {
        insert_path(map, rest, value);
    }
}

/// Sets `path` to `value` unless it is there already.
fn insert_default(root: &mut Map<String, Value>, path: &[&str], value: Value) {
    let mut map = root;
    for (i, part) in path.iter().enumerate() {
        if i + 1 == path.len() {
            map.entry((*part).to_string()).or_insert(value);
            return;
        }
        let entry = map
            .entry((*part).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(next) = entry else {
            return;
        };
        map = next;
    }
}

/// The typed values as a project input. Text that should be a number and is not is an error
/// of its field; blank fields are missing (a draft may be partial). Rows must be compacted.
pub fn input_of(values: &HashMap<String, String>) -> (Value, Vec<FieldError>) {
    let mut errors = Vec::new();
    let mut root = Map::new();
    let mut rows: BTreeMap<(&'static str, usize), Map<String, Value>> = BTreeMap::new();
    let mut names: Vec<&String> = values.keys().collect();
    names.sort();
    for name in names {
        let raw = values[name].trim();
        let key = name.rsplit('.').next().unwrap_or(name);
        let value = if BOOL_KEYS.contains(&key) {
            Some(json!(matches!(raw, "yes" | "on")))
        } else if raw.is_empty() {
            None
        } else if NUMBER_KEYS.contains(&key) {
            match super::form::fields::typed_number(raw) {
                Ok(None) => None,
                Ok(Some(n)) if n.fract() == 0.0 && n.abs() < 1e15 => Some(json!(n as i64)),
                Ok(Some(n)) => Some(json!(n)),
                Err(message) => {
                    errors.push(FieldError::new(name.clone(), message));
                    None
                }
            }
        } else if LIST_KEYS.contains(&key) {
            let words: Vec<&str> = raw
                .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';'))
                .filter(|w| !w.is_empty())
                .collect();
            Some(json!(words))
        } else {
            Some(json!(raw))
        };
        let Some(value) = value else {
            continue;
        };
        match row_of(name) {
            Some((family, i, tail)) => {
                let path: Vec<&str> = tail.split('.').collect();
                insert_path(rows.entry((family, i)).or_default(), &path, value);
            }
            None => {
                let path: Vec<&str> = name.split('.').collect();
                insert_path(&mut root, &path, value);
            }
        }
    }
    // An unticked box is not posted: it says no.
    for ((family, _), row) in rows.iter_mut() {
        if *family == "loads" {
            insert_default(row, &["cargo", "divisible"], json!(false));
        }
    }
    insert_default(&mut root, &["escort", "police_escort"], json!(false));
    for family in FAMILIES {
        let list: Vec<Value> = rows
            .iter()
            .filter(|((f, _), _)| *f == family)
            .map(|(_, row)| Value::Object(row.clone()))
            .collect();
        let path: Vec<&str> = family.split('.').collect();
        insert_path(&mut root, &path, Value::Array(list));
    }
    root.insert("kind".into(), json!("project"));
    (Value::Object(root), errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn blank_and_removed_rows_go_and_the_rest_are_renumbered() {
        let mut v = values(&[
            ("loads[0].key", "blade"),
            ("loads[1].key", "tower"),
            ("loads[1].remove", "yes"),
            ("loads[3].key", "hub"),
            ("loads[3].cargo.length_m", "5.5"),
            ("fleet[2].tractor_plate", "新B12345"),
            ("fleet[0].tractor_plate", " "),
        ]);
        let kept = compact(&mut v);
        assert_eq!(kept, [0, 3]);
        assert_eq!(v["loads[1].key"], "hub");
        assert_eq!(v["fleet[0].tractor_plate"], "新B12345");
        assert!(!v.contains_key("loads[3].key") && !v.contains_key("loads[1].remove"));
        let (input, errors) = input_of(&v);
        assert!(errors.is_empty());
        assert_eq!(input["loads"][1]["cargo"]["length_m"], 5.5);
        assert_eq!(input["kind"], "project");
        assert_eq!(input["fleet"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn numbers_lists_and_checkboxes_are_read_as_such() {
        let (input, errors) = input_of(&values(&[
            ("project.sets", "1000"),
            ("loads[0].trips", "three"),
            ("loads[0].cargo.width_m", "4,8"),
            ("loads[1].cargo.mass_kg", "58,000"),
            ("loads[0].cargo.divisible", ""),
            ("fleet[0].trailer_plates", "新B6789挂, 新B6790挂"),
            ("fleet[0].loads", "blade tower"),
        ]));
        assert_eq!(input["project"]["sets"], 1000);
        // A decimal comma is a point; a thousands separator is refused, never dropped.
        assert_eq!(input["loads"][0]["cargo"]["width_m"], 4.8);
        assert!(errors
            .iter()
            .any(|e| e.field == "loads[1].cargo.mass_kg" && e.message.key == "error.number_comma"));
        assert_eq!(input["loads"][0]["cargo"]["divisible"], false);
        assert_eq!(
            input["fleet"][0]["trailer_plates"],
            json!(["新B6789挂", "新B6790挂"])
        );
        assert_eq!(input["fleet"][0]["loads"], json!(["blade", "tower"]));
        assert_eq!(errors[0].field, "loads[0].trips");
        let back = values_of(&input);
        assert_eq!(back["fleet[0].loads"], "blade tower");
        assert_eq!(back["project.sets"], "1000");
    }

    #[test]
    fn a_fleet_pasted_from_a_spreadsheet_becomes_rows() {
        let mut v = values(&[
            ("fleet[0].tractor_plate", "新B10001"),
            (
                "fleet_paste",
                "牵引车\t挂车\t类型\t轴数\t货物\n新B10002\t新B2002挂\t叶片专用伸缩挂车\t8\tblade\n\
                 新B10003\t\tHydraulic modular\t10\tnacelle hub\n新B10004\tflatbed\n",
            ),
        ]);
        let errors = paste_fleet(&mut v);
        assert_eq!(v["fleet[1].tractor_plate"], "新B10002");
        assert_eq!(v["fleet[1].trailer_type"], "extendable_blade");
        assert_eq!(v["fleet[2].trailer_type"], "hydraulic_modular");
        assert_eq!(v["fleet[2].loads"], "nacelle hub");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "fleet_paste");
        assert!(
            v["fleet_paste"].contains("新B10004"),
            "the text is kept to correct"
        );
    }
}
