//! E-mail at every step, delivered through a real SMTP server: nothing lost when the server is
//! down, nothing sent twice by two instances, recovery after a worker dies mid-delivery.

use crate::flow::{blade, tasks, Flow};
use crate::helpers::{spawn_app_with, TestApp};
use crate::smtp::{free_port, Received, SmtpServer};
use serde_json::{json, Value};
use std::collections::BTreeMap;

async fn app_with_smtp(url: String) -> TestApp {
    spawn_app_with(move |o| o.smtp_url = Some(url)).await
}

fn to(mails: &[Received], address: &str) -> Vec<Received> {
    mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t == address))
        .cloned()
        .collect()
}

fn events(mails: &[Received]) -> Vec<String> {
    mails
        .iter()
        .map(|m| m.header("X-Permitflow-Event"))
        .collect()
}

#[tokio::test]
async fn every_step_reaches_the_applicant_and_every_task_its_reviewers() {
    let smtp = SmtpServer::start(false);
    let app = app_with_smtp(smtp.url()).await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    let id = submitted["id"].as_str().unwrap().to_string();
    let reference = submitted["reference"].as_str().unwrap().to_string();
    let accepted = flow.approve(&tasks(&submitted, "acceptance")[0], &[]).await;
    let reviews = tasks(&accepted, "joint_review");
    // One information round on the way.
    let police = flow.reviewer("652328-POLICE").await;
    let asking = reviews
        .iter()
        .find(|t| t["authority_code"] == "652328-POLICE")
        .unwrap();
    flow.decide(
        &police,
        asking["id"].as_str().unwrap(),
        json!({"decision": "request_info", "comment": "第二页护送方案缺失"}),
    )
    .await;
    flow.post(
        &flow.applicant,
        &format!("/api/v1/applications/{id}/respond"),
        &json!({"message": "已补充"}),
    )
    .await;
    for task in &reviews {
        flow.approve(task, &["夜间通行"]).await;
    }
    let latest = flow.fetch(&id).await;
    let issued = flow.approve(&tasks(&latest, "issuance")[0], &[]).await;
    assert_eq!(issued["status"], "issued");

    let report = app.run_jobs().await;
    assert_eq!(report["emails_failed"], 0);
    let mails = smtp.received();
    assert_eq!(
        report["emails_sent"].as_u64().unwrap() as usize,
        mails.len()
    );

    let applicant = to(&mails, "applicant@demo.local");
    let mut kinds = events(&applicant);
    kinds.sort();
    // The nine approvals are no e-mail each: the permit's e-mail tells them (the digest would
    // have, had review taken longer than a few hours).
    let mut expected = vec!["submitted", "accepted", "info_requested", "issued"];
    expected.sort();
    assert_eq!(kinds, expected, "one e-mail per step to the applicant");
    for mail in &applicant {
        assert_eq!(mail.header("X-Permitflow-Reference"), reference);
        assert_eq!(mail.header("Content-Language"), "zh-CN");
        assert!(mail.header("Subject").contains(&reference));
        let (text, html) = mail.parts();
        assert!(
            text.contains(&reference) && html.contains(&reference),
            "both parts"
        );
        assert!(text.contains("您好"), "in the applicant's language: {text}");
        // The permit e-mail links to the permit, every other one to the application.
        let link = match mail.header("X-Permitflow-Event").as_str() {
            "issued" => format!("/permits/{}", issued["permit_no"].as_str().unwrap()),
            _ => format!("/applications/{id}"),
        };
        assert!(html.contains(&link) && text.contains(&link), "{link}");
    }
    let info = applicant
        .iter()
        .find(|m| m.header("X-Permitflow-Event") == "info_requested")
        .unwrap();
    assert!(
        info.parts().0.contains("第二页护送方案缺失"),
        "the question itself"
    );
    assert!(info.header("Subject").contains("请补充材料"));
    let permit_mail = applicant
        .iter()
        .find(|m| m.header("X-Permitflow-Event") == "issued")
        .unwrap()
        .parts()
        .0;
    assert!(
        permit_mail.contains("夜间通行"),
        "the conditions: {permit_mail}"
    );
    assert!(
        permit_mail.contains("上次邮件以来已同意的单位")
            && permit_mail.contains("木垒哈萨克自治县公安局交通警察大队"),
        "the approvals, by name: {permit_mail}"
    );
    // Its validity, trips and plates; counties by name, not code; Beijing time, not a zone.
    assert!(
        permit_mail.contains("有效期：")
            && permit_mail.contains("通行趟数：")
            && permit_mail.contains("新B12345"),
        "{permit_mail}"
    );
    assert!(
        !permit_mail.contains("652328,") && !permit_mail.contains("(652328"),
        "{permit_mail}"
    );
    for mail in &mails {
        assert!(
            !mail.parts().0.contains("Asia/Shanghai"),
            "{}",
            mail.parts().0
        );
    }
    // The police, whose question was answered, read the answer.
    let answered = to(&mails, "652328-police@demo.local")
        .into_iter()
        .find(|m| m.header("X-Permitflow-Event") == "answer_received")
        .expect("the answer e-mail");
    assert!(
        answered.parts().0.contains("已补充"),
        "{}",
        answered.parts().0
    );

    // Reviewers hear when work lands in their queue: the issuer twice (acceptance, issuance),
    // the Mulei police twice (opened, re-opened with the answer), everyone else once.
    let opened: Vec<&Received> = mails
        .iter()
        .filter(|m| {
            let kind = m.header("X-Permitflow-Event");
            kind == "task_opened" || kind == "answer_received"
        })
        .collect();
    let mut per_reviewer: BTreeMap<String, usize> = BTreeMap::new();
    for m in &opened {
        *per_reviewer.entry(m.to[0].clone()).or_default() += 1;
    }
    assert_eq!(per_reviewer.len(), 10, "{per_reviewer:?}");
    assert_eq!(per_reviewer["650000-highway@demo.local"], 2);
    assert_eq!(per_reviewer["652328-police@demo.local"], 2);
    assert_eq!(per_reviewer["650521-transport@demo.local"], 1);

    // Every Message-ID is unique.
    let ids: std::collections::BTreeSet<String> =
        mails.iter().map(|m| m.header("Message-ID")).collect();
    assert_eq!(ids.len(), mails.len());
    // Nothing left to send.
    assert_eq!(app.run_jobs().await["emails_sent"], 0);
}

