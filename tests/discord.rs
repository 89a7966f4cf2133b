//! The Discord adapter end to end: the real serenity client of the library,
//! run by `adapters::discord::run`, against the fake Discord of
//! `support/fake_discord.rs` on 127.0.0.1. Every request body the bot sends is
//! checked against Discord's OpenAPI description.

use crate::support;
use std::path::Path;
use std::sync::Arc;

use crate::support::fake_discord::{self as fake, Failure, FakeDiscord, Request, STAFF_ROLE};
use crate::support::{cmd, TestDb};
use chrono::{DateTime, Utc};
use priority_line::app::{App, Invocation, ManualClock};
use priority_line::config::Config;
use priority_line::domain::customer::Snowflake;
use priority_line::domain::record::FileState;
use serde_json::{json, Value};

const ACME_CHANNEL: u64 = 310000000000000001;
const GLOBEX_CHANNEL: u64 = 310000000000000002;
const TAM_ACME: u64 = 400000000000000002;
const BACKUP_ACME: u64 = 400000000000000003;
const ENGINEER: u64 = 410000000000000001;
const ALICE: u64 = 500000000000000001;
const BOB: u64 = 500000000000000002;
const MALLORY: u64 = 500000000000000099;
/// `[transcripts].channel` of the example.
const TRANSCRIPTS: u64 = 310000000000000014;

/// Monday 30 November 2026, 10:00 in Madrid: inside Acme's working hours.
fn monday_morning() -> DateTime<Utc> {
    "2026-11-30T09:00:00Z".parse().unwrap()
}

struct Bot {
    fake: FakeDiscord,
    app: App,
    clock: Arc<ManualClock>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    db: TestDb,
}

impl Bot {
    /// The bot, connected to a fresh fake Discord, with ALICE a contact of
    /// ACME and BOB one of GLOBEX.
    async fn start() -> Bot {
        Bot::start_with(|_| {}).await
    }

    /// The bot with the example's configuration changed by `tweak`.
    async fn start_with(tweak: impl FnOnce(&mut Config)) -> Bot {
        let fake = FakeDiscord::start().await;
        let db = support::sqlite().await;
        let mut config = Config::load(Path::new("config/example.toml")).unwrap();
        tweak(&mut config);
        let mut discord = config.discord.clone().expect("the example has [discord]");
        discord.api_base = fake.api_base();
        let clock = Arc::new(ManualClock::new(monday_morning()));
        let app = App::new(Arc::new(config), db.store.clone(), clock.clone());
        for (user, channel) in [(ALICE, ACME_CHANNEL), (BOB, GLOBEX_CHANNEL)] {
            let staff = Invocation {
                user: Snowflake(ENGINEER),
                is_staff: true,
                is_specialist: false,
                channel: Snowflake(channel),
                language: None,
                event: None,
                named_staff: vec![],
            };
            let out = app.handle(&staff, cmd("contacts add", &[("user", &user.to_string())])).await;
            assert!(out.text().plain().starts_with("Added"), "{:?}", out.reply);
        }
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let bot_app = app.clone();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            priority_line::adapters::discord::run(bot_app, &discord, "fake-token", shutdown).await
        });
        fake.connected(1).await;
        Bot { fake, app, clock, stop: Some(stop), task, db }
    }

    /// Moves the bot's clock on once what is due now has been delivered and
    /// recorded: a delivery still in flight would otherwise see its lease
    /// run out on the moved clock and be taken over (sent again with its
    /// nonce), which is right for the bot and noise for a test. Waits at
    /// most 30 s (a guard against a hung test, not a timing).
    async fn advance(&self, by: chrono::Duration) {
        support::eventually(|| async {
            let idle = self.app.metrics().deliveries_in_flight.get() == 0;
            let next = self.app.next_due().await.unwrap();
            match idle && next.is_none_or(|at| at > self.clock_now()) {
                true => Ok(()),
                false => Err(format!("the outbox did not settle: next due {next:?}")),
            }
        })
        .await;
        self.clock.advance(by);
    }

    /// Sends a slash command as `member` in `channel` and returns the
    /// interaction callback the bot answered with.
    async fn slash(&self, channel: u64, member: Value, locale: &str, name: &str, options: Value) -> Value {
        let id = self.fake.next_id();
        self.fake.dispatch("INTERACTION_CREATE", fake::slash(id, channel, member, locale, name, options));
        self.callback(id).await
    }

    async fn callback(&self, interaction: u64) -> Value {
        self.fake.request("POST", &format!("/interactions/{interaction}/token-{interaction}/callback"), 1).await.body
    }

    /// Alice opens an L1 ticket; returns (thread id, card message request).
    async fn open_critical(&self) -> (u64, Request) {
        let options = json!([{"name": "open", "type": 1, "options": [
            {"name": "summary", "type": 3, "value": "VPN down for all users @everyone"},
            {"name": "severity", "type": 4, "value": 1}
        ]}]);
        let reply = self.slash(ACME_CHANNEL, alice(), "en-US", "ticket", options).await;
        assert!(text(&reply).starts_with("Opened **ACME-1**"), "{reply}");
        let created = self.fake.request("POST", &format!("/channels/{ACME_CHANNEL}/threads"), 1).await;
        let thread = self
            .fake
            .wait_for("the thread", |f| {
                f.threads().into_iter().find(|(_, t)| t.parent == ACME_CHANNEL).map(|(id, _)| id)
            })
            .await;
        assert_eq!(created.body["type"], 12, "a private thread: {}", created.body);
        // The L1 ping first, once the thread's id was stored; the card follows.
        let ping = self.fake.request("POST", &format!("/channels/{thread}/messages"), 1).await;
        assert!(ping.body["content"].as_str().is_some_and(|c| c.contains("(L1)")), "{}", ping.body);
        let card = self.fake.request("POST", &format!("/channels/{thread}/messages"), 2).await;
        assert!(card.body["embeds"][0]["title"].is_string(), "{}", card.body);
        // Then the members; the opening is over once the card's id is stored.
        for user in [ALICE, TAM_ACME, BACKUP_ACME] {
            self.fake.request("PUT", &format!("/channels/{thread}/thread-members/{user}"), 1).await;
        }
        let number: priority_line::domain::ticket::TicketNumber = "ACME-1".parse().unwrap();
        support::eventually(|| async {
            let stored = self.app.store().ticket(&number).await.map_err(|e| e.to_string())?;
            stored.and_then(|t| t.card_message_id).map(|_| ()).ok_or("the card's id is not stored yet".to_owned())
        })
        .await;
        (thread, card)
    }

    fn clock_now(&self) -> DateTime<Utc> {
        priority_line::app::Clock::now(self.clock.as_ref())
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let ended = tokio::time::timeout(std::time::Duration::from_secs(30), self.task).await;
        assert!(matches!(ended, Ok(Ok(Ok(())))), "the bot did not shut down cleanly: {ended:?}");
        self.fake.assert_valid();
        self.db.finish().await;
    }
}

fn alice() -> Value {
    fake::member(ALICE, "alice", &[])
}

fn engineer() -> Value {
    fake::member(ENGINEER, "engineer", &[STAFF_ROLE])
}

/// The content of an interaction callback.
fn text(callback: &Value) -> &str {
    callback["data"]["content"].as_str().unwrap_or("")
}

