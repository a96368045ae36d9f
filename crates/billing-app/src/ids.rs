//! Identifiers: a short prefix naming the kind of thing, then a time-ordered
//! UUID in hex, so ids sort roughly by creation and never collide across
//! processes.

use billing_domain::ids::Id;

/// A new id of kind `I`, such as an [`billing_domain::OrderId`]
/// `ord_0192f3…`.
pub fn mint<I: Id>() -> I {
    I::trusted(new_id(I::PREFIX))
}

/// A new id such as `ord_0192f3…`.
pub fn new_id(prefix: &str) -> String {
    let uuid = uuid::Uuid::now_v7().simple().to_string();
    format!("{prefix}_{uuid}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_carry_their_prefix_and_differ() {
        let a = super::new_id("ord");
        let b = super::new_id("ord");
        assert!(a.starts_with("ord_"));
        assert_ne!(a, b);
    }
}
