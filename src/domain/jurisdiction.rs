//! The jurisdiction tree (GB/T 2260 codes: region → prefecture → county) and who issues a
//! permit for a route: one county → its transport bureau; several counties of one
//! prefecture → the prefecture highway administration; several prefectures → the region.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    County,
    Prefecture,
    Region,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::County => "county",
            Level::Prefecture => "prefecture",
            Level::Region => "region",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "county" => Ok(Level::County),
            "prefecture" => Ok(Level::Prefecture),
            "region" => Ok(Level::Region),
            other => Err(format!("unknown level {other:?}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jurisdiction {
    pub code: String,
    pub level: Level,
    pub parent: Option<String>,
}

/// Why a set of jurisdiction rows does not form a tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error("jurisdiction {0} appears twice")]
    Duplicate(String),
    #[error("jurisdiction {child} names unknown parent {parent}")]
    UnknownParent { child: String, parent: String },
    #[error("jurisdiction {child} ({child_level}) cannot sit under {parent} ({parent_level})")]
    WrongLevel {
        child: String,
        child_level: Level,
        parent: String,
        parent_level: Level,
    },
    #[error("jurisdiction {0} is not a region yet has no parent")]
    Orphan(String),
}

/// The jurisdictions as a checked tree: every county under a prefecture, every prefecture
/// under a region.
#[derive(Debug, Clone, Default)]
pub struct JurisdictionTree {
    by_code: BTreeMap<String, Jurisdiction>,
}

/// Who issues the permit for a route, and where the route runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    pub level: Level,
    /// The jurisdiction whose authority issues: the county, the prefecture or the region.
    pub jurisdiction: String,
    /// `{jurisdiction}-TRANSPORT` for a county, `{jurisdiction}-HIGHWAY` above.
    pub authority_code: String,
    /// Every county the route touches, in code order.
    pub counties: Vec<String>,
    /// Every prefecture the route touches, in code order.
    pub prefectures: Vec<String>,
    /// The region the route lies in.
    pub region: String,
}

impl JurisdictionTree {
    pub fn new(rows: impl IntoIterator<Item = Jurisdiction>) -> Result<Self, TreeError> {
        let mut by_code = BTreeMap::new();
        for row in rows {
            if by_code.contains_key(&row.code) {
                return Err(TreeError::Duplicate(row.code));
            }
            by_code.insert(row.code.clone(), row);
        }
        for j in by_code.values() {
            match &j.parent {
                None if j.level != Level::Region => return Err(TreeError::Orphan(j.code.clone())),
                None => {}
                Some(parent_code) => {
                    let parent =
                        by_code
                            .get(parent_code)
                            .ok_or_else(|| TreeError::UnknownParent {
                                child: j.code.clone(),
                                parent: parent_code.clone(),
                            })?;
                    let expected = match j.level {
                        Level::County => Level::Prefecture,
                        Level::Prefecture | Level::Region => Level::Region,
                    };
                    if parent.level != expected || j.level == Level::Region {
                        return Err(TreeError::WrongLevel {
                            child: j.code.clone(),
                            child_level: j.level,
                            parent: parent.code.clone(),
                            parent_level: parent.level,
                        });
                    }
                }
            }
        }
        Ok(JurisdictionTree { by_code })
    }

    pub fn get(&self, code: &str) -> Option<&Jurisdiction> {
        self.by_code.get(code)
    }

    pub fn is_county(&self, code: &str) -> bool {
        self.get(code).is_some_and(|j| j.level == Level::County)
    }

    fn parent_of(&self, code: &str) -> Option<&Jurisdiction> {
        self.get(code)?.parent.as_deref().and_then(|p| self.get(p))
    }

    /// Does `code` lie within `ancestor` (or is it `ancestor` itself)?
    pub fn is_within(&self, code: &str, ancestor: &str) -> bool {
        let mut current = self.get(code);
        while let Some(j) = current {
            if j.code == ancestor {
                return true;
            }
            current = self.parent_of(&j.code);
        }
        false
    }

