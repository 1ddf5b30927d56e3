//! BUNDLE in an answer (RFC 9143 s7.3, RFC 9429 s5.3.1): the group lists the accepted
//! sections of the offer's group, in the offer's order; the first of them carries the
//! transport (the answerer-tagged section).

use std::borrow::Cow;

use crate::Session;
use crate::attribute::Group;

/// The mids of the offer's first BUNDLE group, as owned strings.
#[must_use]
pub fn offered_bundle(offer: &Session<'_>) -> Vec<String> {
    offer.bundle_mids().map(str::to_owned).collect()
}

/// The answer's `a=group:BUNDLE` line: the mids of `offered` (the offer's group) that
/// `accepted` holds, in the offer's order; `None` if none is accepted or the offer has no
/// group.
#[must_use]
pub fn answer_bundle(offered: &[String], accepted: &[String]) -> Option<Group<'static>> {
    let mids: Vec<Cow<'static, str>> = offered
        .iter()
        .filter(|m| accepted.contains(m))
        .map(|m| Cow::Owned(m.clone()))
        .collect();
    (!mids.is_empty()).then_some(Group {
        semantics: Cow::Borrowed("BUNDLE"),
        mids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_group_is_the_accepted_offered_mids_in_order() {
        let offered: Vec<String> = ["0", "1", "2"].map(String::from).to_vec();
        let accepted: Vec<String> = ["2", "0", "9"].map(String::from).to_vec();
        let g = answer_bundle(&offered, &accepted).unwrap();
        assert_eq!(g.to_string(), "BUNDLE 0 2");
        assert!(answer_bundle(&offered, &[]).is_none());
        assert!(answer_bundle(&[], &accepted).is_none());
    }
}
