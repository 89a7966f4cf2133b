//! The Interactions Endpoint URL: `POST /interactions`, for
//! `[discord].interactions = "http"`. Discord posts each interaction once,
//! signed with the application's Ed25519 key over the timestamp and body; a
//! missing or bad signature gets 401 (Discord checks that it does when the
//! URL is saved), and so does a signed timestamp more than [`FRESH`] from
//! now: the instances forget an interaction's id after a day, and a
//! captured request must not be replayed after that. `PING` gets `PONG`. A command is answered in the HTTP
//! response, or, if the application layer is slow, deferred within
//! Discord's three seconds and completed over REST. Any number of instances
//! can serve it behind a load balancer: they keep no state of their own, and
//! an interaction delivered twice (a retrying balancer) takes effect once
//! and is answered with the first answer.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use serenity::all::Interaction;
use serenity::interactions_endpoint::Verifier;

use super::answer::{deferral, identity, language_of, Answer, Answerer};
use super::rest::Rest;
use super::DEFER_AFTER;
use crate::app::commands::handled_once;
use crate::app::EventId;
use crate::domain::customer::Language;

/// The largest body accepted. Discord's interactions are a few kilobytes,
/// their resolved users and messages included.
pub const BODY_LIMIT: usize = 256 * 1024;

/// How far a request's signed timestamp may be from now.
pub const FRESH: Duration = Duration::from_secs(5 * 60);

/// How long an instance that got an interaction another instance applied
/// waits for that instance's answer before deferring it.
const FIRST_ANSWER_WAIT: Duration = Duration::from_millis(1000);
/// … and then, deferred, before saying it is being handled.
const FIRST_ANSWER_PATIENCE: Duration = Duration::from_secs(30);

struct Endpoint {
    answerer: Answerer,
    rest: Arc<Rest>,
    verifier: Verifier,
}

/// `POST /interactions`, verified with the application's public key.
pub fn router(answerer: Answerer, rest: Arc<Rest>, public_key: [u8; 32]) -> anyhow::Result<Router> {
    let verifier = Verifier::try_new(public_key).map_err(|e| anyhow::anyhow!("discord.public_key: {e}"))?;
    let endpoint = Arc::new(Endpoint { answerer, rest, verifier });
    Ok(Router::new()
        .route("/interactions", post(interactions))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(endpoint))
}

async fn interactions(State(endpoint): State<Arc<Endpoint>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(signature), Some(timestamp)) = (header("x-signature-ed25519"), header("x-signature-timestamp")) else {
        return (StatusCode::UNAUTHORIZED, "missing signature headers").into_response();
    };
    if endpoint.verifier.verify(signature, timestamp, &body).is_err() {
        tracing::warn!("an interaction with a bad signature was refused");
        return (StatusCode::UNAUTHORIZED, "invalid request signature").into_response();
    }
    let now = endpoint.answerer.app.now();
    let signed_at = timestamp.parse::<i64>().ok().and_then(|t| chrono::DateTime::from_timestamp(t, 0));
    let fresh = chrono::Duration::from_std(FRESH).unwrap_or_default();
    if signed_at.is_none_or(|t| (t - now).abs() > fresh) {
        tracing::warn!(timestamp, "an interaction signed too far from now was refused (a replay?)");
        return (StatusCode::UNAUTHORIZED, "request timestamp too far from now").into_response();
    }
    let interaction: Interaction = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(e) => {
            // Where and what kind of problem, not the error's text, which
            // may quote what someone typed.
            let (kind, line, column) = (format!("{:?}", e.classify()), e.line(), e.column());
            tracing::warn!(kind, line, column, "a signed interaction this bot cannot read");
            return (StatusCode::BAD_REQUEST, "unreadable interaction").into_response();
        }
    };
    if let Interaction::Ping(_) = interaction {
        return Json(json!({"type": 1})).into_response();
    }
    let Some((id, token)) = identity(&interaction) else {
        return (StatusCode::BAD_REQUEST, "an interaction kind this bot does not use").into_response();
    };
    let (id, token, lang) = (id, token.to_owned(), language_of(&interaction));
    let event = EventId::Interaction(id.get()).key();
    let mut answering = {
        let endpoint = endpoint.clone();
        tokio::spawn(async move { endpoint.answerer.answer(&interaction).await })
    };
    let app = &endpoint.answerer.app;
    let arrived = std::time::Instant::now();
    let answer = tokio::select! {
        answered = &mut answering => answered,
        () = tokio::time::sleep(DEFER_AFTER) => {
            // Slow: "thinking…" now, the answer as the deferral's edit.
            let endpoint = endpoint.clone();
            tokio::spawn(async move {
                if let Ok(answer) = answering.await {
                    endpoint.complete(&token, &event, &answer, lang).await;
                }
            });
            return Json(deferral()).into_response();
        }
    };
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "answering an interaction failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if answer.has_files() {
        // Files go up with a REST request, not in this response: defer, then edit them in.
        let endpoint = endpoint.clone();
        tokio::spawn(async move { endpoint.complete(&token, &event, &answer, lang).await });
        return Json(deferral()).into_response();
    }
    match answer.response() {
        Some(body) => {
            // A retried delivery of this interaction is answered the same;
            // kept after the response is on its way. An answer that shows
            // someone's personal data is not kept: the retry is told that
            // the request was handled.
            let reply = match answer.keepable() {
                true => body.to_string(),
                false => kept_instead(lang).to_string(),
            };
            let kept = app.clone();
            tokio::spawn(async move {
                if let Err(e) = kept.remember_reply(&event, &reply).await {
                    tracing::warn!(error = %e, "cannot keep the interaction's answer");
                }
            });
            app.metrics().interaction_seconds.observe(arrived.elapsed().as_secs_f64());
            Json(body).into_response()
        }
        None => endpoint.first_answer(&event, token, lang).await,
    }
}

