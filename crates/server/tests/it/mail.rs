//! The outbox over SMTP (SPEC §9.4), against a real SMTP server
//! (mailin-embedded on port 0): an invitation is delivered, retried after a
//! temporary refusal, given up after a permanent one, and the outbox shows
//! each message's delivery.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin_embedded::{Handler, Response, Server, response};
use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn::{TestServer, backends, password_of, start_with};

/// One message as the SMTP server received it.
#[derive(Clone, Debug)]
struct Received {
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

/// What the SMTP server does with messages.
#[derive(Clone, Copy, Debug)]
enum Behaviour {
    /// Refuses the recipient of the first `n` attempts with 451 (as a
    /// greylisting server does), then accepts.
    Greylist(u32),
    /// Refuses every recipient with 550.
    NoMailbox,
}

#[derive(Clone)]
struct Sink {
    behaviour: Behaviour,
    refused: Arc<Mutex<u32>>,
    received: Arc<Mutex<Vec<Received>>>,
    current: Option<Received>,
}

impl Handler for Sink {
    fn rcpt(&mut self, _to: &str) -> Response {
        match self.behaviour {
            Behaviour::NoMailbox => response::NO_MAILBOX,
            Behaviour::Greylist(n) => {
                let mut refused = self.refused.lock().unwrap();
                if *refused < n {
                    *refused += 1;
                    response::INTERNAL_ERROR
                } else {
                    response::OK
                }
            }
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Received {
            from: from.to_owned(),
            to: to.to_vec(),
            data: Vec::new(),
        });
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(current) = &mut self.current {
            current.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let Some(message) = self.current.take() else {
            return response::INTERNAL_ERROR;
        };
        self.received.lock().unwrap().push(message);
        response::OK
    }
}

/// Starts an SMTP server on a free port; returns its URL and what it received.
fn smtp_server(behaviour: Behaviour) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = Sink {
        behaviour,
        refused: Arc::new(Mutex::new(0)),
        received: Arc::clone(&received),
        current: None,
    };
    let mut server = Server::new(sink);
    server.with_name("smtp.test").with_tcp_listener(listener);
    // The server runs until the test process ends.
    std::thread::spawn(move || server.serve().expect("the SMTP server runs"));
    (url, received)
}

async fn start_mailing(backend: &crate::spawn::Backend, smtp_url: String) -> TestServer {
    start_with(backend, |config| {
        config.smtp_url = Some(smtp_url);
        config.smtp_from = Some("Gatehouse <gatehouse@example.com>".to_owned());
        config.smtp_retry_secs = 1;
        config.public_url = Some("https://gatehouse.example.com".to_owned());
    })
    .await
}

/// The outbox's first message once `done` holds for it (within 30 s).
async fn outbox_message(t: &TestServer, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        let outbox = t.get("/api/v1/invitations", &t.admin).await;
        last = outbox.body["items"][0].clone();
        if done(&last) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        done(&last),
        "the outbox message never reached the expected state: {last}"
    );
    last
}