fn assert_ephemeral(callback: &Value) {
    assert_eq!(callback["type"], 4, "a message reply: {callback}");
    assert_eq!(callback["data"]["flags"].as_u64().map(|f| f & 64), Some(64), "ephemeral: {callback}");
    assert_eq!(callback["data"]["allowed_mentions"]["parse"], json!([]), "no mass mentions: {callback}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_registered_in_the_guild_with_spanish_localisations() {
    let bot = Bot::start().await;
    let put = bot.fake.request("PUT", &format!("/guilds/{}/commands", fake::GUILD), 1).await;
    let commands = put.body.as_array().expect("an array of commands");
    let names: Vec<&str> = commands.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["ticket", "ack", "contacts", "queue", "signature", "summary"]);
    assert_eq!(commands[0]["options"][0]["name_localizations"]["es-ES"], "abrir");
    assert_eq!(commands[0]["options"][0]["options"][0]["max_length"], 200, "summary ≤ 200 characters");
    let identify = bot.fake.sent().into_iter().find(|s| s.op == 2).unwrap();
    let intents = identify.d["intents"].as_u64().unwrap();
    assert_eq!(intents, 1 | 512 | 32768, "GUILDS, GUILD_MESSAGES and, for the record, MESSAGE_CONTENT");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_critical_ticket_gets_a_private_thread_a_card_and_a_tam_ping() {
    let bot = Bot::start().await;
    let (thread, card) = bot.open_critical().await;

    // The contact and both TAMs were added to the thread (open_critical).
    // The card: number, severity, summary, opener, deadline 30 min after opening.
    let embed = &card.body["embeds"][0];
    // Acme's language is Spanish: its cards are, whatever the opener's locale.
    assert_eq!(embed["title"], "ACME-1 · L1 Crítica");
    let due = monday_morning().timestamp() + 30 * 60;
    let fields = embed["fields"].to_string();
    assert!(fields.contains(&format!("<t:{due}:R>")) && fields.contains(&format!("<t:{due}:F>")), "{fields}");
    assert!(fields.contains(&format!("<@{ALICE}>")), "{fields}");
    assert_eq!(card.body["components"][0]["components"][0]["custom_id"], "ack:ACME-1");
    assert_eq!(card.body["allowed_mentions"]["parse"], json!([]));
    // The L1 ping names the TAMs and may mention only them: the summary's
    // @everyone is neutralised and not allowed to ping.
    let ping = bot.fake.request("POST", &format!("/channels/{thread}/messages"), 1).await;
    let content = ping.body["content"].as_str().unwrap();
    assert!(content.contains(&format!("<@{TAM_ACME}>")) && content.contains(&format!("<@{BACKUP_ACME}>")), "{content}");
    assert!(!content.contains("@everyone"), "{content}");
    assert_eq!(ping.body["allowed_mentions"]["parse"], json!([]));
    let mut pinged: Vec<String> = ping.body["allowed_mentions"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_owned())
        .collect();
    pinged.sort();
    assert_eq!(pinged, [TAM_ACME.to_string(), BACKUP_ACME.to_string()]);
    // Stored: the thread and card ids.
    let stored = bot.app.store().ticket(&"ACME-1".parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.thread_id, Some(Snowflake(thread)));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unregistered_user_is_refused_ephemerally_and_nothing_is_created() {
    let bot = Bot::start().await;
    let options = json!([{"name": "open", "type": 1, "options": [{"name": "summary", "type": 3, "value": "help"}]}]);
    let reply = bot.slash(ACME_CHANNEL, fake::member(MALLORY, "mallory", &[]), "en-US", "ticket", options).await;
    assert_ephemeral(&reply);
    assert!(text(&reply).contains("not a registered technical contact"), "{reply}");
    assert!(bot.fake.requests().iter().all(|r| !r.path.ends_with("/threads")), "no thread for a refusal");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_cannot_see_or_act_on_another_customers_ticket() {
    let bot = Bot::start().await;
    let bob = Invocation {
        user: Snowflake(BOB),
        is_staff: false,
        is_specialist: false,
        channel: Snowflake(GLOBEX_CHANNEL),
        language: None,
        event: None,
        named_staff: vec![],
    };
    let open = cmd("ticket open", &[("summary", "Globex secret"), ("severity", "4")]);
    assert!(bot.app.handle(&bob, open).await.text().plain().starts_with("Opened"));

    for (sub, extra) in [("status", json!([])), ("close", json!([]))] {
        let mut options = vec![json!({"name": "number", "type": 3, "value": "GLOBEX-1"})];
        options.extend(extra.as_array().unwrap().iter().cloned());
        let reply = bot
            .slash(ACME_CHANNEL, alice(), "en-US", "ticket", json!([{"name": sub, "type": 1, "options": options}]))
            .await;
        assert_ephemeral(&reply);
        assert!(text(&reply).contains("There is no ticket GLOBEX-1 among your tickets"), "{reply}");
        assert!(!reply.to_string().contains("Globex secret"), "{reply}");
    }
    let ticket = bot.app.store().ticket(&"GLOBEX-1".parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(ticket.state, priority_line::domain::ticket::TicketState::Open, "still open");
    bot.stop().await;
}

/// After an acknowledgement, the card is edited to "acknowledged" without the
/// button, and the thread is told who answered.
async fn assert_acknowledged(bot: &Bot, thread: u64) {
    let card_id = card_id(bot, thread).await;
    let edit = bot.fake.request("PATCH", &format!("/channels/{thread}/messages/{card_id}"), 1).await;
    let embed = &edit.body["embeds"][0];
    assert!(embed["fields"].to_string().contains("con acuse de recibo"), "{embed}");
    assert_eq!(edit.body["components"], json!([]), "no button once acknowledged");
    assert_eq!(edit.body["allowed_mentions"]["parse"], json!([]));
    bot.fake
        .wait_for("the acknowledgement post", |f| {
            f.requests().into_iter().find(|r| {
                r.method == "POST"
                    && r.path == format!("/channels/{thread}/messages")
                    && r.body["content"].as_str().is_some_and(|c| {
                        c.starts_with(&format!("<@{ENGINEER}> acusó recibo tras 0 s, dentro del objetivo de 30 min"))
                    })
            })
        })
        .await;
    let stored = bot.app.store().ticket(&"ACME-1".parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.acked_by, Some(Snowflake(ENGINEER)));
    assert_eq!(stored.acked_at, Some(monday_morning()));
}

async fn card_id(bot: &Bot, thread: u64) -> u64 {
    let stored = bot.app.store().ticket(&"ACME-1".parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.thread_id, Some(Snowflake(thread)));
    stored.card_message_id.expect("the card is recorded").0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_acknowledge_button_acknowledges_once() {
    let bot = Bot::start().await;
    let (thread, card) = bot.open_critical().await;
    let card_message = fake::message(card_id(&bot, thread).await, thread, fake::BOT_ID, &card.body);
    let press = |id| fake::button(id, thread, engineer(), "ack:ACME-1", card_message.clone());

    let first = bot.fake.next_id();
    bot.fake.dispatch("INTERACTION_CREATE", press(first));
    let reply = bot.callback(first).await;
    assert_ephemeral(&reply);
    assert!(text(&reply).starts_with("You acknowledged ACME-1"), "{reply}");
    assert_acknowledged(&bot, thread).await;

    let second = bot.fake.next_id();
    bot.fake.dispatch("INTERACTION_CREATE", press(second));
    let reply = bot.callback(second).await;
    assert!(text(&reply).contains("already acknowledged"), "{reply}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ack_in_the_thread_acknowledges_and_a_contact_cannot() {
    let bot = Bot::start().await;
    let (thread, _) = bot.open_critical().await;
    let reply = bot.slash(thread, alice(), "en-US", "ack", json!([])).await;
    assert_ephemeral(&reply);
    assert!(text(&reply).contains("Only support staff and TAMs can acknowledge"), "{reply}");

    let reply =
        bot.slash(thread, engineer(), "en-US", "ack", json!([{"name": "note", "type": 3, "value": "On it"}])).await;
    assert!(text(&reply).starts_with("You acknowledged ACME-1"), "{reply}");
    assert_acknowledged(&bot, thread).await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_staff_message_in_the_thread_acknowledges() {
    let bot = Bot::start().await;
    let (thread, _) = bot.open_critical().await;
    // The contact's own message and the bot's echo do not count.
    let id = bot.fake.next_id();
    bot.fake.dispatch("MESSAGE_CREATE", fake::typed_message(id, thread, ALICE, "alice", &[], "any news?"));
    let id = bot.fake.next_id();
    bot.fake.dispatch(
        "MESSAGE_CREATE",
        fake::typed_message(id, thread, ENGINEER, "engineer", &[STAFF_ROLE], "Looking now"),
    );
    assert_acknowledged(&bot, thread).await;
    let edits = bot.fake.requests().iter().filter(|r| r.method == "PATCH").count();
    assert_eq!(edits, 1, "one acknowledgement, one card edit");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_follow_the_discord_locale() {
    let bot = Bot::start().await;
    let list = json!([{"name": "list", "type": 1, "options": []}]);
    // Bob is a contact of Globex, an English customer; his Discord is in Spanish.
    let bob = fake::member(BOB, "bob", &[]);
    let reply = bot.slash(GLOBEX_CHANNEL, bob.clone(), "es-ES", "ticket", list.clone()).await;
    assert_ephemeral(&reply);
    assert_eq!(text(&reply), "Globex Corporation no tiene tickets abiertos.");
    let reply = bot.slash(GLOBEX_CHANNEL, bob, "en-GB", "ticket", list).await;
    assert_eq!(text(&reply), "Globex Corporation has no open tickets.");
    // A refusal in Spanish says what to do, with the Spanish command names.
    let mallory = fake::member(MALLORY, "mallory", &[]);
    let reply = bot.slash(ACME_CHANNEL, mallory, "es-419", "queue", json!([])).await;
    assert!(text(&reply).starts_with("Solo el equipo de soporte y los TAM pueden ver la cola"), "{reply}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_gateway_connection_is_resumed_without_losing_the_interaction() {
    let bot = Bot::start().await;
    bot.fake.drop_connection();
    // Dispatched while the bot is away: kept for the RESUME replay.
    let id = bot.fake.next_id();
    let options = json!([{"name": "list", "type": 1, "options": []}]);
    bot.fake.dispatch("INTERACTION_CREATE", fake::slash(id, ACME_CHANNEL, alice(), "en-US", "ticket", options));
    let reply = bot.callback(id).await;
    assert_ephemeral(&reply);
    let resume = bot.fake.sent().into_iter().find(|s| s.op == 6).expect("the bot resumed its session");
    assert_eq!(resume.d["session_id"], "fake-session-1");
    assert_eq!(bot.fake.sent().iter().filter(|s| s.op == 2).count(), 1, "resumed, not identified again");
    bot.stop().await;
}

/// serenity drops events it cannot read (logged at debug level only), so the
/// fake's payloads are checked against serenity's own types.
#[test]
fn the_fakes_payloads_are_what_serenity_reads() {
    use serenity::all::{Guild, GuildChannel, Interaction, Message, Ready};
    let member = fake::member(ALICE, "alice", &[]);
    serde_json::from_value::<Ready>(fake::ready(1, "fake-session-1")).expect("READY");
    serde_json::from_value::<serenity::all::CurrentApplicationInfo>(fake::application()).expect("the application");
    serde_json::from_value::<Guild>(fake::guild()).expect("GUILD_CREATE");
    serde_json::from_value::<GuildChannel>(fake::thread(7, ACME_CHANNEL, "ACME-1")).expect("a thread");
    let message = fake::message(8, 7, fake::BOT_ID, &json!({"content": "hi"}));
    serde_json::from_value::<Message>(message.clone()).expect("a message");
    serde_json::from_value::<Message>(fake::typed_message(9, 7, ALICE, "alice", &[], "hi")).expect("MESSAGE_CREATE");
    let slash = fake::slash(10, ACME_CHANNEL, member.clone(), "es-ES", "queue", json!([]));
    assert!(matches!(serde_json::from_value::<Interaction>(slash).expect("a slash command"), Interaction::Command(_)));
    let button = fake::button(11, 7, member, "ack:ACME-1", message);
    assert!(matches!(serde_json::from_value::<Interaction>(button).expect("a button"), Interaction::Component(_)));
}

/// The checker that every test's requests go through refuses what Discord refuses.
#[test]
fn the_openapi_check_refuses_bodies_discord_would_refuse() {
    let ok = fake::validate_body("POST", "/channels/1/messages", &json!({"content": "hello"}));
    assert_eq!(ok, Ok(()));
    let too_long = json!({"content": "x".repeat(4001)});
    assert!(fake::validate_body("POST", "/channels/1/messages", &too_long).is_err());
    let bad_thread = json!({"name": "ACME-1", "type": "private"});
    assert!(fake::validate_body("POST", "/channels/1/threads", &bad_thread).is_err());
    let bad_callback = json!({"type": 4, "data": {"content": 42}});
    assert!(fake::validate_body("POST", "/interactions/1/tok/callback", &bad_callback).is_err());
    assert!(fake::validate_body("POST", "/no/such/route", &json!({})).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_outages_are_retried_and_a_post_is_not_doubled() {
    let bot = Bot::start().await;
    // The thread creation is rate limited once; the ping fails with a 500
    // after Discord stored it, then with a 502 before it did.
    bot.fake.fail_next(Failure { method: "POST", path_suffix: "/threads".into(), status: 429, processed: false });
    for (status, processed) in [(500, true), (502, false)] {
        bot.fake.fail_next(Failure { method: "POST", path_suffix: "/messages".into(), status, processed });
    }
    open_l1(&bot).await;
    let thread = the_thread(&bot).await;
    let posts: Vec<Request> = bot
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == format!("/channels/{thread}/messages"))
        .collect();
    assert_eq!(posts.len(), 4, "three tries of the ping, then the card: {posts:#?}");
    assert_eq!(posts[0].body["nonce"], posts[2].body["nonce"], "one nonce for every try of the ping");
    assert_eq!(posts[0].body["enforce_nonce"], true);
    assert_eq!(posts[3].body["embeds"][0]["title"], "ACME-1 · L1 Crítica");
    let pings: Vec<Value> = bot.fake.messages_in(thread).into_iter().filter(|m| m["embeds"] == json!([])).collect();
    assert_eq!(pings.len(), 1, "the ping exists once: {pings:#?}");
    let threads = bot.fake.requests().iter().filter(|r| r.path.ends_with("/threads")).count();
    assert_eq!(threads, 2, "the thread's creation, tried again after the 429");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_numbers_autocomplete_among_the_callers_own_tickets() {
    let bot = Bot::start().await;
    bot.open_critical().await;
    let bob = Invocation {
        user: Snowflake(BOB),
        is_staff: false,
        is_specialist: false,
        channel: Snowflake(GLOBEX_CHANNEL),
        language: None,
        event: None,
        named_staff: vec![],
    };
    bot.app.handle(&bob, cmd("ticket open", &[("summary", "Globex")])).await;

    let id = bot.fake.next_id();
    let options = json!([{"name": "status", "type": 1, "options": [
        {"name": "number", "type": 3, "value": "1", "focused": true}
    ]}]);
    let mut typing = fake::slash(id, ACME_CHANNEL, alice(), "en-US", "ticket", options);
    typing["type"] = json!(4);
    bot.fake.dispatch("INTERACTION_CREATE", typing);
    let answer = bot.callback(id).await;
    assert_eq!(answer["type"], 8, "an autocomplete result: {answer}");
    assert_eq!(answer["data"]["choices"], json!([{"name": "ACME-1", "value": "ACME-1"}]), "not GLOBEX-1");
    bot.stop().await;
}

/// When storage is slow, Discord is told within its three seconds that an
/// answer is coming, and the answer follows as an edit. Here another
/// connection holds SQLite's write lock until the deferral is seen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_answer_is_deferred_then_delivered() {
    let bot = Bot::start().await;
    let mut blocker = <sqlx::AnyConnection as sqlx::Connection>::connect(&bot.db.url).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut blocker).await.unwrap();

    let id = bot.fake.next_id();
    let options =
        json!([{"name": "open", "type": 1, "options": [{"name": "summary", "type": 3, "value": "Slow day"}]}]);
    bot.fake.dispatch("INTERACTION_CREATE", fake::slash(id, ACME_CHANNEL, alice(), "en-US", "ticket", options));
    let deferred = bot.callback(id).await;
    assert_eq!(deferred["type"], 5, "deferred: {deferred}");
    assert_eq!(deferred["data"]["flags"], 64, "ephemeral: {deferred}");

    sqlx::query("COMMIT").execute(&mut blocker).await.unwrap();
    let answer = bot.fake.request("PATCH", &format!("/token-{id}/messages/@original"), 1).await;
    assert!(answer.body["content"].as_str().unwrap().starts_with("Opened **ACME-1**"), "{}", answer.body);
    assert_eq!(answer.body["allowed_mentions"]["parse"], json!([]));
    bot.fake.request("POST", &format!("/channels/{ACME_CHANNEL}/threads"), 1).await;
    bot.stop().await;
}

/// The real binary, as operators run it: `priority-line run` with the token
/// in the environment, serving until SIGTERM, then closing the gateway
/// connection cleanly and exiting 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_and_shuts_down_cleanly_on_sigterm() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string("config/example.toml").unwrap();
    let config = example
        .replace("api_base = \"https://discord.com\"", &format!("api_base = \"{}\"", fake.api_base()))
        .replace(
            "url = \"sqlite://data/priority-line.db\"",
            &format!("url = \"sqlite://{}/bot.db\"", dir.path().display()),
        )
        .replace("listen = \"127.0.0.1:9184\"", "listen = \"127.0.0.1:0\"");
    assert_ne!(config, example, "the example's api_base and storage lines moved: update this test");
    let path = dir.path().join("bot.toml");
    std::fs::write(&path, config).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_priority-line"))
        .arg("run")
        .arg("--config")
        .arg(&path)
        .env("DISCORD_TOKEN", "fake-token")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("PRIORITY_LINE_INSTANCE", "bot-a")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    fake.connected(1).await;
    fake.request("PUT", "/commands", 1).await;
    let id = fake.next_id();
    let queue = fake::slash(id, ACME_CHANNEL, fake::member(MALLORY, "mallory", &[]), "en-US", "queue", json!([]));
    fake.dispatch("INTERACTION_CREATE", queue);
    let reply = fake.request("POST", &format!("/interactions/{id}/token-{id}/callback"), 1).await;
    assert!(reply.body["data"]["content"].as_str().unwrap().contains("Only support staff"), "{}", reply.body);

    let term = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(term.success());
    fake.wait_for("a clean close of the gateway connection", |f| (f.clean_closes() >= 1).then_some(())).await;
    let status = support::eventually(|| {
        let exited = child.try_wait().unwrap().ok_or_else(|| "the bot did not exit after SIGTERM".to_owned());
        std::future::ready(exited)
    })
    .await;
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut logs).unwrap();
    assert!(status.success(), "exit {status}: {logs}");
    assert!(logs.contains("shutting down"), "{logs}");
    assert!(!logs.contains("fake-token"), "the token never reaches the logs: {logs}");
    assert!(!logs.contains('\u{1b}'), "no ANSI colours where standard error is not a terminal: {logs}");
    assert!(logs.lines().all(|l| l.contains(" bot-a ")), "every line names the instance: {logs}");
    fake.assert_valid();
}

/// Logs for a collector: one JSON object a line, each naming the instance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_name_the_instance_on_every_line() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path =
        support::process::write_config(&fake, dir.path(), &format!("sqlite://{}/bot.db", dir.path().display()), &[]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_priority-line"))
        .args(["run", "--config"])
        .arg(&path)
        .env("DISCORD_TOKEN", "fake-token")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("PRIORITY_LINE_LOG_FORMAT", "json")
        .env("PRIORITY_LINE_INSTANCE", "bot-json")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    fake.connected(1).await;
    fake.request("PUT", "/commands", 1).await;
    support::process::kill(&mut child, "-TERM");
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut logs).unwrap();
    let lines: Vec<Value> =
        logs.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert!(lines.len() >= 3, "{logs}");
    assert!(lines.iter().all(|l| l["instance"] == "bot-json" && l["level"].is_string()), "{logs}");
    assert!(lines.iter().any(|l| l["message"] == "slash commands registered"), "{logs}");
}

#[test]
fn without_a_token_the_bot_says_which_variable_to_set() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_priority-line"))
        .args(["run", "--config", "config/example.toml"])
        .env_remove("DISCORD_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("set DISCORD_TOKEN to the bot token"), "{err}");
}

/// The watcher runs inside the bot: as time passes (moved by the test, which
/// then nudges the watcher instead of waiting for its next wake-up), the
/// escalation steps reach the thread, the escalation channel and the card.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalations_reach_the_thread_the_escalation_channel_and_the_card() {
    const ESCALATION_CHANNEL: u64 = 310000000000000009;
    const ESCALATION_ROLE: &str = "320000000000000002";
    let bot = Bot::start().await;
    let (thread, _) = bot.open_critical().await;
    let card_id = card_id(&bot, thread).await;

    bot.advance(chrono::Duration::minutes(15)).await;
    bot.app.wake_handle().notify_one();
    let reminder = bot.fake.request("POST", &format!("/channels/{thread}/messages"), 3).await;
    let content = reminder.body["content"].as_str().unwrap();
    assert!(content.starts_with(&format!("<@{TAM_ACME}> Recordatorio: **ACME-1**")), "{content}");
    assert_eq!(reminder.body["allowed_mentions"]["users"], json!([TAM_ACME.to_string()]));
    assert!(reminder.body["nonce"].as_str().unwrap().starts_with("pl-o"), "a keyed post: {}", reminder.body);
    let amber = bot.fake.request("PATCH", &format!("/channels/{thread}/messages/{card_id}"), 1).await;
    assert_eq!(amber.body["embeds"][0]["color"], 0xf1c40f, "amber at half time");

    bot.advance(chrono::Duration::minutes(15)).await;
    bot.app.wake_handle().notify_one();
    // The escalation channel's message: the role once, then the ticket's line.
    let escalated = bot.fake.request("POST", &format!("/channels/{ESCALATION_CHANNEL}/messages"), 1).await;
    let content = escalated.body["content"].as_str().unwrap();
    assert!(content.starts_with(&format!("<@&{ESCALATION_ROLE}>\n• **ACME-1** · Acme Corp · L1 Crítica")), "{content}");
    assert!(content.contains("primera respuesta INCUMPLIDA") && content.contains(&format!("<#{thread}>")), "{content}");
    assert_eq!(escalated.body["allowed_mentions"]["roles"], json!([ESCALATION_ROLE]));
    assert_eq!(escalated.body["allowed_mentions"]["parse"], json!([]));
    assert!(escalated.body["nonce"].as_str().unwrap().starts_with("pl-g"), "one message a group: {}", escalated.body);
    let breached = bot.fake.request("PATCH", &format!("/channels/{thread}/messages/{card_id}"), 3).await;
    assert_eq!(breached.body["embeds"][0]["color"], 0xe74c3c, "red: breached");
    bot.stop().await;
}

/// Alice opens an L1 ticket and waits for its reply.
async fn open_l1(bot: &Bot) {
    let options = json!([{"name": "open", "type": 1, "options": [
        {"name": "summary", "type": 3, "value": "VPN down"}, {"name": "severity", "type": 4, "value": 1}
    ]}]);
    let reply = bot.slash(ACME_CHANNEL, alice(), "en-US", "ticket", options).await;
    assert!(text(&reply).starts_with("Opened **ACME-1**"), "{reply}");
}

/// Waits for the first message in `channel` whose content contains `words`.
async fn post_in(bot: &Bot, channel: u64, words: &str) -> Value {
    bot.fake
        .wait_for(&format!("a post in {channel} saying {words:?}"), |f| {
            f.messages_in(channel).into_iter().find(|m| m["content"].as_str().is_some_and(|c| c.contains(words)))
        })
        .await
}

/// The one thread the fake has, once its opening is over: it has its card
/// and its members.
async fn the_thread(bot: &Bot) -> u64 {
    bot.fake
        .wait_for("the ticket's thread with its card and members", |f| {
            let threads = f.threads();
            let (id, thread) = threads.iter().next()?;
            let card = f.messages_in(*id).iter().any(|m| m["embeds"] != json!([]));
            (card && thread.members.len() == 3).then_some(*id)
        })
        .await
}

/// Issue 13: Discord created the thread, then answered 500. The bot looks
/// for it among the active threads before trying again and adopts it: one
/// thread, one card, one TAM ping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ambiguous_500_on_thread_creation_adopts_the_thread() {
    let bot = Bot::start().await;
    bot.fake.fail_next(Failure { method: "POST", path_suffix: "/threads".into(), status: 500, processed: true });
    open_l1(&bot).await;
    let thread = the_thread(&bot).await;
    post_in(&bot, thread, "es Crítico (L1)").await;
    bot.fake.request("GET", &format!("/guilds/{}/threads/active", fake::GUILD), 1).await;
    assert_eq!(bot.fake.threads().len(), 1, "adopted, not created twice: {:?}", bot.fake.threads());
    let creates = bot.fake.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/threads")).count();
    assert_eq!(creates, 1, "the thread was found, so not created again");
    let posts = bot.fake.messages_in(thread);
    assert_eq!(posts.len(), 2, "one card and one ping: {posts:#?}");
    assert_eq!(bot.fake.threads()[&thread].members, [ALICE, TAM_ACME, BACKUP_ACME]);
    bot.stop().await;
}

/// Issue 13: a post that Discord stored before answering 500 is retried with
/// the same nonce and so exists once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ambiguous_500_on_a_post_does_not_double_it() {
    let bot = Bot::start().await;
    open_l1(&bot).await;
    let thread = the_thread(&bot).await;
    post_in(&bot, thread, "es Crítico (L1)").await;
    bot.fake.fail_next(Failure {
        method: "POST",
        path_suffix: format!("/channels/{thread}/messages"),
        status: 500,
        processed: true,
    });
    bot.advance(chrono::Duration::minutes(15)).await;
    // The card turns amber after the reminder is posted, in the same delivery.
    bot.fake
        .wait_for("the amber card", |f| {
            f.requests().into_iter().find(|r| r.method == "PATCH" && r.body["embeds"][0]["color"] == 0xf1c40f)
        })
        .await;
    let tries: Vec<Request> = bot
        .fake
        .requests()
        .into_iter()
        .filter(|r| {
            r.path == format!("/channels/{thread}/messages")
                && r.body["content"].as_str().is_some_and(|c| c.contains("Recordatorio"))
        })
        .collect();
    let all: Vec<(String, Value)> = bot
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path.contains(&thread.to_string()))
        .map(|r| (format!("{} {}", r.method, r.path), r.body["content"].clone()))
        .collect();
    assert_eq!(tries.len(), 2, "tried twice: {all:#?}");
    assert_eq!(tries[0].body["nonce"], tries[1].body["nonce"], "with one nonce");
    let reminders = bot
        .fake
        .messages_in(thread)
        .into_iter()
        .filter(|m| m["content"].as_str().unwrap().contains("Recordatorio"))
        .count();
    assert_eq!(reminders, 1);
    bot.stop().await;
}

/// Issue 13: a thread deleted by a moderator answers 404; the reminder is
/// not retried forever but posted in the support channel, saying where it
/// could not go, and marked failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_on_a_deleted_thread_ends_the_post_and_it_goes_to_the_support_channel() {
    let bot = Bot::start().await;
    open_l1(&bot).await;
    let thread = the_thread(&bot).await;
    post_in(&bot, thread, "es Crítico (L1)").await;
    bot.fake.edit_thread(thread, |t| t.deleted = true);
    bot.advance(chrono::Duration::minutes(15)).await;
    let notice = post_in(&bot, ACME_CHANNEL, "No se pudo publicar en").await;
    let content = notice["content"].as_str().unwrap();
    assert!(
        content.contains(&format!("<#{thread}> (ACME-1)")) && content.contains("Recordatorio: **ACME-1**"),
        "{content}"
    );
    let sent = bot.fake.request("POST", &format!("/channels/{ACME_CHANNEL}/messages"), 1).await;
    assert_eq!(sent.body["allowed_mentions"]["users"], json!([]), "the original's pings are not repeated");
    let ticket = bot.app.store().ticket(&"ACME-1".parse().unwrap()).await.unwrap().unwrap();
    let failed: Vec<_> = bot
        .app
        .store()
        .outbox(ticket.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.state == priority_line::storage::OutboxState::Failed)
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].last_error.as_deref().unwrap().starts_with("NotFound"), "{failed:?}");
    assert_eq!(bot.app.metrics().notifications_failed.get(), 1);
    let tries = bot
        .fake
        .requests()
        .iter()
        .filter(|r| {
            r.method == "POST"
                && r.path == format!("/channels/{thread}/messages")
                && r.body["content"].as_str().is_some_and(|c| c.contains("Recordatorio"))
        })
        .count();
    assert_eq!(tries, 1, "a 404 is not retried");
    bot.stop().await;
}

