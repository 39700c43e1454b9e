//! Which page of a list to show: a page number and a page size, each within its bound, so that
//! no request can ask for an offset the database cannot compute.

use super::{FieldError, Message, ValidationErrors};

/// The largest page size.
pub const MAX_PER_PAGE: i64 = 100;
/// The last page number anyone may ask for: at the largest page size, a million rows.
pub const MAX_PAGE: i64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    /// `page` from 1 to `MAX_PAGE` (1 if absent), `per_page` from 1 to `MAX_PER_PAGE` (20 if
    /// absent); each value out of bounds is an error naming its field.
    pub fn parse(page: Option<i64>, per_page: Option<i64>) -> Result<Paging, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut bounded = |field: &'static str, value: Option<i64>, default: i64, max: i64| {
            let value = value.unwrap_or(default);
            if !(1..=max).contains(&value) {
                errors.push(FieldError::new(
                    field,
                    Message::new("error.between")
                        .with("min", 1)
                        .with("max", max),
                ));
            }
            value
        };
        let page = bounded("page", page, 1, MAX_PAGE);
        let per_page = bounded("per_page", per_page, 20, MAX_PER_PAGE);
        if errors.is_empty() {
            Ok(Paging { page, per_page })
        } else {
            Err(errors)
        }
    }

    /// Rows to skip: at most `MAX_PAGE × MAX_PER_PAGE`, never negative.
    pub fn offset(self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_within_bounds() {
        assert_eq!(
            Paging::parse(None, None),
            Ok(Paging {
                page: 1,
                per_page: 20
            })
        );
        assert_eq!(Paging::parse(Some(3), Some(100)).unwrap().offset(), 200);
        assert_eq!(
            Paging::parse(Some(MAX_PAGE), Some(MAX_PER_PAGE))
                .unwrap()
                .offset(),
            999_900
        );
    }

    #[test]
    fn out_of_bounds_names_the_field() {
        let errors = Paging::parse(Some(9_223_372_036_854_775_806), Some(0)).unwrap_err();
        assert!(errors.has("page") && errors.has("per_page"));
        assert!(Paging::parse(Some(0), None).unwrap_err().has("page"));
        assert!(Paging::parse(Some(-1), None).unwrap_err().has("page"));
        assert!(Paging::parse(None, Some(101)).unwrap_err().has("per_page"));
    }
}
