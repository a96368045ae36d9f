//! Both languages of the console: every message exists in each, every
//! message the code names exists, and the customer pages render in Chinese
//! without a missing message or an English heading left over.

use billing_domain::ids::AccountId;
use std::collections::BTreeSet;
use std::path::Path;

use axum::http::StatusCode;
use billing_console::i18n::{Locale, sources};
use fluent_syntax::ast::Entry;

use crate::support::console;

fn account_of(caller: &billing_app::Caller) -> AccountId {
    match caller {
        billing_app::Caller::Customer(id) => id.clone(),
        _ => panic!("not a customer"),
    }
}

/// The message ids of a language, failing on a file that does not parse.
fn ids(locale: Locale) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for source in sources(locale) {
        let resource = fluent_syntax::parser::parse(*source)
            .unwrap_or_else(|(_, errors)| panic!("{} does not parse: {errors:?}", locale.tag()));
        for entry in resource.body {
            if let Entry::Message(m) = entry {
                assert!(ids.insert(m.id.name.to_owned()), "{} defines {} twice", locale.tag(), m.id.name);
            }
        }
    }
    ids
}

#[test]
fn every_message_exists_in_both_languages() {
    let english = ids(Locale::EnUs);
    let chinese = ids(Locale::ZhCn);
    let only_english: Vec<_> = english.difference(&chinese).collect();
    let only_chinese: Vec<_> = chinese.difference(&english).collect();
    assert!(only_english.is_empty(), "missing in zh-CN: {only_english:?}");
    assert!(only_chinese.is_empty(), "missing in en-US: {only_chinese:?}");
}

/// Every literal id passed to `t("…")`, `t1("…"`, `t2("…"` or `t_args("…"`
/// in the templates and the sources.
fn referenced_ids() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = BTreeSet::new();
    for dir in ["templates", "src", "src/pages"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if !path.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for call in [".t(\"", ".t1(\"", ".t2(\"", ".t_args(\""] {
                for (at, _) in text.match_indices(call) {
                    let rest = &text[at + call.len()..];
                    let id = &rest[..rest.find('"').unwrap()];
                    if id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        && !id.is_empty()
                        && id != "no-such-message"
                    {
                        found.insert(id.to_owned());
                    }
                }
            }
        }
    }
    found
}

#[test]
fn every_message_the_console_names_exists() {
    let english = ids(Locale::EnUs);
    let referenced = referenced_ids();
    assert!(referenced.len() > 100, "the scan found only {} ids", referenced.len());
    let missing: Vec<_> = referenced.iter().filter(|id| !english.contains(*id)).collect();
    assert!(missing.is_empty(), "named in the code but in no .ftl file: {missing:?}");
}

#[test]
fn ids_built_at_run_time_exist() {
    use billing_domain::reason::ReasonCode;
    for locale in Locale::ALL {
        for r in ReasonCode::ALL {
            let words = billing_console::words::reason_message(locale, r);
            assert!(!words.contains('⟦'), "{}: {words}", locale.tag());
            if locale == Locale::EnUs {
                assert_eq!(words, r.message(), "the English words of {r} differ from the domain's");
            }
        }
        for unit in ["day", "hour", "minute", "second"] {
            assert!(locale.has(&format!("duration-{unit}")));
        }
        for label in billing_app::documents::labels::Label::ALL {
            let id = format!("document-{}", label.key());
            assert!(locale.has(&id), "{}: {id}", locale.tag());
            if locale == Locale::EnUs {
                assert_eq!(locale.t(&id), label.english(), "the page and the PDF say {label:?} alike");
            }
        }
    }
}

/// The text of every `<th scope="col">` of a page.
fn column_headings(html: &str) -> Vec<&str> {
    html.split("<th scope=\"col\">").skip(1).filter_map(|rest| rest.split("</th>").next()).collect()
}