/// Issue 13: the bot lost access to a thread (403): the post goes to the
/// support channel instead, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_on_a_thread_ends_the_post_and_it_goes_to_the_support_channel() {
    let bot = Bot::start().await;
    open_l1(&bot).await;
    let thread = the_thread(&bot).await;
    post_in(&bot, thread, "es Crítico (L1)").await;
    bot.fake.deny(thread);
    bot.advance(chrono::Duration::minutes(15)).await;
    let notice = post_in(&bot, ACME_CHANNEL, "No se pudo publicar en").await;
    assert!(notice["content"].as_str().unwrap().contains("Recordatorio"), "{notice}");
    bot.stop().await;
}

/// Issue 13: when the thread cannot even be created (no access to the
/// support channel's threads), the escalation channel is told, and the
/// ticket's posts go to the support channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_that_cannot_be_created_is_reported_in_the_escalation_channel() {
    const ESCALATION_CHANNEL: u64 = 310000000000000009;
    let bot = Bot::start().await;
    bot.fake.fail_next(Failure { method: "POST", path_suffix: "/threads".into(), status: 403, processed: false });
    open_l1(&bot).await;
    let notice = post_in(&bot, ESCALATION_CHANNEL, "No se pudo crear el hilo de ACME-1").await;
    assert!(notice["content"].as_str().unwrap().contains(&format!("<#{ACME_CHANNEL}>")), "{notice}");
    post_in(&bot, ACME_CHANNEL, "es Crítico (L1)").await;
    let ping = bot.fake.request("POST", &format!("/channels/{ACME_CHANNEL}/messages"), 1).await;
    assert_eq!(ping.body["allowed_mentions"]["users"].as_array().unwrap().len(), 2, "the TAMs are still pinged");
    bot.advance(chrono::Duration::minutes(15)).await;
    post_in(&bot, ACME_CHANNEL, "Recordatorio: **ACME-1**").await;
    assert!(bot.fake.threads().is_empty());
    bot.stop().await;
}