/// The text of a received message's body, decoded.
fn body_text(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data).replace("\r\n", "\n");
    let (headers, body) = text.split_once("\n\n").unwrap();
    if headers
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: quoted-printable")
    {
        let decoded =
            quoted_printable::decode(body.replace('\n', "\r\n"), quoted_printable::ParseMode::Robust).unwrap();
        String::from_utf8(decoded).unwrap()
    } else {
        body.to_owned()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invitation_is_sent_over_smtp_after_greylisting() {
    for backend in backends() {
        let (smtp_url, received) = smtp_server(Behaviour::Greylist(1));
        let t = start_mailing(&backend, smtp_url).await;
        let created = t
            .post("/api/v1/users", &t.admin, &json!({"email": "dana@example.com"}))
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);

        let sent = outbox_message(&t, |m| m["status"] == "sent").await;
        assert_eq!(sent["to"], "dana@example.com");
        assert_eq!(sent["attempts"], 1, "{backend:?}: one refusal, then sent");
        assert!(sent["sent_at"].is_string());
        assert_eq!(sent["body"], "", "a sent message keeps no copy of its link");

        let messages = received.lock().unwrap().clone();
        assert_eq!(messages.len(), 1, "{backend:?}: delivered once");
        assert_eq!(messages[0].from, "gatehouse@example.com");
        assert_eq!(messages[0].to, ["dana@example.com"]);
        let body = body_text(&messages[0].data);
        let secret = body
            .split("https://gatehouse.example.com/invitations/")
            .nth(1)
            .expect("the message carries the invitation link")
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();

        let accept = t
            .call(
                Method::POST,
                &format!("/api/v1/invitations/{secret}/accept"),
                None,
                Some(&json!({"password": password_of("dana")})),
            )
            .await;
        assert_eq!(
            accept.status, 204,
            "{backend:?}: the mailed link works: {:?}",
            accept.body
        );
        t.token_for("dana@example.com", &password_of("dana")).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permanent_refusal_is_given_up_and_kept_for_an_admin() {
    let (smtp_url, received) = smtp_server(Behaviour::NoMailbox);
    let t = start_mailing(&crate::spawn::Backend::Sqlite, smtp_url).await;
    let created = t
        .post("/api/v1/users", &t.admin, &json!({"email": "erin@example.com"}))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);

    let failed = outbox_message(&t, |m| m["status"] == "failed").await;
    assert_eq!(failed["attempts"], 1, "a permanent refusal is not retried");
    assert!(
        failed["last_error"].as_str().unwrap().contains("550"),
        "{:?}",
        failed["last_error"]
    );
    let body = failed["body"].as_str().unwrap();
    assert!(
        !body.contains("/invitations/") && body.contains("[link withheld"),
        "the outbox never shows a live link (an admin re-sends instead): {body}"
    );
    assert_eq!(failed["sent_at"], Value::Null);
    assert!(received.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_reset_link_is_mailed_and_works_once() {
    let (smtp_url, received) = smtp_server(Behaviour::Greylist(0));
    let t = start_mailing(&crate::spawn::Backend::Sqlite, smtp_url).await;
    t.user("fred").await;
    let asked = t
        .call(
            Method::POST,
            "/api/v1/auth/password-reset",
            None,
            Some(&json!({"email": "fred@example.com"})),
        )
        .await;
    assert_eq!(asked.status, 202);
    let sent = outbox_message(&t, |m| m["status"] == "sent").await;
    assert_eq!(sent["to"], "fred@example.com");
    let messages = received.lock().unwrap().clone();
    assert_eq!(messages.len(), 1);
    let body = body_text(&messages[0].data);
    let secret = body
        .split("https://gatehouse.example.com/password-reset/")
        .nth(1)
        .expect("the message carries the reset link")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/auth/password-reset/{secret}");
    let reset = t
        .call(
            Method::POST,
            &path,
            None,
            Some(&json!({"password": "fred-chose-a-new-one"})),
        )
        .await;
    assert_eq!(reset.status, 204, "{:?}", reset.body);
    t.token_for("fred", "fred-chose-a-new-one").await;
    let again = t
        .call(
            Method::POST,
            &path,
            None,
            Some(&json!({"password": "fred-tries-it-twice"})),
        )
        .await;
    assert_eq!(again.status, 404, "single use");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invitation_mailed_from_the_ui_answers_a_redirect_so_a_reload_sends_nothing() {
    let (smtp_url, received) = smtp_server(Behaviour::Greylist(0));
    let t = start_mailing(&crate::spawn::Backend::Sqlite, smtp_url).await;
    let login = t
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&json!({"username": "admin", "password": crate::spawn::ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(login.status, 200, "{:?}", login.body);
    let csrf = login.body["csrf_token"].as_str().unwrap().to_owned();
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let invite_form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("csrf_token", csrf.as_str()), ("email", "hana@example.com")])
        .finish();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let invite = || {
        browser
            .post(format!("{}/invitations", t.url))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(invite_form.clone())
            .send()
    };
    let invited = invite().await.unwrap();
    assert_eq!(invited.status(), 303, "a mailed invitation answers a redirect");
    let location = invited.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/invitations?done=sent");

    // What a reload shows: the notice, from a GET that writes nothing.
    let revision = t.revision().await;
    for _ in 0..2 {
        let page = browser
            .get(format!("{}{location}", t.url))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Invitation sent"), "{html}");
        assert!(!html.contains("Invitation link"), "no link when it was mailed");
    }
    assert_eq!(t.revision().await, revision, "reloading the notice wrote nothing");
    outbox_message(&t, |m| m["status"] == "sent").await;
    let outbox = t.get("/api/v1/invitations", &t.admin).await;
    assert_eq!(
        outbox.body["items"].as_array().map(Vec::len),
        Some(1),
        "one invitation in the outbox: {:?}",
        outbox.body
    );
    assert_eq!(received.lock().unwrap().len(), 1, "one message delivered");

    // Inviting the same address again says the old link is spent.
    let again = invite().await.unwrap();
    assert_eq!(again.status(), 303);
    assert_eq!(again.headers()["location"], "/invitations?done=resent");
}
