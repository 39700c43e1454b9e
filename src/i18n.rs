//! The two languages of permitflow (zh-CN by default, en) and the rendering of message keys
//! from `locales/*.toml`, compiled into the binary.

use crate::domain::Message;
use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

static ZH: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| load(include_str!("../locales/zh-CN.toml")));
static EN: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| load(include_str!("../locales/en.toml")));

fn load(text: &str) -> HashMap<String, String> {
    // The files are compiled in and parsed by a test, so a broken one never ships.
    toml::from_str(text).unwrap_or_default()
}

impl Lang {
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The best of our two languages for an `Accept-Language` header, honouring q-values;
    /// Chinese when nothing matches.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let Some(lang) = pieces.next().and_then(Lang::from_tag) else {
                continue;
            };
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }

    fn table(self) -> &'static HashMap<String, String> {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// A page's fixed text for `key`; the key itself if missing (a test checks none is).
    pub fn word(self, key: &'static str) -> &'static str {
        self.table().get(key).map_or(key, String::as_str)
    }

    /// The text for `key` with `{name}` parameters filled in; the key itself if missing.
    pub fn text(self, key: &str, params: &[(&str, String)]) -> String {
        let mut text = self
            .table()
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string());
        for (name, value) in params {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    pub fn message(self, message: &Message) -> String {
        self.text(message.key, &message.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_locales_parse_and_have_the_same_keys() {
        let zh: Vec<&String> = {
            let mut k: Vec<_> = ZH.keys().collect();
            k.sort();
            k
        };
        let en: Vec<&String> = {
            let mut k: Vec<_> = EN.keys().collect();
            k.sort();
            k
        };
        assert!(zh.len() > 30, "zh-CN locale did not parse");
        assert_eq!(zh, en);
    }

    #[test]
    fn every_key_the_code_uses_is_translated() {
        // Every `Message::new("…")` and `text("…")` literal in src/ must exist in the locales.
        let mut missing = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for marker in [
                "Message::new(\"",
                "\"rule.",
                "\"error.",
                "\"api.",
                "\"page.",
            ] {
                for (i, _) in source.match_indices(marker) {
                    let start = i + marker.len()
                        - if marker.starts_with("Message") {
                            0
                        } else {
                            marker.len() - 1
                        };
                    let rest = &source[start..];
                    let Some(end) = rest.find('"') else { continue };
                    let key = &rest[..end];
                    if key.contains('.')
                        && !key.contains(' ')
                        && !key.ends_with('.')
                        && !EN.contains_key(key)
                    {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "untranslated keys: {missing:?}");
    }

    #[test]
    fn accept_language_picks_the_best_match() {
        assert_eq!(Lang::from_accept_language("en"), Lang::En);
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Lang::En);
        assert_eq!(Lang::from_accept_language("zh-CN"), Lang::Zh);
        assert_eq!(
            Lang::from_accept_language("fr, en;q=0.5, zh;q=0.8"),
            Lang::Zh
        );
        assert_eq!(Lang::from_accept_language("de"), Lang::Zh);
        assert_eq!(Lang::from_accept_language(""), Lang::Zh);
    }

    #[test]
    fn parameters_are_filled_in() {
        let m = Message::new("error.at_most")
            .with("max", 200)
            .with("unit", "m");
        assert_eq!(Lang::En.message(&m), "must be at most 200 m");
        assert_eq!(Lang::Zh.message(&m), "不能超过 200 m");
    }
}

/// Conditions reviewers set again and again, each recorded in both languages (as the bilingual
/// permit prints it): the Chinese, a space, then the English.
pub const COMMON_CONDITIONS: [&str; 6] = [
    "夜间 22:00–06:00 通行 Travel 22:00–06:00 only",
    "前后各一辆护送车 Escort vehicle front and rear",
    "全程限速 40 km/h Speed at most 40 km/h",
    "桥梁单车居中通行 One vehicle at a time, centred, on bridges",
    "遇雨雪、大雾、大风停驶 Stop in rain, snow, fog or high wind",
    "避开 07:30–09:30、17:30–19:30 高峰 Avoid rush hours",
];

/// The two halves of a bilingual common condition: (Chinese, English). `None` for a condition
/// a reviewer typed, which is shown as typed.
pub fn condition_halves(recorded: &str) -> Option<(&str, &str)> {
    COMMON_CONDITIONS.iter().find(|c| **c == recorded)?;
    // The English half starts at the first ASCII capital letter after the Chinese.
    let split = recorded
        .char_indices()
        .find(|(_, c)| c.is_ascii_uppercase())
        .map(|(i, _)| i)?;
    Some((recorded[..split].trim_end(), &recorded[split..]))
}

/// A condition in the reader's language: a common one's half, a typed one as typed.
pub fn condition(recorded: &str, lang: Lang) -> String {
    match condition_halves(recorded) {
        Some((zh, en)) => if lang == Lang::En { en } else { zh }.to_string(),
        None => recorded.to_string(),
    }
}

#[cfg(test)]
mod condition_tests {
    use super::*;

    #[test]
    fn a_common_condition_is_read_in_one_language_and_a_typed_one_as_typed() {
        for c in COMMON_CONDITIONS {
            let (zh, en) = condition_halves(c).unwrap();
            assert!(!zh.is_empty() && !en.is_empty(), "{c}");
            assert!(
                zh.chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)),
                "{zh}"
            );
            assert!(
                !en.chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)),
                "{en}"
            );
            assert_eq!(format!("{zh} {en}"), c);
        }
        assert_eq!(
            condition(COMMON_CONDITIONS[0], Lang::Zh),
            "夜间 22:00–06:00 通行"
        );
        assert_eq!(
            condition(COMMON_CONDITIONS[0], Lang::En),
            "Travel 22:00–06:00 only"
        );
        assert_eq!(condition("绕行 K12 桥", Lang::En), "绕行 K12 桥");
    }
}