/// Issue 13: a thread archived by inactivity is unarchived for a post; a
/// locked one is left alone and the post goes to the support channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archived_thread_is_unarchived_for_a_post_and_a_locked_one_is_not() {
    let bot = Bot::start().await;
    open_l1(&bot).await;
    let thread = the_thread(&bot).await;
    post_in(&bot, thread, "es Crítico (L1)").await;
    bot.fake.edit_thread(thread, |t| t.archived = true);
    bot.advance(chrono::Duration::minutes(15)).await;
    post_in(&bot, thread, "Recordatorio").await;
    assert!(!bot.fake.threads()[&thread].archived);
    let unarchive = bot.fake.request("PATCH", &format!("/channels/{thread}"), 1).await;
    assert_eq!(unarchive.body["archived"], false);

    bot.fake.edit_thread(thread, |t| {
        t.archived = true;
        t.locked = true;
    });
    bot.advance(chrono::Duration::minutes(9)).await;
    let notice = post_in(&bot, ACME_CHANNEL, "No se pudo publicar en").await;
    assert!(notice["content"].as_str().unwrap().contains("80 %"), "{notice}");
    assert!(bot.fake.threads()[&thread].archived, "a locked thread stays archived");
    bot.stop().await;
}

/// Issue 13: a 429 on the interaction callback is retried: the reply arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_on_the_interaction_callback_is_retried() {
    let bot = Bot::start().await;
    let id = bot.fake.next_id();
    bot.fake.fail_next(Failure {
        method: "POST",
        path_suffix: format!("/interactions/{id}/token-{id}/callback"),
        status: 429,
        processed: false,
    });
    let list = json!([{"name": "list", "type": 1, "options": []}]);
    bot.fake.dispatch("INTERACTION_CREATE", fake::slash(id, ACME_CHANNEL, alice(), "en-US", "ticket", list));
    let second = bot.fake.request("POST", &format!("/interactions/{id}/token-{id}/callback"), 2).await;
    assert_eq!(text(&second.body), "Acme Corp has no open tickets.");
    assert!(bot.fake.callback_times().contains_key(&id));
    bot.stop().await;
}