#[tokio::test]
async fn customer_pages_render_in_chinese_from_the_stored_choice() {
    let c = console().await;
    let session = c.sign_in(&c.alice.key).await;
    let account = account_of(&c.alice.caller);
    c.billing.accounts().set_account_locale(&c.alice.caller, &account, Some("zh-CN")).await.unwrap();
    let quota = &c.alice.quota_id;
    let pages = [
        "/console/workspaces".to_owned(),
        "/console/unsubscribe".to_owned(),
        "/console/unsubscribe?tab=plans".to_owned(),
        format!("/console/instances/{quota}/unsubscribe"),
        "/console/refunds".to_owned(),
        "/console/plans".to_owned(),
        format!("/console/instances/{quota}"),
        format!("/console/workspaces/{}/renew", c.alice.workspace_id),
        format!("/console/workspaces/{}/delete", c.alice.workspace_id),
        format!("/console/instances/{quota}/downgrade"),
        "/console/bills".to_owned(),
    ];
    for path in &pages {
        let page = c.get(path, &session).await;
        assert!(page.status == StatusCode::OK || page.status == StatusCode::NOT_FOUND, "{path}: {}", page.status);
        assert!(page.text.contains("<html lang=\"zh-CN\">"), "{path}");
        assert!(!page.text.contains('⟦'), "{path} shows a missing message");
        assert!(!page.text.contains("Sign out"), "{path} still says Sign out");
        for heading in column_headings(&page.text) {
            let english = heading.split(|c: char| !c.is_ascii_alphabetic()).any(|w| w.len() > 3);
            assert!(!english, "{path} has an English column heading: {heading}");
        }
    }
    let bills = c.get("/console/bills", &session).await.text;
    assert!(bills.contains("<h1>账单与用量</h1>") && bills.contains("配额抵扣"), "{bills}");
    let review = c.get(&format!("/console/instances/{quota}/unsubscribe"), &session).await;
    for words in ["确认退订", "退款去向", "工作空间 etl 将被删除", "可退款金额"] {
        assert!(review.text.contains(words), "the review lacks {words}");
    }
    assert!(c.get("/console/workspaces", &session).await.text.contains("包年包月 + 按量付费"));
}

