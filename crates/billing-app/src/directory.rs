//! What operators look things up with: every account with its counts, the
//! latest ledger lines of one account, and the audit trail narrowed by
//! actor, account, action and time.

use crate::core::{Caller, visible};
use crate::error::{AppError, AppResult};
pub use crate::model::directory::{AccountFilter, AccountSummary, AuditFilter, AuditOrder, BalanceLine};
use crate::model::{Account, AuditEvent};
use crate::operations::Operations;
use billing_domain::ids::{AccountId, WorkspaceId};

/// Longest search text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

impl Default for AuditFilter {
    fn default() -> AuditFilter {
        AuditFilter {
            actor: None,
            account_id: None,
            action: None,
            from: None,
            to: None,
            order: AuditOrder::Before(None),
            limit: 50,
        }
    }
}

fn check_limit(limit: i64) -> AppResult<()> {
    if !(1..=1000).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 1000"));
    }
    Ok(())
}

/// Checks a search text: at most [`MAX_QUERY_CHARS`] characters, no control
/// characters.
fn check_query(field: &str, text: &str) -> AppResult<()> {
    if text.chars().count() > MAX_QUERY_CHARS || text.chars().any(char::is_control) {
        return Err(AppError::invalid(field, format!("must be at most {MAX_QUERY_CHARS} characters of plain text")));
    }
    Ok(())
}

/// Whether `account` fits a search: its id is the text, or its name
/// contains it in any case.
fn matches(account: &Account, query: &str) -> bool {
    account.id == query || account.name.to_lowercase().contains(&query.to_lowercase())
}

impl Operations {
    /// Accounts by name with their counts: every account for operators,
    /// only their own for customers.
    pub async fn account_summaries(
        &self,
        caller: &Caller,
        mut filter: AccountFilter,
    ) -> AppResult<Vec<AccountSummary>> {
        check_limit(filter.limit)?;
        filter.query = filter.query.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
        if let Some(q) = &filter.query {
            check_query("q", q)?;
        }
        let mut tx = self.core.read().await?;
        if let Some(after) = &filter.starting_after {
            let cursor = match AccountId::parse(after) {
                Ok(after) => tx.account(&after).await?.filter(|a| caller.may_see(&a.id)),
                Err(_) => None,
            };
            if cursor.is_none() {
                return Err(AppError::invalid("starting_after", "is not an account listed here"));
            }
        }
        if let Caller::Customer(own) = caller {
            // A customer's list is its own account, if it fits the search;
            // nothing comes after it.
            let own = tx.account_summary(own).await?.filter(|_| filter.starting_after.is_none());
            return Ok(own
                .filter(|s| filter.query.as_deref().is_none_or(|q| matches(&s.account, q)))
                .into_iter()
                .collect());
        }
        Ok(tx.account_summaries(&filter).await?)
    }

    /// One account with its counts (operators, or the account itself).
    pub async fn account_summary(&self, caller: &Caller, id: &AccountId) -> AppResult<AccountSummary> {
        let mut tx = self.core.read().await?;
        let found = tx.account_summary(id).await?;
        visible(caller, "account", id, found, |s| &s.account.id)
    }

    /// The newest entries of an account's cash balance, before the movement
    /// `before` when given (the last of the previous page).
    pub async fn balance_lines(
        &self,
        caller: &Caller,
        account_id: &AccountId,
        before: Option<&str>,
        limit: i64,
    ) -> AppResult<Vec<BalanceLine>> {
        check_limit(limit)?;
        let mut tx = self.core.read().await?;
        let account = tx.account(account_id).await?;
        visible(caller, "account", account_id, account, |a| &a.id)?;
        let ledger_account = crate::ledger::customer_balance(account_id);
        tx.balance_lines(&ledger_account, before, limit)
            .await?
            .ok_or_else(|| AppError::invalid("before", "is not a movement of this account"))
    }

    /// The names of the workspaces `ids` of an account, deleted ones
    /// included (marked `true`): an instance outlives its workspace.
    pub async fn workspace_names(
        &self,
        caller: &Caller,
        account_id: &AccountId,
        ids: &[&WorkspaceId],
    ) -> AppResult<Vec<(WorkspaceId, String, bool)>> {
        let mut tx = self.core.read().await?;
        let account = tx.account(account_id).await?;
        visible(caller, "account", account_id, account, |a| &a.id)?;
        let mut names = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(w) = tx.workspace(id).await?.filter(|w| w.account_id == *account_id) {
                names.push((w.id, w.name, w.status == crate::model::WorkspaceStatus::Deleted));
            }
        }
        Ok(names)
    }

    /// Audit events matching `filter` (operators only).
    pub async fn audit_search(&self, caller: &Caller, filter: &AuditFilter) -> AppResult<Vec<AuditEvent>> {
        caller.require_operator()?;
        check_limit(filter.limit)?;
        for (field, text) in [("actor", &filter.actor), ("account_id", &filter.account_id), ("action", &filter.action)]
        {
            if let Some(text) = text {
                check_query(field, text)?;
            }
        }
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && to <= from
        {
            return Err(AppError::invalid("to", "must be later than from"));
        }
        match filter.order {
            AuditOrder::After(n) | AuditOrder::Before(Some(n)) if n < 0 => {
                return Err(AppError::invalid("after", "must not be negative"));
            }
            _ => {}
        }
        Ok(self.core.read().await?.audit_search(filter).await?)
    }
}