/// Issue 13: a removed contact is taken out of the threads of their
/// customer's open tickets, and their button presses do not act there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_contact_leaves_the_threads_of_open_tickets() {
    let bot = Bot::start().await;
    open_l1(&bot).await;
    let thread = the_thread(&bot).await;
    assert!(bot.fake.threads()[&thread].members.contains(&ALICE));
    let user = json!([{"name": "user", "type": 6, "value": ALICE.to_string()}]);
    let reply = bot
        .slash(ACME_CHANNEL, engineer(), "en-US", "contacts", json!([{"name": "remove", "type": 1, "options": user}]))
        .await;
    assert!(text(&reply).starts_with("Removed"), "{reply}");
    bot.fake.request("DELETE", &format!("/channels/{thread}/thread-members/{ALICE}"), 1).await;
    assert!(!bot.fake.threads()[&thread].members.contains(&ALICE));
    let card = bot.fake.messages_in(thread).into_iter().find(|m| m["embeds"] != json!([])).unwrap();
    let id = bot.fake.next_id();
    bot.fake.dispatch("INTERACTION_CREATE", fake::button(id, thread, alice(), "ack:ACME-1", card));
    let reply = bot.callback(id).await;
    assert!(text(&reply).starts_with("Only support staff"), "{reply}");
    bot.stop().await;
}

const SPECIALIST_ROLE: u64 = 320000000000000003;
const ANALYST: u64 = 420000000000000001;

/// The messages of a thread that mention a user, with what they allow to ping.
fn posts_pinging(fake: &FakeDiscord, thread: u64, user: u64) -> Vec<Value> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == format!("/channels/{thread}/messages"))
        .map(|r| r.body)
        .filter(|b| b["allowed_mentions"]["users"] == json!([user.to_string()]))
        .collect()
}

