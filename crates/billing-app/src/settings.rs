//! Small settings shared by every process through the database: whether the
//! clock is simulated and by how much it runs ahead.

use chrono::Duration;
use serde_json::json;

use crate::core::{Caller, audit};
use crate::error::{AppError, AppResult};
use crate::operations::Operations;

/// Setting naming the clock mode: `simulated` or `system`.
pub const CLOCK_MODE: &str = "clock_mode";
/// Setting holding the simulated clock's offset in microseconds.
pub const CLOCK_OFFSET: &str = "clock_offset_micros";
/// Longest single jump of the simulated clock.
pub const MAX_CLOCK_JUMP: Duration = Duration::days(400);

impl Operations {
    /// The stored clock mode and offset (`system`, 0 when never set).
    pub async fn clock_settings(&self) -> AppResult<(String, i64)> {
        let mut tx = self.core.read().await?;
        let mode = tx.setting(CLOCK_MODE).await?.unwrap_or_else(|| "system".to_owned());
        if mode != "system" && mode != "simulated" {
            return Err(AppError::internal(format!("the stored clock mode {mode:?} is neither system nor simulated")));
        }
        let offset = stored_offset(tx.setting(CLOCK_OFFSET).await?)?;
        Ok((mode, offset))
    }

    /// The database answers.
    pub async fn ping(&self) -> AppResult<()> {
        Ok(self.core.store.ping().await?)
    }

    /// A setting's stored value.
    pub async fn setting(&self, name: &str) -> AppResult<Option<String>> {
        Ok(self.core.read().await?.setting(name).await?)
    }

    /// A setting of the service's own (not one a caller may set): its
    /// stored value, or `make`'s written now when it has none. Replicas
    /// racing to write the first value all get the one the database kept.
    pub async fn own_setting(&self, name: &str, make: impl FnOnce() -> String) -> AppResult<String> {
        if let Some(value) = self.core.read().await?.setting(name).await? {
            return Ok(value);
        }
        let mut tx = self.core.begin().await?;
        if let Some(value) = tx.setting(name).await? {
            return Ok(value);
        }
        tx.set_setting(name, &make()).await?;
        tx.commit().await?;
        let kept = self.core.read().await?.setting(name).await?;
        kept.ok_or_else(|| AppError::internal(format!("the setting {name} was not stored")))
    }

    /// The stored clock mode, `None` when no server has set one yet.
    pub async fn stored_clock_mode(&self) -> AppResult<Option<String>> {
        Ok(self.core.read().await?.setting(CLOCK_MODE).await?)
    }

    /// Records the clock mode the service runs with.
    pub async fn set_clock_mode(&self, simulated: bool) -> AppResult<()> {
        let mut tx = self.core.begin().await?;
        tx.set_setting(CLOCK_MODE, if simulated { "simulated" } else { "system" }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves the simulated clock forward by `by` (operators only) and
    /// returns the new offset. Refused when the service runs on the system
    /// clock.
    pub async fn advance_clock(&self, caller: &Caller, by: Duration) -> AppResult<i64> {
        caller.require_operator()?;
        if by <= Duration::zero() || by > MAX_CLOCK_JUMP {
            return Err(AppError::invalid("by", "must be more than zero and at most 400 days"));
        }
        let mut tx = self.core.begin().await?;
        if tx.setting(CLOCK_MODE).await?.as_deref() != Some("simulated") {
            return Err(AppError::state("the clock is not simulated: start the service with --clock simulated"));
        }
        let offset = stored_offset(tx.setting(CLOCK_OFFSET).await?)?;
        let by_micros = by.num_microseconds().ok_or_else(|| AppError::invalid("by", "too large"))?;
        let next = offset.checked_add(by_micros).ok_or_else(|| AppError::invalid("by", "too large"))?;
        tx.set_setting(CLOCK_OFFSET, &next.to_string()).await?;
        let now = billing_domain::calendar::shift(self.core.now(), by)?;
        audit(&mut *tx, caller, "clock.advanced", "clock", json!({"by_seconds": by.num_seconds()}), now).await?;
        tx.commit().await?;
        Ok(next)
    }
}

/// The stored offset in microseconds: 0 when never set, an error (never a
/// silent 0) when the stored text is not a whole number of microseconds
/// or is negative (the simulated clock only moves forward).
fn stored_offset(text: Option<String>) -> AppResult<i64> {
    let Some(text) = text else { return Ok(0) };
    match text.parse::<i64>() {
        Ok(offset) if offset >= 0 => Ok(offset),
        _ => Err(AppError::internal(format!("the stored clock offset {text:?} is not a whole number of microseconds"))),
    }
}

#[cfg(test)]
mod tests {
    use super::stored_offset;

    #[test]
    fn an_unreadable_offset_is_an_error_not_zero() {
        assert_eq!(stored_offset(None).unwrap(), 0);
        assert_eq!(stored_offset(Some("86400000000".to_owned())).unwrap(), 86_400_000_000);
        for bad in ["", "1.5", "ten", "-5"] {
            let e = stored_offset(Some(bad.to_owned())).unwrap_err();
            assert!(e.to_string().contains("clock offset"), "{bad:?}: {e}");
        }
    }
}