#[tokio::test]
async fn approvals_come_as_a_digest_at_most_every_few_hours() {
    let smtp = SmtpServer::start(false);
    let app = app_with_smtp(smtp.url()).await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    let id = submitted["id"].as_str().unwrap().to_string();
    let accepted = flow.approve(&tasks(&submitted, "acceptance")[0], &[]).await;
    let reviews = tasks(&accepted, "joint_review");
    // Three approvals within the hour: nothing yet (the acceptance e-mail was the last news).
    for task in &reviews[..3] {
        flow.approve(task, &["夜间通行"]).await;
    }
    app.advance_clock(60).await;
    assert_eq!(app.run_jobs().await["digests"], 0);
    let digests = |mails: &[Received]| -> Vec<Received> {
        to(mails, "applicant@demo.local")
            .into_iter()
            .filter(|m| m.header("X-Permitflow-Event") == "review_approved")
            .collect()
    };
    assert!(digests(&smtp.received()).is_empty());
    // Three hours after the last news, one e-mail tells all three, and who is left.
    app.advance_clock(2 * 60 + 1).await;
    assert_eq!(app.run_jobs().await["digests"], 1);
    let first = digests(&smtp.received());
    assert_eq!(first.len(), 1);
    let text = first[0].parts().0;
    assert_eq!(text.matches("，条件：夜间通行").count(), 3, "{text}");
    assert!(text.contains("尚在审核"), "{text}");
    assert!(first[0].header("Subject").contains("3 个单位已同意"));
    // Nothing new, nothing sent; a fourth approval waits for the next window.
    assert_eq!(app.run_jobs().await["digests"], 0);
    flow.approve(&reviews[3], &[]).await;
    app.advance_clock(30).await;
    assert_eq!(app.run_jobs().await["digests"], 0);
    app.advance_clock(3 * 60).await;
    assert_eq!(app.run_jobs().await["digests"], 1);
    let second = digests(&smtp.received());
    assert_eq!(second.len(), 2);
    let latest = second
        .iter()
        .find(|m| m.header("Subject").contains("1 个单位已同意"))
        .expect("a digest of the one new approval");
    let text = latest.parts().0;
    assert_eq!(
        text.matches("\n- ").count(),
        1,
        "only the new approval: {text}"
    );
    // The application's timeline records what was told.
    let events: Value = flow
        .get(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/events"),
        )
        .await
        .json()
        .await
        .unwrap();
    let told = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "progress_reported")
        .count();
    assert_eq!(told, 2, "{events}");
}