/// A signature change request from the contact's first try to the
/// confirmation by button: refused for old databases, filed again, moved
/// through its stages by the specialist group, each stage a post that pings
/// the requester alone, and confirmed with the button under the release post.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_request_from_refusal_to_confirmation() {
    let bot = Bot::start().await;
    let staff = |release: &str| fake::subcommand("latest-db", &[("release", release)]);
    let reply = bot.slash(ACME_CHANNEL, engineer(), "en-US", "signature", staff("2026.11.29-01")).await;
    assert!(text(&reply).starts_with("Recorded 2026.11.29-01"), "{reply}");
    bot.advance(chrono::Duration::hours(1)).await;
    bot.slash(ACME_CHANNEL, engineer(), "en-US", "signature", staff("2026.11.30-01")).await;
    // Past the grace, the release before the newest no longer counts.
    bot.advance(chrono::Duration::hours(5)).await;

    let file = |release: &str| {
        fake::subcommand(
            "request",
            &[
                ("kind", "false_negative"),
                ("hash", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"),
                ("product_version", "12.1.0.4"),
                ("database_release", release),
                ("detection", "none"),
            ],
        )
    };
    let refused = bot.slash(ACME_CHANNEL, alice(), "en-US", "signature", file("2026.11.29-01")).await;
    assert_ephemeral(&refused);
    assert!(text(&refused).contains("older than the newest release, 2026.11.30-01"), "{refused}");
    assert!(bot.fake.requests().iter().all(|r| !r.path.ends_with("/threads")), "nothing was filed");

    let filed = bot.slash(ACME_CHANNEL, alice(), "en-US", "signature", file("2026.11.30-01")).await;
    assert_ephemeral(&filed);
    assert!(text(&filed).starts_with("Filed **ACME-1**"), "{filed}");
    let created = bot.fake.request("POST", &format!("/channels/{ACME_CHANNEL}/threads"), 1).await;
    assert_eq!(created.body["type"], 12, "a private thread");
    let thread = bot
        .fake
        .wait_for("the request's thread", |f| {
            f.threads().into_iter().find(|(_, t)| t.members.len() == 3).map(|(id, _)| id)
        })
        .await;
    assert_eq!(bot.fake.threads()[&thread].members, [ALICE, TAM_ACME, BACKUP_ACME]);
    // The specialists' ping, then the card.
    let news = bot.fake.request("POST", &format!("/channels/{thread}/messages"), 1).await;
    assert_eq!(news.body["allowed_mentions"]["roles"], json!([SPECIALIST_ROLE.to_string()]), "{}", news.body);
    let card = bot.fake.request("POST", &format!("/channels/{thread}/messages"), 2).await;
    let fields = card.body["embeds"][0]["fields"].to_string();
    assert!(fields.contains("SHA-1 da39a3ee5e6b4b0d3255bfef95601890afd80709"), "{fields}");
    assert!(fields.contains("**recibida**"), "the stage track: {fields}");

    let analyst = fake::member(ANALYST, "analyst", &[SPECIALIST_ROLE]);
    let stages = [("analysing", None), ("fix_scheduled", None), ("released", Some("2026.11.30-02"))];
    for (done, (stage, more)) in stages.into_iter().enumerate() {
        let mut options = vec![("number", "ACME-1"), ("stage", stage)];
        options.extend(more.map(|r| ("release", r)));
        let reply =
            bot.slash(thread, analyst.clone(), "en-US", "signature", fake::subcommand("advance", &options)).await;
        assert_ephemeral(&reply);
        assert!(text(&reply).starts_with("**ACME-1** is now") || text(&reply).starts_with("ACME-1 is now"), "{reply}");
        bot.fake
            .wait_for("the stage's post", |b| (posts_pinging(b, thread, ALICE).len() == done + 1).then_some(()))
            .await;
    }
    let posts = posts_pinging(&bot.fake, thread, ALICE);
    assert!(posts[0]["content"].as_str().unwrap().contains("analizando"), "{posts:#?}");
    let released = posts.last().unwrap();
    assert!(released["content"].as_str().unwrap().contains("2026.11.30-02"), "{released}");
    let button = &released["components"][0]["components"][0];
    assert_eq!(button["custom_id"], "confirm:ACME-1", "{released}");
    // The card shows the stage the request reached.
    bot.fake
        .wait_for("the card at released", |f| {
            f.requests()
                .iter()
                .rev()
                .find(|r| r.method == "PATCH")
                .filter(|r| r.body.to_string().contains("**publicada**"))
                .map(|_| ())
        })
        .await;

    // The contact presses Confirm under the release post.
    let message = bot
        .fake
        .messages_in(thread)
        .into_iter()
        .find(|m| m["components"].to_string().contains("confirm:ACME-1"))
        .expect("the release post exists");
    let press = bot.fake.next_id();
    bot.fake.dispatch("INTERACTION_CREATE", fake::button(press, thread, alice(), "confirm:ACME-1", message));
    let reply = bot.callback(press).await;
    assert_ephemeral(&reply);
    assert!(text(&reply).contains("confirmed the fix of ACME-1"), "{reply}");
    bot.fake.wait_for("the confirmation post", |b| (posts_pinging(b, thread, ALICE).len() == 4).then_some(())).await;
    let t = bot.app.store().ticket(&"ACME-1".parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(t.signature.unwrap().stage, priority_line::domain::signature::Stage::Confirmed);
    bot.stop().await;
}

/// `/summary` answers the engineer alone with the summary's embed and its
/// chart uploaded beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summary_command_answers_with_its_chart() {
    let bot = Bot::start().await;
    let id = bot.fake.next_id();
    let week =
        json!([{"name": "week", "type": 3, "value": "2026-W48"}, {"name": "customer", "type": 3, "value": "ACME"}]);
    bot.fake.dispatch("INTERACTION_CREATE", fake::slash(id, ACME_CHANNEL, engineer(), "es-ES", "summary", week));
    let callback = bot.fake.request("POST", &format!("/interactions/{id}/token-{id}/callback"), 1).await;
    assert_ephemeral(&callback.body);
    let embed = &callback.body["data"]["embeds"][0];
    assert_eq!(embed["title"], "Resumen semanal 2026-W48 · Acme Corp");
    assert_eq!(embed["image"]["url"], "attachment://summary-2026-W48-ACME.png");
    assert_eq!(callback.files.len(), 1, "the chart is uploaded");
    assert_eq!(&callback.files[0].bytes[..4], b"\x89PNG");
    // A contact is told it is for staff.
    let reply = bot.slash(ACME_CHANNEL, alice(), "en-US", "summary", json!([])).await;
    assert_ephemeral(&reply);
    assert!(text(&reply).contains("staff"), "{reply}");
    bot.stop().await;
}

/// Issue 17 on the fake Discord: the engineer's first message acknowledges
/// (they join the thread as its owner); staff name another engineer as
/// owner (Discord sends the named member's roles); a staff message is an
/// update (the card shows the next); /ticket wait asks Alice; her message
/// ends the wait; the missed update is pinged in the thread and the
/// escalation channel; closing archives the thread and reopening brings it
/// back first. Every body checked against Discord's OpenAPI description.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_first_response_owner_updates_wait_and_archive() {
    const ENGINEER_2: u64 = 410000000000000002;
    const ESCALATIONS: u64 = 310000000000000009;
    let bot = Bot::start().await;
    let (thread, card) = bot.open_critical().await;
    let card_id = bot
        .fake
        .wait_for("the card's id", |f| {
            f.messages_in(thread)
                .iter()
                .find(|m| m["embeds"] != json!([]))
                .and_then(|m| m["id"].as_str().map(str::to_owned))
        })
        .await;
    let _ = card;
    let posts_in = |f: &FakeDiscord, channel: u64| -> Vec<Value> {
        f.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == format!("/channels/{channel}/messages"))
            .map(|r| r.body)
            .collect()
    };
    let message = |author: u64, name: &str, roles: &[u64], text: &str| {
        let id = bot.fake.next_id();
        bot.fake.dispatch("MESSAGE_CREATE", fake::typed_message(id, thread, author, name, roles, text));
    };

    // The engineer's first message: the acknowledgement; they own it and join.
    message(ENGINEER, "engineer", &[STAFF_ROLE], "On it");
    bot.fake.request("PUT", &format!("/channels/{thread}/thread-members/{ENGINEER}"), 1).await;
    let acked = bot
        .fake
        .wait_for("the acknowledgement", |f| {
            posts_in(f, thread).into_iter().find(|b| b["content"].as_str().is_some_and(|c| c.contains("acusó recibo")))
        })
        .await;
    assert_eq!(acked["allowed_mentions"]["users"], json!([]), "{acked}");

    // Staff name another engineer: Discord tells their roles.
    let assign = |who: u64| {
        let options = json!([{"name": "assign", "type": 1, "options": [
            {"name": "number", "type": 3, "value": "ACME-1"}, {"name": "engineer", "type": 6, "value": who.to_string()}
        ]}]);
        let id = bot.fake.next_id();
        let interaction = fake::slash(id, ACME_CHANNEL, engineer(), "en-US", "ticket", options);
        (id, fake::resolving(interaction, &[(who, "someone", if who == ENGINEER_2 { &[STAFF_ROLE] } else { &[] })]))
    };
    let (id, not_staff) = assign(MALLORY);
    bot.fake.dispatch("INTERACTION_CREATE", not_staff);
    let refused = bot.callback(id).await;
    assert_ephemeral(&refused);
    assert!(text(&refused).contains("is not support staff"), "{refused}");
    let (id, staff) = assign(ENGINEER_2);
    bot.fake.dispatch("INTERACTION_CREATE", staff);
    assert!(text(&bot.callback(id).await).contains("owns ACME-1 now"));
    bot.fake.request("PUT", &format!("/channels/{thread}/thread-members/{ENGINEER_2}"), 1).await;
    let announced = bot
        .fake
        .wait_for("the new owner's post", |f| {
            posts_in(f, thread)
                .into_iter()
                .find(|b| b["content"].as_str().is_some_and(|c| c.contains("se encarga ahora")))
        })
        .await;
    assert_eq!(announced["allowed_mentions"]["users"], json!([ENGINEER_2.to_string()]));

    // A staff message is an update: the card is edited with the next one; nothing is posted.
    let posts_before = posts_in(&bot.fake, thread).len();
    let edits_before = bot.fake.requests().iter().filter(|r| r.method == "PATCH" && r.path.ends_with(&card_id)).count();
    bot.advance(chrono::Duration::minutes(20)).await;
    message(ENGINEER_2, "engineer2", &[STAFF_ROLE], "Rebooting the concentrator now");
    bot.fake.request("PATCH", &format!("/channels/{thread}/messages/{card_id}"), edits_before + 1).await;
    let posts = posts_in(&bot.fake, thread);
    assert_eq!(posts.len(), posts_before, "{:#?}", &posts[posts_before.min(posts.len())..]);
    let ticket = bot.app.store().ticket(&"ACME-1".parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(ticket.update_due_at, Some(bot.clock_now() + chrono::Duration::hours(1)));

    // Waiting on Alice, until her message.
    let wait = json!([{"name": "wait", "type": 1, "options": [{"name": "reason", "type": 3, "value": "Send us the VPN log"}]}]);
    let waited = bot.slash(thread, fake::member(ENGINEER_2, "engineer2", &[STAFF_ROLE]), "en-US", "ticket", wait).await;
    assert!(text(&waited).contains("waiting on the customer"), "{waited}");
    let asked = bot
        .fake
        .wait_for("the request to Alice", |f| {
            posts_in(f, thread)
                .into_iter()
                .find(|b| b["content"].as_str().is_some_and(|c| c.contains("Send us the VPN log")))
        })
        .await;
    assert_eq!(asked["allowed_mentions"]["users"], json!([ALICE.to_string()]));
    message(ALICE, "alice", &[], "Attached");
    let answered = bot
        .fake
        .wait_for("the end of the wait", |f| {
            posts_in(f, thread).into_iter().find(|b| b["content"].as_str().is_some_and(|c| c.contains("ha respondido")))
        })
        .await;
    assert_eq!(answered["allowed_mentions"]["users"], json!([ENGINEER_2.to_string()]));
    let content = answered["content"].as_str().unwrap_or_default();
    assert!(
        content.starts_with(&format!("<@{ENGINEER_2}> <@{ALICE}> ha respondido")),
        "the owner is mentioned: {content}"
    );

    // No update for an hour: the owner and the TAM, in the thread and the escalation channel.
    bot.advance(chrono::Duration::minutes(61)).await;
    let overdue = |f: &FakeDiscord, channel: u64| {
        posts_in(f, channel).into_iter().find(|b| b["content"].as_str().is_some_and(|c| c.contains("VENCIDA")))
    };
    let in_thread = bot.fake.wait_for("the overdue post", |f| overdue(f, thread)).await;
    let escalated = bot.fake.wait_for("the overdue post, escalated", |f| overdue(f, ESCALATIONS)).await;
    for body in [&in_thread, &escalated] {
        assert_eq!(body["allowed_mentions"]["users"], json!([ENGINEER_2.to_string(), TAM_ACME.to_string()]), "{body}");
    }

    // Closing archives the thread after its post; reopening brings it back first.
    let close = json!([{"name": "close", "type": 1, "options": [{"name": "number", "type": 3, "value": "ACME-1"}]}]);
    bot.slash(ACME_CHANNEL, alice(), "en-US", "ticket", close).await;
    let archived = bot.fake.request("PATCH", &format!("/channels/{thread}"), 1).await;
    assert_eq!(archived.body["archived"], true);
    assert!(bot.fake.threads()[&thread].archived);
    let reopen = json!([{"name": "reopen", "type": 1, "options": [{"name": "number", "type": 3, "value": "ACME-1"}]}]);
    bot.slash(ACME_CHANNEL, alice(), "en-US", "ticket", reopen).await;
    let back = bot.fake.request("PATCH", &format!("/channels/{thread}"), 2).await;
    assert_eq!(back.body["archived"], false);
    bot.fake
        .wait_for("the reopening post", |f| {
            posts_in(f, thread).into_iter().find(|b| b["content"].as_str().is_some_and(|c| c.contains("Reabierto")))
        })
        .await;
    assert!(!bot.fake.threads()[&thread].archived);
    bot.stop().await;
}