#[tokio::test]
async fn the_language_switch_stores_the_choice_with_the_account() {
    let c = console().await;
    let session = c.sign_in(&c.alice.key).await;
    let page = c.get("/console/workspaces", &session).await;
    assert!(page.text.contains("<html lang=\"en\">") && page.text.contains("Workspaces"));
    let answer = c.post("/console/language", &session, &format!("csrf={}&locale=zh-CN", page.csrf())).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let account = account_of(&c.alice.caller);
    let stored = c.billing.accounts().account(&c.alice.caller, &account).await.unwrap();
    assert_eq!(stored.locale.as_deref(), Some("zh-CN"));
    // The choice follows the account, not the browser's cookie.
    assert!(c.get("/console/workspaces", &session).await.text.contains("<h1>工作空间</h1>"));
    let bad = c.post("/console/language", &session, &format!("csrf={}&locale=fr-FR", page.csrf())).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Bob did not choose: his pages stay English.
    let bob = c.sign_in(&c.bob.key).await;
    assert!(c.get("/console/workspaces", &bob).await.text.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn the_sign_in_page_follows_the_lang_switch_and_remembers_it() {
    let c = console().await;
    let page = c.get("/console/sign-in?lang=zh-CN", &[]).await;
    assert!(page.text.contains("<html lang=\"zh-CN\">") && page.text.contains("API 密钥"));
    let cookie = page.cookies().into_iter().find(|c| c.starts_with("sb_lang=")).unwrap();
    assert_eq!(cookie, "sb_lang=zh-CN");
    let again = c.get("/console/sign-in", &[cookie]).await;
    assert!(again.text.contains("<html lang=\"zh-CN\">"));
    assert!(c.get("/console/sign-in", &[]).await.text.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn an_operator_s_choice_is_kept_in_the_browser() {
    let c = console().await;
    let session = c.sign_in(&c.operator).await;
    let page = c.get("/console/operator/policy", &session).await;
    assert!(page.text.contains("<html lang=\"en\">"));
    let answer = c.post("/console/language", &session, &format!("csrf={}&locale=zh-CN", page.csrf())).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let cookie = answer.cookies().into_iter().find(|c| c.starts_with("sb_lang=")).unwrap();
    let chinese = c.get("/console/operator/policy", &[session[0].clone(), cookie]).await;
    assert!(chinese.text.contains("<html lang=\"zh-CN\">") && chinese.text.contains("退款规则"));
    assert!(!chinese.text.contains('⟦'));
}

#[tokio::test]
async fn operator_pages_render_in_chinese_from_the_language_cookie() {
    let c = console().await;
    let refund = crate::operator::alice_unsubscribes(&c).await;
    let alice = crate::operator::alice_id(&c);
    let mut session = c.sign_in(&c.operator).await;
    session.push("sb_lang=zh-CN".to_owned());
    let pages = [
        "/console/operator".to_owned(),
        "/console/operator/accounts".to_owned(),
        format!("/console/operator/accounts/{alice}"),
        "/console/operator/audit".to_owned(),
        "/console/operator/refunds".to_owned(),
        format!("/console/operator/refunds/{refund}"),
        "/console/operator/policy".to_owned(),
        "/console/operator/webhooks".to_owned(),
    ];
    // Labels the English pages show; none may be left on a Chinese page.
    let english = [
        "Sign out",
        "Overview",
        "Ledger check",
        "Payment methods",
        "Balance entries",
        "Billing zone",
        "Refunds pending",
        "Event type",
        ">Search<",
        ">Filter<",
        "Older ",
        "Retry",
        "Times are in",
        "A span like",
    ];
    for path in &pages {
        let page = c.get(path, &session).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.text.contains("<html lang=\"zh-CN\">"), "{path}");
        assert!(!page.text.contains('⟦'), "{path} shows a missing message");
        for words in english {
            assert!(!page.text.contains(words), "{path} still says {words}");
        }
        for heading in column_headings(&page.text) {
            let english = heading.split(|c: char| !c.is_ascii_alphabetic()).any(|w| w.len() > 3);
            assert!(!english, "{path} has an English column heading: {heading}");
        }
    }
    let home = c.get("/console/operator", &session).await.text;
    assert!(home.contains("<h1>概览</h1>") && home.contains("账本核对") && home.contains(">平衡<"), "{home}");
    let account = c.get(&format!("/console/operator/accounts/{alice}"), &session).await.text;
    for words in ["余额明细", "支付方式", "etl（已删除）", "已退订", "+USD 50,000.00", "2026年3月10日", "退订退款"]
    {
        assert!(account.contains(words), "the account page lacks {words}");
    }
    let audit = c.get("/console/operator/audit?from=2026-13-01", &session).await;
    assert_eq!(audit.status, StatusCode::BAD_REQUEST);
    assert!(audit.text.contains("开始日期“2026-13-01”不是有效日期"), "{}", audit.text);
    let search = c.get("/console/operator/refunds?q=alice", &session).await.text;
    assert!(search.contains(">alice</a> 的退款") && search.contains("处理中"), "{search}");
    let nothing = c.get("/console/operator/refunds?q=ref_nope", &session).await.text;
    assert!(nothing.contains("没有单号为“ref_nope”的退款"), "{nothing}");
    let policy = c.get("/console/operator/policy", &session).await;
    let settings = "proration_unit=day&resource_plan_window=5d&resource_plan_partial_refund=false\
                    &full_refunds_per_year=none&card_refund_max_age=150d&paypal_refund_max_age=270d";
    let bad = format!("csrf={}&effective_from=2026-04-01T08:00&{settings}&quote_ttl=3d", policy.csrf());
    let refused = c.post("/console/operator/policy", &session, &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text.contains("设置项 quote_ttl 的取值无效") && !refused.text.contains("quote ttl:"),
        "{}",
        refused.text
    );
}

#[tokio::test]
async fn a_printed_document_has_chinese_labels_around_its_content_as_issued() {
    let c = console().await;
    let session = c.sign_in(&c.alice.key).await;
    let english = c.get("/console/documents", &session).await;
    let id = english.text.split("href=\"/console/documents/doc_").nth(1).unwrap().split('"').next().unwrap();
    let path = format!("/console/documents/doc_{id}");
    let before = c.get(&path, &session).await.text;
    let account = account_of(&c.alice.caller);
    c.billing.accounts().set_account_locale(&c.alice.caller, &account, Some("zh-CN")).await.unwrap();
    let page = c.get(&path, &session).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("<html lang=\"zh-CN\">") && !page.text.contains('⟦'));
    for words in
        ["<h1>发票</h1>", "<h2>销售方</h2>", "应付合计", "费用明细", "全部票据", "下载 PDF", "开具内容的 SHA-256"]
    {
        assert!(page.text.contains(words), "the page lacks {words}");
    }
    for english in ["Seller", "Total due", "Charges", "Download PDF"] {
        assert!(before.contains(english) && !page.text.contains(english), "{english}");
    }
    // The content is shown as issued: number, amounts, digest.
    let doc = c.billing.documents().document(&c.alice.caller, &format!("doc_{id}").parse().unwrap()).await.unwrap();
    for value in [doc.number.as_str(), "$805.25", doc.sha256.as_str()] {
        assert!(before.contains(value) && page.text.contains(value), "{value}");
    }
}
