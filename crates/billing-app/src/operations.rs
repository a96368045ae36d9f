//! [`Operations`]: what the provider's billing team runs the service with:
//! the catalog and its policies, settings and the clock, the directory of
//! accounts and the audit trail, and the integrity checks.

use crate::core::Core;

/// The operator's side of the service.
#[derive(Clone)]
pub struct Operations {
    pub(crate) core: Core,
}