#[tokio::test]
async fn english_speakers_get_english_and_endings_are_told() {
    let smtp = SmtpServer::start(false);
    let app = app_with_smtp(smtp.url()).await;
    let mut flow = Flow::new(&app).await;
    flow.applicant = app.token("applicant2@demo.local", "permitflow-demo").await;
    let submitted = flow.submitted(&blade()).await;
    let accepted = flow.approve(&tasks(&submitted, "acceptance")[0], &[]).await;
    let barkol = tasks(&accepted, "joint_review")
        .into_iter()
        .find(|t| t["authority_code"] == "650521-TRANSPORT")
        .unwrap();
    let token = flow.reviewer("650521-TRANSPORT").await;
    flow.decide(
        &token,
        barkol["id"].as_str().unwrap(),
        json!({"decision": "reject", "comment": "Bridge K12 closed for repair"}),
    )
    .await;
    let second = flow.submitted(&blade()).await;
    flow.post(
        &flow.applicant,
        &format!(
            "/api/v1/applications/{}/withdraw",
            second["id"].as_str().unwrap()
        ),
        &json!({}),
    )
    .await;
    app.run_jobs().await;

    let mine = to(&smtp.received(), "applicant2@demo.local");
    let mut kinds = events(&mine);
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            "accepted",
            "rejected",
            "submitted",
            "submitted",
            "withdrawn"
        ]
    );
    for mail in &mine {
        assert_eq!(mail.header("Content-Language"), "en");
        assert!(
            mail.parts().0.starts_with("Dear Li Na"),
            "{}",
            mail.parts().0
        );
    }
    let rejected = mine
        .iter()
        .find(|m| m.header("X-Permitflow-Event") == "rejected")
        .unwrap();
    assert!(rejected.header("Subject").contains("Application refused"));
    let text = rejected.parts().0;
    assert!(
        text.contains("Bridge K12 closed for repair") && text.contains("Barkol Transport Bureau"),
        "{text}"
    );
}

#[tokio::test]
async fn nothing_is_lost_while_the_mail_server_is_down() {
    let port = free_port();
    let app = app_with_smtp(format!("smtp://127.0.0.1:{port}")).await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    assert_eq!(
        submitted["status"], "submitted",
        "state changes do not wait for mail"
    );
    flow.approve(&tasks(&submitted, "acceptance")[0], &[]).await;

    let report = app.run_jobs().await;
    assert_eq!(report["emails_sent"], 0);
    // The first e-mails tried find nobody answering: the instance stops trying for now.
    let probed = report["emails_retried"].as_u64().unwrap();
    assert!((1..=4).contains(&probed), "{report}");
    let queued = outbox_counts(&app)["queued"];
    assert!(
        queued >= 11,
        "submitted, accepted and the task e-mails wait"
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(&format!(
            "permitflow_outbox_emails{{status=\"queued\"}} {queued}"
        )),
        "{metrics}"
    );
    // Run again at once: nothing is tried before the next probe.
    assert_eq!(app.run_jobs().await["emails_retried"], 0, "paused");
    // Four minutes of outage, probed every 15 s: still down, and no e-mail spends its
    // attempts on it (MAIL_MAX_ATTEMPTS counts what the server refused, not its absence).
    for _ in 0..16 {
        app.clock.advance(chrono::TimeDelta::seconds(15));
        let report = app.run_jobs().await;
        assert_eq!(report["emails_sent"], 0);
        assert!(report["emails_retried"].as_u64().unwrap() >= 1, "probed");
    }
    let mut conn = app.connect();
    let rows = permitflow::db::outbox::due_ids(&mut conn, app.clock.now(), 1000).unwrap();
    assert!(rows.len() as u64 <= queued);
    assert_eq!(outbox_counts(&app)["failed"], 0);
    assert_eq!(
        max_attempts(&app),
        0,
        "attempts given back while nobody answered"
    );

    let smtp = SmtpServer::start_on(
        std::net::TcpListener::bind(("127.0.0.1", port)).unwrap(),
        false,
    );
    // The server is back: everything goes at the next probe, within a minute, not after
    // a back-off that grew through the outage.
    app.clock.advance(chrono::TimeDelta::seconds(15));
    let report = app.run_jobs().await;
    assert_eq!(report["emails_sent"].as_u64().unwrap(), queued, "{report}");
    let mails = smtp.received();
    assert_eq!(mails.len() as u64, queued, "all of it, once");
    let ids: std::collections::BTreeSet<String> =
        mails.iter().map(|m| m.header("Message-ID")).collect();
    assert_eq!(ids.len(), mails.len());
}