/// Issue 25: the closing post asks "How did we do?" with five buttons. A
/// press in the thread, archived since the closing, is answered and leaves
/// it archived; its "Add a comment" opens a form, whose submission over
/// 1,000 characters is refused with the limit named and within it is kept.
/// Only the customer's contacts rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rating_in_an_archived_thread_is_answered_and_leaves_it_archived() {
    let bot = Bot::start().await;
    let (thread, _) = bot.open_critical().await;
    let closed =
        bot.slash(ACME_CHANNEL, engineer(), "en-US", "ticket", fake::subcommand("close", &[("number", "1")])).await;
    assert!(text(&closed).starts_with("ACME-1 is closed"), "{closed}");
    let closing = bot
        .fake
        .wait_for("the closing post", |f| {
            f.messages_in(thread).into_iter().find(|m| m["content"].as_str().is_some_and(|c| c.starts_with("Cerrado")))
        })
        .await;
    assert!(closing["content"].as_str().unwrap().contains("¿Qué tal lo hemos hecho?"), "{closing}");
    let ids: Vec<&str> = closing["components"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["custom_id"].as_str())
        .collect();
    assert_eq!(ids, ["rate:ACME-1:1", "rate:ACME-1:2", "rate:ACME-1:3", "rate:ACME-1:4", "rate:ACME-1:5"]);
    bot.fake.wait_for("the thread archived", |f| f.threads()[&thread].archived.then_some(())).await;
    bot.advance(chrono::Duration::minutes(1)).await;
    bot.fake.request("POST", &format!("/channels/{TRANSCRIPTS}/messages"), 1).await;
    let requests_before = bot.fake.requests().len();

    let press = |member: Value, custom_id: &str| {
        let id = bot.fake.next_id();
        bot.fake.dispatch("INTERACTION_CREATE", fake::button(id, thread, member, custom_id, closing.clone()));
        bot.callback(id)
    };
    let thanks = press(alice(), "rate:ACME-1:4").await;
    assert_ephemeral(&thanks);
    assert!(text(&thanks).starts_with("Thank you for rating ACME-1 4 out of 5"), "{thanks}");
    let comment = &thanks["data"]["components"][0]["components"][0];
    assert_eq!(
        (comment["custom_id"].as_str(), comment["label"].as_str()),
        (Some("comment:ACME-1:4"), Some("Add a comment"))
    );

    let form = press(alice(), "comment:ACME-1:4").await;
    assert_eq!(form["type"], 9, "a modal: {form}");
    assert_eq!(form["data"]["custom_id"], "rating:ACME-1:4");
    let field = &form["data"]["components"][0]["components"][0];
    assert_eq!((field["max_length"].as_u64(), field["required"].as_bool()), (Some(1000), Some(false)), "{form}");

    let submit = |value: &str| {
        let id = bot.fake.next_id();
        let submitted = fake::modal_submit(id, thread, alice(), "rating:ACME-1:4", "comment", value);
        bot.fake.dispatch("INTERACTION_CREATE", submitted);
        bot.callback(id)
    };
    let too_long = submit(&"x".repeat(1001)).await;
    assert_ephemeral(&too_long);
    assert!(text(&too_long).contains("1001 characters long; the limit is 1000"), "{too_long}");
    let kept = submit("Quick and clear").await;
    assert_eq!(text(&kept), "Thank you: your rating of 4 for ACME-1 and your comment are kept.");

    let stranger = press(fake::member(MALLORY, "mallory", &[]), "rate:ACME-1:1").await;
    assert_ephemeral(&stranger);
    assert!(text(&stranger).contains("You are not a registered technical contact"), "{stranger}");
    let tam = press(fake::member(TAM_ACME, "tam", &[STAFF_ROLE]), "rate:ACME-1:1").await;
    assert!(text(&tam).contains("Only the customer's registered technical contacts can rate tickets"), "{tam}");

    // Nothing but the answers: the thread stays archived, untouched.
    assert!(bot.fake.threads()[&thread].archived);
    let touched: Vec<String> = bot.fake.requests()[requests_before..]
        .iter()
        .filter(|r| !r.path.starts_with("/interactions/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(touched.is_empty(), "{touched:?}");
    let ticket = bot.app.store().ticket(&"ACME-1".parse().unwrap()).await.unwrap().unwrap();
    let ratings: Vec<(u8, Option<String>)> = bot
        .app
        .store()
        .events(ticket.id)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            priority_line::domain::ticket::EventKind::Rated { score, comment } => Some((score.get(), comment)),
            _ => None,
        })
        .collect();
    assert_eq!(ratings, [(4, None), (4, Some("Quick and clear".to_owned()))]);
    bot.stop().await;
}

/// A ticket's record as the store keeps it.
async fn record_of(bot: &Bot, number: &str) -> Vec<priority_line::domain::record::KeptMessage> {
    let ticket = bot.app.store().ticket(&number.parse().unwrap()).await.unwrap().unwrap();
    bot.app.store().record(ticket.id).await.unwrap()
}