    /// The issuer for a route through these counties. `None` when the list is empty or names
    /// something that is not a known county (the route's validation reports which).
    pub fn issuer_for(&self, counties: &[String]) -> Option<Issuer> {
        let counties: BTreeSet<&str> = counties.iter().map(String::as_str).collect();
        if counties.is_empty() || !counties.iter().all(|c| self.is_county(c)) {
            return None;
        }
        let prefectures: BTreeSet<&str> = counties
            .iter()
            .filter_map(|c| self.get(c)?.parent.as_deref())
            .collect();
        let regions: BTreeSet<&str> = prefectures
            .iter()
            .filter_map(|p| self.get(p)?.parent.as_deref())
            .collect();
        if regions.len() != 1 {
            // A route across regions is outside one system's remit.
            return None;
        }
        let region = (*regions.iter().next()?).to_string();
        let (level, jurisdiction, kind) = if counties.len() == 1 {
            (
                Level::County,
                (*counties.iter().next()?).to_string(),
                "TRANSPORT",
            )
        } else if prefectures.len() == 1 {
            (
                Level::Prefecture,
                (*prefectures.iter().next()?).to_string(),
                "HIGHWAY",
            )
        } else {
            (Level::Region, region.clone(), "HIGHWAY")
        };
        Some(Issuer {
            authority_code: format!("{jurisdiction}-{kind}"),
            level,
            jurisdiction,
            counties: counties.iter().map(|c| c.to_string()).collect(),
            prefectures: prefectures.iter().map(|p| p.to_string()).collect(),
            region,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn j(code: &str, level: Level, parent: Option<&str>) -> Jurisdiction {
        Jurisdiction {
            code: code.into(),
            level,
            parent: parent.map(Into::into),
        }
    }

    /// A small copy of the shipped tree: two prefectures of Xinjiang with two counties each.
    pub(crate) fn sample_tree() -> JurisdictionTree {
        JurisdictionTree::new([
            j("650000", Level::Region, None),
            j("652300", Level::Prefecture, Some("650000")),
            j("652328", Level::County, Some("652300")),
            j("652325", Level::County, Some("652300")),
            j("650500", Level::Prefecture, Some("650000")),
            j("650521", Level::County, Some("650500")),
            j("650522", Level::County, Some("650500")),
        ])
        .unwrap()
    }

    fn codes(list: &[&str]) -> Vec<String> {
        list.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn a_route_within_one_county_is_issued_by_its_transport_bureau() {
        let issuer = sample_tree()
            .issuer_for(&codes(&["652328", "652328"]))
            .unwrap();
        assert_eq!(issuer.level, Level::County);
        assert_eq!(issuer.authority_code, "652328-TRANSPORT");
        assert_eq!(issuer.counties, codes(&["652328"]));
        assert_eq!(issuer.prefectures, codes(&["652300"]));
    }

    #[test]
    fn a_route_across_counties_of_one_prefecture_is_issued_by_its_highway_administration() {
        let issuer = sample_tree()
            .issuer_for(&codes(&["652328", "652325"]))
            .unwrap();
        assert_eq!(issuer.level, Level::Prefecture);
        assert_eq!(issuer.authority_code, "652300-HIGHWAY");
        assert_eq!(issuer.counties, codes(&["652325", "652328"]));
    }

    #[test]
    fn a_route_across_prefectures_is_issued_by_the_region() {
        // Mulei (Changji) → Barkol (Hami): the blade run of the spec's scenario.
        let issuer = sample_tree()
            .issuer_for(&codes(&["652328", "650521"]))
            .unwrap();
        assert_eq!(issuer.level, Level::Region);
        assert_eq!(issuer.authority_code, "650000-HIGHWAY");
        assert_eq!(issuer.prefectures, codes(&["650500", "652300"]));
        assert_eq!(issuer.region, "650000");
    }

    #[test]
    fn no_issuer_without_known_counties() {
        let tree = sample_tree();
        assert_eq!(tree.issuer_for(&[]), None);
        assert_eq!(tree.issuer_for(&codes(&["999999"])), None);
        assert_eq!(
            tree.issuer_for(&codes(&["652300"])),
            None,
            "a prefecture is not a route segment"
        );
    }

    #[test]
    fn containment() {
        let tree = sample_tree();
        assert!(tree.is_within("652328", "652300"));
        assert!(tree.is_within("652328", "650000"));
        assert!(tree.is_within("652328", "652328"));
        assert!(!tree.is_within("652328", "650500"));
        assert!(!tree.is_within("nope", "650000"));
    }

    #[test]
    fn malformed_trees_are_refused() {
        assert!(matches!(
            JurisdictionTree::new([j("1", Level::Region, None), j("1", Level::Region, None)]),
            Err(TreeError::Duplicate(_))
        ));
        assert!(matches!(
            JurisdictionTree::new([j("2", Level::County, Some("9"))]),
            Err(TreeError::UnknownParent { .. })
        ));
        assert!(matches!(
            JurisdictionTree::new([
                j("1", Level::Region, None),
                j("2", Level::County, Some("1"))
            ]),
            Err(TreeError::WrongLevel { .. })
        ));
        assert!(matches!(
            JurisdictionTree::new([j("2", Level::County, None)]),
            Err(TreeError::Orphan(_))
        ));
    }
}