#[tokio::test]
async fn two_instances_deliver_every_email_exactly_once() {
    let smtp = SmtpServer::start(false);
    let app = app_with_smtp(smtp.url()).await;
    let flow = Flow::new(&app).await;
    for _ in 0..8 {
        let submitted = flow.submitted(&blade()).await;
        flow.approve(&tasks(&submitted, "acceptance")[0], &[]).await;
    }
    let second = app.another_instance();
    let (a, b) = tokio::join!(app.run_jobs(), async {
        second
            .post_json("/api/v1/test/run-jobs", &json!({}))
            .await
            .json::<Value>()
            .await
            .unwrap()
    });
    let sent = a["emails_sent"].as_u64().unwrap() + b["emails_sent"].as_u64().unwrap();
    let mails = smtp.received();
    assert_eq!(mails.len() as u64, sent);
    // 8 × (submitted + accepted + acceptance task + nine review tasks).
    assert_eq!(mails.len(), 8 * 12);
    let ids: std::collections::BTreeSet<String> =
        mails.iter().map(|m| m.header("Message-ID")).collect();
    assert_eq!(ids.len(), mails.len(), "no e-mail twice");
    println!(
        "instance A sent {}, instance B sent {}",
        a["emails_sent"], b["emails_sent"]
    );
}

#[tokio::test]
async fn a_claim_on_postgres_skips_rows_another_worker_is_claiming() {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use permitflow::db::{outbox as q, DbConnection};
    // SQLite has one writer at a time: a second claim waits for the first and finds its rows
    // taken (the test above). On PostgreSQL claims run at once, row by row.
    let smtp = SmtpServer::start(false);
    let app = app_with_smtp(smtp.url()).await;
    if !matches!(
        app.settings.database,
        permitflow::config::DatabaseUrl::Postgres(_)
    ) {
        return;
    }
    let flow = Flow::new(&app).await;
    flow.submitted(&blade()).await;
    let now = app.clock.now();
    let mut holder = app.connect();
    let ids = q::due_ids(&mut holder, now, 100).unwrap();
    assert_eq!(ids.len(), 2, "submitted + acceptance task");
    // Another worker's claim holds the first row, not yet committed.
    let DbConnection::Pg(pg) = &mut holder else {
        unreachable!()
    };
    pg.batch_execute("BEGIN").unwrap();
    diesel::sql_query("SELECT id FROM outbox WHERE id = $1 FOR UPDATE")
        .bind::<diesel::sql_types::Text, _>(&ids[0])
        .execute(pg)
        .unwrap();
    let mut claimer = app.connect();
    let wanted = ids.clone();
    let claim = tokio::task::spawn_blocking(move || {
        let lease = now + chrono::TimeDelta::seconds(60);
        q::claim(&mut claimer, &wanted, "second", now, lease).unwrap()
    });
    let claimed = tokio::time::timeout(std::time::Duration::from_secs(5), claim).await;
    pg.batch_execute("ROLLBACK").unwrap();
    let claimed = claimed
        .expect("the claim waited for a row another worker holds")
        .unwrap();
    let claimed: Vec<&str> = claimed.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        claimed,
        vec![ids[1].as_str()],
        "the held row is left to its worker"
    );
}