/// `n` bytes that differ from any other call's (a file's contents).
fn contents(seed: u8, n: usize) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 9) as u8).collect()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Issue 24, end to end: in ACME-1's thread Alice sends a screenshot and a
/// log of several chunks, a message she edits, one she deletes, one whose
/// link had expired before the bot fetched it, and a file over max_file
/// (4 MiB here); the engineer answers. Each file is downloaded once, with
/// the SHA-256 of what was sent; the thread is told of the one too large.
/// Closed, the transcript is posted once to the transcripts channel as an
/// HTML file that tells all of it. Once every link has expired,
/// `priority-line transcript --out` (beside the running bot) writes the
/// transcript and the files, whose SHA-256 match what was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_tickets_transcript_keeps_its_thread_and_outlives_its_links() {
    let bot = Bot::start_with(|c| {
        if let Some(t) = c.transcripts.as_mut() {
            t.max_file = 4 << 20;
        }
    })
    .await;
    let (thread, _) = bot.open_critical().await;
    let (screenshot, log, late, big) =
        (contents(1, 180_000), contents(2, 2_600_000), contents(3, 40_000), contents(4, (4 << 20) + 1));
    let alice = alice();
    bot.fake.write(thread, &alice, "The VPN drops every five minutes", &[("screenshot.png", &screenshot)]);
    bot.fake.write(thread, &alice, "Here is the client log", &[("vpn.log", &log)]);
    let typo = bot.fake.write(thread, &alice, "It started on Mondya", &[]);
    bot.fake.edit(typo, "It started on Monday");
    let wrong = bot.fake.write(thread, &alice, "Wrong thread, sorry", &[]);
    bot.fake.delete(wrong);
    bot.fake.next_links_stale();
    bot.fake.write(thread, &alice, "And the crash dump", &[("crash.dmp", &late)]);
    bot.fake.write(thread, &alice, "The disk image", &[("disk.img", &big)]);
    bot.fake.write(thread, &engineer(), "On it: the certificate expired", &[]);
    let told = bot
        .fake
        .wait_for("the thread told of the file too large", |f| {
            f.messages_in(thread).into_iter().find(|m| m["content"].as_str().is_some_and(|c| c.contains("disk.img")))
        })
        .await;
    assert!(told["content"].as_str().unwrap().contains("supera los 4.0 MB"), "{told}");

    support::eventually(|| async {
        let record = record_of(&bot, "ACME-1").await;
        let files: Vec<_> = record.iter().flat_map(|m| &m.files).collect();
        let settled = files.len() == 4 && files.iter().all(|f| f.state != FileState::Pending);
        let edited = record.iter().any(|m| m.texts.len() == 2);
        let deleted = record.iter().any(|m| m.deleted_at.is_some());
        match settled && edited && deleted {
            true => Ok(()),
            false => Err(format!("the record is not complete yet: {record:#?}")),
        }
    })
    .await;
    let record = record_of(&bot, "ACME-1").await;
    let file = |name: &str| record.iter().flat_map(|m| &m.files).find(|f| f.name == name).unwrap().clone();
    for (name, bytes) in [("screenshot.png", &screenshot), ("vpn.log", &log), ("crash.dmp", &late)] {
        let f = file(name);
        assert_eq!((f.state, f.sha256.clone()), (FileState::Kept, Some(sha256(bytes))), "{name}");
    }
    assert_eq!((file("disk.img").state, file("disk.img").sha256), (FileState::TooLarge, None));
    let downloads = |name: &str| {
        bot.fake
            .requests()
            .iter()
            .filter(|r| r.path.starts_with("/cdn/") && r.path.ends_with(name) && r.status == 200)
            .count()
    };
    assert_eq!((downloads("screenshot.png"), downloads("vpn.log"), downloads("disk.img")), (1, 1, 0));
    // The crash dump's first link had expired: the message was fetched again for a fresh one.
    let refetched = bot.fake.requests().iter().filter(|r| r.method == "GET" && r.path.contains("/messages/")).count();
    assert_eq!((downloads("crash.dmp"), refetched), (1, 1));
    // The bot's own posts are in the record too, once each.
    let bot_posts = record.iter().filter(|m| m.by_bot).count();
    let posted = bot
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == format!("/channels/{thread}/messages"))
        .count();
    assert_eq!(bot_posts, posted);

    let closed = bot
        .slash(
            thread,
            engineer(),
            "en-US",
            "ticket",
            fake::subcommand("close", &[("number", "1"), ("resolution", "New certificate")]),
        )
        .await;
    assert!(text(&closed).starts_with("ACME-1 is closed"), "{closed}");
    bot.advance(chrono::Duration::seconds(10)).await;
    let posted = bot.fake.request("POST", &format!("/channels/{TRANSCRIPTS}/messages"), 1).await;
    assert_eq!(posted.files.len(), 1, "the transcript as a file");
    assert_eq!(posted.files[0].filename, "transcript-ACME-1.html");
    assert!(posted.body["content"].as_str().unwrap().starts_with("Transcripción de **ACME-1**"), "{}", posted.body);
    let html = String::from_utf8(posted.files[0].bytes.clone()).unwrap();
    for shown in [
        "The VPN drops every five minutes",
        "It started on Monday",
        "It started on Mondya",
        "editado",
        "Wrong thread, sorry",
        "borrado",
        "no guardado: demasiado grande",
        "On it: the certificate expired",
        "New certificate",
        &sha256(&log),
        &sha256(&screenshot),
    ] {
        assert!(html.contains(shown), "the transcript shows {shown:?}");
    }
    bot.advance(chrono::Duration::minutes(5)).await;
    let transcripts =
        bot.fake.requests().iter().filter(|r| r.path == format!("/channels/{TRANSCRIPTS}/messages")).count();
    assert_eq!(transcripts, 1, "posted once");

    // Every link dead: the record outlives them.
    bot.fake.expire_links();
    let dir = tempfile::tempdir().unwrap();
    let config = support::process::write_config(&bot.fake, dir.path(), &bot.db.url, &[]);
    let out = dir.path().join("out");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_priority-line"))
        .args(["transcript", "--config"])
        .arg(&config)
        .arg("ACME-1")
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    for bytes in [&screenshot, &log, &late] {
        let written = std::fs::read(out.join("files").join(sha256(bytes))).unwrap();
        assert_eq!(sha256(&written), sha256(bytes));
    }
    assert_eq!(std::fs::read_dir(out.join("files")).unwrap().count(), 3, "the file too large has no bytes");
    assert!(std::fs::read_to_string(out.join("transcript.html")).unwrap().contains("It started on Monday"));
    bot.stop().await;
}

/// What people write is shown as text: the transcript, parsed by a real
/// HTML parser, has no script, no event handler, nothing it would load or
/// follow, and every hostile message is there as it was written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_in_a_thread_is_only_text_in_its_transcript() {
    let bot = Bot::start().await;
    let (thread, _) = bot.open_critical().await;
    let long = "A".repeat(3_990) + "<b>END";
    let hostile = [
        "<script>alert('x')</script>",
        "<img src=x onerror=alert(1)>",
        "[click me](javascript:alert(1)) javascript:alert(2)",
        "<a href=\"https://evil.example/x\">link</a> <iframe src=\"https://evil.example\"></iframe>",
        "\u{202e}gnp.exe \u{200f}right-to-left\u{200e}",
        "\"><style>body{background:url(https://evil.example/t.png)}</style>",
        long.as_str(),
    ];
    for text in hostile {
        bot.fake.write(thread, &alice(), text, &[("<svg onload=alert(1)>.html", b"<script>x</script>")]);
    }
    support::eventually(|| async {
        let record = record_of(&bot, "ACME-1").await;
        let people = record.iter().filter(|m| !m.by_bot).count();
        let kept = record.iter().flat_map(|m| &m.files).filter(|f| f.state == FileState::Kept).count();
        (people == hostile.len() && kept == hostile.len()).then_some(()).ok_or("not all recorded yet".to_owned())
    })
    .await;
    let reply =
        bot.slash(thread, engineer(), "en-US", "ticket", fake::subcommand("transcript", &[("number", "ACME-1")])).await;
    assert!(text(&reply).starts_with("The transcript of ACME-1"), "{reply}");
    assert_eq!(reply["data"]["flags"], 64, "only the caller sees it");
    let answered = bot
        .fake
        .wait_for("the transcript's upload", |f| {
            f.requests().into_iter().find(|r| {
                (r.path.starts_with("/interactions/") || r.path.starts_with("/webhooks/")) && !r.files.is_empty()
            })
        })
        .await;
    let html = String::from_utf8(answered.files[0].bytes.clone()).unwrap();
    let page = scraper::Html::parse_document(&html);
    let all = scraper::Selector::parse("*").unwrap();
    for element in page.select(&all) {
        let name = element.value().name();
        assert!(
            !["script", "iframe", "img", "object", "embed", "link", "base", "form", "a"].contains(&name),
            "<{name}> in the page"
        );
        for (attribute, value) in element.value().attrs() {
            assert!(!attribute.starts_with("on"), "an event handler: {attribute}={value}");
            assert!(!["src", "href", "action", "srcset", "background"].contains(&attribute), "{attribute}={value}");
        }
    }
    let styles: Vec<String> =
        page.select(&scraper::Selector::parse("style").unwrap()).map(|s| s.inner_html()).collect();
    assert_eq!(styles.len(), 1, "the page's own style only");
    assert!(!styles[0].contains("url("), "the style loads nothing");
    let csp = scraper::Selector::parse("meta[http-equiv=\"Content-Security-Policy\"]").unwrap();
    let policy = page.select(&csp).next().and_then(|m| m.value().attr("content")).unwrap_or_default().to_owned();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    let texts: Vec<String> =
        page.select(&scraper::Selector::parse("div.text").unwrap()).map(|d| d.text().collect()).collect();
    for text in hostile {
        assert!(texts.iter().any(|t| t == text), "shown as written: {text:?}");
    }
    let files: Vec<String> =
        page.select(&scraper::Selector::parse("span.file").unwrap()).map(|d| d.text().collect()).collect();
    assert!(files.iter().all(|f| f == "<svg onload=alert(1)>.html"), "{files:?}");
    bot.stop().await;
}