impl Endpoint {
    /// Completes a deferred interaction with its answer.
    async fn complete(&self, token: &str, event: &str, answer: &Answer, lang: Language) {
        let app = &self.answerer.app;
        let Some(edit) = answer.edit() else {
            // Another instance applied it: that instance's answer, once kept.
            self.edit_with_first_answer(token, event, lang).await;
            return;
        };
        if let Some(body) = answer.response() {
            let reply = if answer.keepable() { body } else { kept_instead(lang) };
            if let Err(e) = app.remember_reply(event, &reply.to_string()).await {
                tracing::warn!(error = %e, "cannot keep the interaction's answer");
            }
        }
        if let Err(e) = self.rest.edit_response(token, edit, answer.files()).await {
            tracing::error!(error = %e, "the deferred interaction answer failed");
        }
    }

    /// The response to an interaction another instance applied: the answer it
    /// gave, if it has been kept; else a deferral, completed with it later.
    async fn first_answer(self: &Arc<Self>, event: &str, token: String, lang: Language) -> Response {
        let app = &self.answerer.app;
        let give_up = tokio::time::Instant::now() + FIRST_ANSWER_WAIT;
        while tokio::time::Instant::now() < give_up {
            if let Ok(Some(Some(reply))) = app.claimed_reply(event).await {
                if let Ok(body) = serde_json::from_str::<Value>(&reply) {
                    return Json(body).into_response();
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let endpoint = self.clone();
        let event = event.to_owned();
        tokio::spawn(async move { endpoint.edit_with_first_answer(&token, &event, lang).await });
        Json(deferral()).into_response()
    }

    /// Edits a deferred response with the answer another instance kept, or
    /// says the request is being handled.
    async fn edit_with_first_answer(&self, token: &str, event: &str, lang: Language) {
        let app = &self.answerer.app;
        let give_up = tokio::time::Instant::now() + FIRST_ANSWER_PATIENCE;
        let content = loop {
            if let Ok(Some(Some(reply))) = app.claimed_reply(event).await {
                let body: Value = serde_json::from_str(&reply).unwrap_or(Value::Null);
                break body["data"]["content"].as_str().map(str::to_owned);
            }
            if tokio::time::Instant::now() >= give_up {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        let content = content.unwrap_or_else(|| super::render::markdown(&handled_once(lang)));
        let edit = serenity::all::EditInteractionResponse::new()
            .content(content)
            .allowed_mentions(super::render::mentions(&[]));
        let edit = serde_json::to_value(edit).unwrap_or_default();
        if let Err(e) = self.rest.edit_response(token, edit, vec![]).await {
            tracing::error!(error = %e, "the deferred interaction answer failed");
        }
    }
}

/// What is kept instead of an answer that shows personal data.
fn kept_instead(lang: Language) -> Value {
    let content = super::render::markdown(&handled_once(lang));
    serde_json::to_value(ephemeral_reply(content)).unwrap_or_default()
}

/// An ephemeral reply of `content`, mentioning nobody.
fn ephemeral_reply(content: String) -> serenity::all::CreateInteractionResponse {
    serenity::all::CreateInteractionResponse::Message(
        serenity::all::CreateInteractionResponseMessage::new()
            .content(content)
            .ephemeral(true)
            .allowed_mentions(super::render::mentions(&[])),
    )
}