#[tokio::test]
async fn a_worker_dying_mid_delivery_is_covered_by_the_next() {
    use permitflow::db::outbox as q;
    let smtp = SmtpServer::start(false);
    let app = app_with_smtp(smtp.url()).await;
    let flow = Flow::new(&app).await;
    flow.submitted(&blade()).await;
    let now = app.clock.now();
    // A worker claims everything with the lease an instance uses and dies before sending.
    let lease = permitflow::startup::state(app.settings.clone(), app.clock.clone())
        .unwrap()
        .mailer
        .lease;
    assert!(
        lease <= chrono::TimeDelta::seconds(60),
        "retaken within a minute"
    );
    let mut conn = app.connect();
    let ids = q::due_ids(&mut conn, now, 100).unwrap();
    assert_eq!(ids.len(), 2, "submitted + acceptance task");
    assert_eq!(
        q::claim(&mut conn, &ids, "dead-worker", now, now + lease)
            .unwrap()
            .len(),
        2
    );
    // Another claim of the same rows fails while the lease holds.
    assert!(q::claim(&mut conn, &ids, "other", now, now + lease)
        .unwrap()
        .is_empty());
    assert_eq!(app.run_jobs().await["emails_sent"], 0);
    app.clock.advance(lease + chrono::TimeDelta::seconds(1));
    assert_eq!(
        app.run_jobs().await["emails_sent"],
        2,
        "taken over after the lease"
    );
    assert_eq!(smtp.received().len(), 2);

    // A worker that sent but died before recording it: the e-mail goes once more, with the
    // same Message-ID, so the receiver can tell, and never a third time.
    flow.submitted(&blade()).await;
    let now = app.clock.now();
    let ids = q::due_ids(&mut conn, now, 100).unwrap();
    let row = q::claim(
        &mut conn,
        &ids[..1],
        "dying-worker",
        now,
        now + chrono::TimeDelta::minutes(5),
    )
    .unwrap()
    .remove(0);
    let transport =
        permitflow::mail::transport::Transport::new(app.settings.smtp_url.as_ref(), app.dir.path())
            .unwrap();
    let sent = row.clone();
    // Sending blocks (the delivery threads do it), so not on the test's own runtime.
    tokio::task::spawn_blocking(move || {
        let outgoing = permitflow::mail::transport::Outgoing {
            message_id: &sent.message_id,
            to_address: &sent.recipient,
            to_name: &sent.recipient_name,
            subject: &sent.subject,
            text: &sent.body_text,
            html: &sent.body_html,
            event: &sent.event_kind,
            reference: &sent.reference,
            language: &sent.language,
        };
        transport.send(
            &"permitflow <noreply@permitflow.test>".parse().unwrap(),
            &outgoing,
        )
    })
    .await
    .unwrap()
    .unwrap();
    app.advance_clock(6).await;
    app.run_jobs().await;
    app.advance_clock(10).await;
    app.run_jobs().await;
    let copies = smtp
        .received()
        .iter()
        .filter(|m| m.header("Message-ID") == row.message_id)
        .count();
    assert_eq!(copies, 2, "at most once more");
}

#[tokio::test]
async fn permanent_refusals_fail_fast_and_an_operator_can_retry() {
    let smtp = SmtpServer::start(true);
    let app = app_with_smtp(smtp.url()).await;
    let flow = Flow::new(&app).await;
    flow.submitted(&blade()).await;
    let report = app.run_jobs().await;
    assert_eq!(
        (
            report["emails_sent"].as_u64(),
            report["emails_failed"].as_u64()
        ),
        (Some(0), Some(2)),
        "550 is not retried"
    );
    let admin = app.token("admin@demo.local", "permitflow-demo").await;
    let failed: Vec<Value> = app
        .get_as("/api/v1/admin/emails/failed", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(failed.len(), 2);
    assert!(
        failed[0]["last_error"].as_str().unwrap().contains("550"),
        "{}",
        failed[0]
    );
    assert_eq!(failed[0]["attempts"], 1);
    assert_eq!(
        app.get_as("/api/v1/admin/emails/failed", &flow.applicant)
            .await
            .status(),
        403
    );
    let id = failed[0]["id"].as_str().unwrap();
    let retry = app
        .client
        .post(app.url(&format!("/api/v1/admin/emails/{id}/retry")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 200);
    assert_eq!(
        app.run_jobs().await["emails_failed"],
        1,
        "tried again, refused again"
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("permitflow_outbox_emails{status=\"failed\"} 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn without_an_smtp_server_mail_is_written_as_files() {
    let app = spawn_app_with(|_| {}).await;
    let flow = Flow::new(&app).await;
    flow.submitted(&blade()).await;
    assert_eq!(app.run_jobs().await["emails_sent"], 2);
    let files: Vec<_> = std::fs::read_dir(app.dir.path().join("mail"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 2);
    assert!(files
        .iter()
        .all(|p| p.extension().is_some_and(|e| e == "eml")));
    let raw = std::fs::read(&files[0]).unwrap();
    let mail = Received { to: vec![], raw };
    assert!(!mail.header("X-Permitflow-Event").is_empty());
}

/// Outbox rows by status.
fn outbox_counts(app: &TestApp) -> std::collections::HashMap<&'static str, u64> {
    let stats = permitflow::db::outbox::stats(&mut app.connect()).unwrap();
    [
        ("queued", stats.queued),
        ("sending", stats.sending),
        ("sent", stats.sent),
        ("failed", stats.failed),
    ]
    .into_iter()
    .map(|(k, v)| (k, v as u64))
    .collect()
}

/// The most attempts any outbox row has spent.
fn max_attempts(app: &TestApp) -> i32 {
    use diesel::prelude::*;
    use permitflow::db::schema::outbox::dsl::*;
    outbox
        .select(diesel::dsl::max(attempts))
        .first::<Option<i32>>(&mut app.connect())
        .unwrap()
        .unwrap_or(0)
}
