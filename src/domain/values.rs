//! Value types that can only be built through a check: once you hold a `Plate` or a
//! `CreditCode`, it is valid, and no other code checks it again.

use super::error::{FieldError, Message};
use std::fmt;

/// The 31 province-level abbreviations that open a mainland plate (省、自治区、直辖市简称).
const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

/// A mainland vehicle plate: province character, issuing-office letter, then five or six
/// letters or digits. Trailer plates (挂车号牌) end in 挂, which takes the last place.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Plate(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlateKind {
    Tractor,
    Trailer,
}

impl Plate {
    pub fn parse(field: &str, raw: &str, kind: PlateKind) -> Result<Plate, FieldError> {
        let cleaned = Plate::normalize(raw);
        if cleaned.is_empty() {
            return Err(FieldError::new(field, Message::new("error.required")));
        }
        let chars: Vec<char> = cleaned.chars().collect();
        let province_ok = PROVINCES.contains(chars[0]);
        let office_ok = chars.get(1).is_some_and(|c| c.is_ascii_uppercase());
        let rest = chars.get(2..).unwrap_or(&[]);
        let rest_ok = match kind {
            PlateKind::Tractor => {
                (5..=6).contains(&rest.len()) && rest.iter().all(|c| c.is_ascii_alphanumeric())
            }
            PlateKind::Trailer => {
                (5..=6).contains(&rest.len())
                    && rest.last() == Some(&'挂')
                    && rest[..rest.len() - 1]
                        .iter()
                        .all(|c| c.is_ascii_alphanumeric())
            }
        };
        if province_ok && office_ok && rest_ok {
            Ok(Plate(cleaned))
        } else {
            let key = match kind {
                PlateKind::Tractor => "error.plate",
                PlateKind::Trailer => "error.trailer_plate",
            };
            Err(FieldError::new(
                field,
                Message::new(key).with("value", raw.trim()),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// People type plates with spaces, dots or lower case ("新b·12345"); this keeps what
    /// matters, so two spellings of one plate compare equal.
    pub fn normalize(raw: &str) -> String {
        raw.chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '·' | '.' | '-' | '•'))
            .map(|c| c.to_ascii_uppercase())
            .collect()
    }
}

impl fmt::Display for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a
/// 31-character alphabet, the last a check character over the first 17.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct CreditCode(String);

const CREDIT_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

impl CreditCode {
    pub fn parse(field: &str, raw: &str) -> Result<CreditCode, FieldError> {
        let code = raw.trim().to_ascii_uppercase();
        let invalid = || {
            FieldError::new(
                field,
                Message::new("error.credit_code").with("value", raw.trim()),
            )
        };
        let values: Option<Vec<u32>> = code
            .chars()
            .map(|c| CREDIT_ALPHABET.find(c).map(|i| i as u32))
            .collect();
        let values = values.ok_or_else(invalid)?;
        if values.len() != 18 {
            return Err(invalid());
        }
        if Self::check_value(&values[..17]) != values[17] {
            return Err(FieldError::new(
                field,
                Message::new("error.credit_code_check").with("value", raw.trim()),
            ));
        }
        Ok(CreditCode(code))
    }

    /// The check character's value for the first 17 characters' values.
    fn check_value(first17: &[u32]) -> u32 {
        let sum: u32 = first17.iter().zip(CREDIT_WEIGHTS).map(|(v, w)| v * w).sum();
        (31 - sum % 31) % 31
    }

    /// Completes 17 characters with their check character; for tests and demo data.
    pub fn with_check_character(first17: &str) -> Option<String> {
        let values: Option<Vec<u32>> = first17
            .chars()
            .map(|c| CREDIT_ALPHABET.find(c).map(|i| i as u32))
            .collect();
        let values = values.filter(|v| v.len() == 17)?;
        let check = CREDIT_ALPHABET
            .chars()
            .nth(Self::check_value(&values) as usize)?;
        Some(format!("{first17}{check}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address as people type it: trimmed, lower-cased, one `@` with something on
/// both sides and a dot in the domain. Deliverability is the mail server's business.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(field: &str, raw: &str) -> Result<EmailAddress, FieldError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if valid {
            Ok(EmailAddress(email))
        } else {
            Err(FieldError::new(
                field,
                Message::new("error.email").with("value", raw.trim()),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A number that must be present, above zero and at most a plausible maximum.
pub fn positive_at_most(
    field: &str,
    value: Option<f64>,
    max: f64,
    unit: &'static str,
) -> Result<f64, FieldError> {
    let value = value.ok_or_else(|| FieldError::new(field, Message::new("error.required")))?;
    if !value.is_finite() || value <= 0.0 {
        return Err(FieldError::new(field, Message::new("error.positive")));
    }
    if value > max {
        return Err(FieldError::new(
            field,
            Message::new("error.at_most")
                .with("max", max)
                .with("unit", unit),
        ));
    }
    Ok(value)
}

/// A whole number that must be present and within `min..=max`.
pub fn count_within(
    field: &str,
    value: Option<i64>,
    min: i64,
    max: i64,
) -> Result<u32, FieldError> {
    let value = value.ok_or_else(|| FieldError::new(field, Message::new("error.required")))?;
    if value < min || value > max {
        return Err(FieldError::new(
            field,
            Message::new("error.between")
                .with("min", min)
                .with("max", max),
        ));
    }
    // min..=max are always within u32 at every call site.
    Ok(value as u32)
}

/// Free text that must be present, not blank and not longer than `max` characters.
pub fn text(field: &str, value: Option<&str>, max: usize) -> Result<String, FieldError> {
    let value = value.map(str::trim).unwrap_or_default();
    if value.is_empty() {
        return Err(FieldError::new(field, Message::new("error.required")));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            Message::new("error.too_long").with("max", max),
        ));
    }
    Ok(value.to_string())
}

/// A mainland mobile number (11 digits from 1[3-9]) or a landline with its area code
/// (0 and 2–3 digits, then 7–8), spaces and dashes aside, `+86` allowed in front.
pub fn parse_phone(field: &str, raw: &str) -> Result<String, FieldError> {
    let digits: String = raw
        .trim()
        .trim_start_matches("+86")
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    if digits.is_empty() {
        return Err(FieldError::new(field, Message::new("error.required")));
    }
    let all_digits = digits.bytes().all(|b| b.is_ascii_digit());
    let mobile = digits.len() == 11
        && digits.starts_with('1')
        && matches!(digits.as_bytes()[1], b'3'..=b'9');
    let landline = digits.starts_with('0') && (10..=12).contains(&digits.len());
    if all_digits && (mobile || landline) {
        Ok(digits)
    } else {
        Err(FieldError::new(
            field,
            Message::new("error.phone").with("value", raw.trim()),
        ))
    }
}

/// An operating licence number (道路运输经营许可证号): 6 to 40 letters, digits or Chinese
/// characters as printed on the licence (e.g. 新交运管许可吉字652301000123号, or 12 digits).
pub fn parse_licence(field: &str, raw: &str) -> Result<String, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, Message::new("error.required")));
    }
    let count = value.chars().count();
    let plain = value
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '(' | ')' | '（' | '）'));
    if (6..=40).contains(&count) && plain {
        Ok(value.to_string())
    } else {
        Err(FieldError::new(
            field,
            Message::new("error.licence_no").with("value", value),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_mobiles_or_landlines_with_their_area_code() {
        for (raw, clean) in [
            ("13999021234", "13999021234"),
            ("139 9902 1234", "13999021234"),
            ("+86 139-9902-1234", "13999021234"),
            ("0994-5821234", "09945821234"),
            ("(0902) 2231234", "09022231234"),
        ] {
            assert_eq!(parse_phone("phone", raw).unwrap(), clean, "{raw}");
        }
        for bad in [
            "12345",
            "12999021234",
            "1399902123",
            "139990212345",
            "0994-58",
            "139a9021234",
        ] {
            let error = parse_phone("phone", bad).unwrap_err();
            assert_eq!(
                (error.field.as_str(), error.message.key),
                ("phone", "error.phone"),
                "{bad}"
            );
        }
        assert_eq!(
            parse_phone("phone", "  ").unwrap_err().message.key,
            "error.required"
        );
    }

    #[test]
    fn licence_numbers_are_as_printed() {
        for ok in [
            "新交运管许可哈字652201000321号",
            "652201000321",
            "新交运管许可（吉）字652301000123号",
        ] {
            assert_eq!(parse_licence("licence_no", &format!(" {ok} ")).unwrap(), ok);
        }
        for bad in ["12", "652201<script>", &"1".repeat(41), "新交 运管 123"] {
            let error = parse_licence("licence_no", bad).unwrap_err();
            assert_eq!(error.message.key, "error.licence_no", "{bad}");
        }
    }

    #[test]
    fn tractor_plates_follow_the_mainland_format() {
        for ok in [
            "新B12345",
            "新b12345",
            "新B·12345",
            "京AD12345",
            "粤Z1234A",
            " 新B 12345 ",
        ] {
            assert!(Plate::parse("p", ok, PlateKind::Tractor).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "B12345",
            "X B12345",
            "新112345",
            "新B1234",
            "新B1234567",
            "新B1234挂",
            "港B12345",
            "新B12#45",
        ] {
            assert!(Plate::parse("p", bad, PlateKind::Tractor).is_err(), "{bad}");
        }
        assert_eq!(
            Plate::parse("p", "新b·12345", PlateKind::Tractor)
                .unwrap()
                .as_str(),
            "新B12345"
        );
    }

    #[test]
    fn trailer_plates_end_in_gua() {
        for ok in ["新B6789挂", "新B67890挂", "新b6789挂"] {
            assert!(Plate::parse("p", ok, PlateKind::Trailer).is_ok(), "{ok}");
        }
        for bad in [
            "新B12345",
            "新B678挂",
            "新B678901挂",
            "新B67挂89",
            "挂B6789挂",
        ] {
            assert!(Plate::parse("p", bad, PlateKind::Trailer).is_err(), "{bad}");
        }
    }

    #[test]
    fn plate_error_names_the_field_and_the_kind() {
        let err =
            Plate::parse("vehicle.trailer_plates[1]", "新B12345", PlateKind::Trailer).unwrap_err();
        assert_eq!(err.field, "vehicle.trailer_plates[1]");
        assert_eq!(err.message.key, "error.trailer_plate");
        let err = Plate::parse("vehicle.tractor_plate", "  ", PlateKind::Tractor).unwrap_err();
        assert_eq!(err.message.key, "error.required");
    }

    #[test]
    fn credit_code_check_character() {
        // Published example codes with their check characters.
        for ok in [
            "91350100M000100Y43",
            "91110000802100433B",
            "911100007109288314",
        ] {
            assert!(CreditCode::parse("f", ok).is_ok(), "{ok}");
        }
        assert!(
            CreditCode::parse("f", "91350100m000100y43").is_ok(),
            "lower case is accepted"
        );
        // Every other check character is refused, naming the check.
        for c in CREDIT_ALPHABET.chars().filter(|c| *c != '3') {
            let code = format!("91350100M000100Y4{c}");
            let err = CreditCode::parse("firm_code", &code).unwrap_err();
            assert_eq!(err.message.key, "error.credit_code_check", "{code}");
        }
        for bad in [
            "",
            "91350100M000100Y4",
            "91350100M000100Y433",
            "91350100M000100I43",
            "91350100M000100O43",
        ] {
            assert_eq!(
                CreditCode::parse("f", bad).unwrap_err().message.key,
                "error.credit_code",
                "{bad}"
            );
        }
    }

    #[test]
    fn credit_code_completion_round_trips() {
        let full = CreditCode::with_check_character("91652328MA7XYW123").unwrap();
        assert!(CreditCode::parse("f", &full).is_ok());
        assert_eq!(CreditCode::with_check_character("too short"), None);
    }

    #[test]
    fn email_addresses() {
        assert_eq!(
            EmailAddress::parse("e", " A@Demo.Local ").unwrap().as_str(),
            "a@demo.local"
        );
        for bad in [
            "", "a", "a@", "@b.c", "a@b", "a@@b.c", "a b@c.d", "a@.b", "a@b.",
        ] {
            assert!(EmailAddress::parse("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bounded_numbers() {
        assert_eq!(positive_at_most("x", Some(200.0), 200.0, "m"), Ok(200.0));
        assert_eq!(
            positive_at_most("x", Some(200.01), 200.0, "m")
                .unwrap_err()
                .message
                .key,
            "error.at_most"
        );
        assert_eq!(
            positive_at_most("x", Some(0.0), 200.0, "m")
                .unwrap_err()
                .message
                .key,
            "error.positive"
        );
        assert_eq!(
            positive_at_most("x", Some(-1.0), 200.0, "m")
                .unwrap_err()
                .message
                .key,
            "error.positive"
        );
        assert_eq!(
            positive_at_most("x", Some(f64::NAN), 200.0, "m")
                .unwrap_err()
                .message
                .key,
            "error.positive"
        );
        assert_eq!(
            positive_at_most("x", None, 200.0, "m")
                .unwrap_err()
                .message
                .key,
            "error.required"
        );
        assert_eq!(count_within("t", Some(1), 1, 10_000), Ok(1));
        assert_eq!(count_within("t", Some(10_000), 1, 10_000), Ok(10_000));
        assert!(count_within("t", Some(0), 1, 10_000).is_err());
        assert!(count_within("t", Some(10_001), 1, 10_000).is_err());
        assert_eq!(
            text("d", Some("  "), 10).unwrap_err().message.key,
            "error.required"
        );
        assert_eq!(text("d", Some("风机叶片"), 4), Ok("风机叶片".to_string()));
        assert_eq!(
            text("d", Some("风机叶片x"), 4).unwrap_err().message.key,
            "error.too_long"
        );
    }
}
