//! `priority-line console`: the chat-ops shell adapter. The same commands and
//! grammar as Discord, typed as one of the configured users, against the same
//! application layer and an SQLite file. Replies, cards and posts print as
//! text. In a terminal it keeps a line history; from a pipe it reads one
//! command a line, so it can be scripted.

mod parse;

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, LazyLock};

use chrono::{DateTime, Utc};
use regex::Regex;

use crate::app::clock::ShiftedClock;
use crate::app::command::GRAMMAR;
use crate::app::i18n::{self, say};
use crate::app::{App, Card, Command, Effect, Invocation, Outcome, Place};
use crate::domain::customer::{Language, Snowflake};
use crate::domain::ticket::TicketNumber;
use crate::scheduler;

/// Console-made thread and card ids: far above real Discord ids of today's
/// tickets, and derived from the ticket id so they stay unique per database.
const THREAD_BASE: u64 = 7_000_000_000_000_000_000;
const CARD_BASE: u64 = 8_000_000_000_000_000_000;

/// Who is typing.
#[derive(Debug, Clone)]
struct Me {
    name: String,
    id: Snowflake,
    staff: bool,
}

pub struct Console {
    app: App,
    me: Me,
    channel: Snowflake,
    names: BTreeMap<Snowflake, String>,
    /// Thread ids of the tickets seen in this session, for prompts.
    threads: BTreeMap<Snowflake, TicketNumber>,
    /// The language replies come in, as a Discord locale would say (`:lang`).
    language: Language,
    /// The application's clock, which `:later` moves.
    clock: Arc<ShiftedClock>,
}

impl Console {
    /// Starts as `start_as` (a console user's name or id), else the first configured user.
    pub async fn new(app: App, clock: Arc<ShiftedClock>, start_as: Option<&str>) -> Result<Console, String> {
        let config = app.config();
        let mut names: BTreeMap<Snowflake, String> =
            config.console_users.iter().map(|u| (u.id, u.name.clone())).collect();
        for c in &config.customers {
            let key = c.key.as_str().to_lowercase();
            names.entry(c.tam).or_insert_with(|| format!("tam-{key}"));
            if let Some(b) = c.backup_tam {
                names.entry(b).or_insert_with(|| format!("backup-tam-{key}"));
            }
        }
        let first = config
            .console_users
            .first()
            .ok_or("the configuration has no [[console.users]]: add some to use the console")?;
        let me = Me { name: first.name.clone(), id: first.id, staff: first.staff };
        let channel = config.customers.first().map(|c| c.support_channel).unwrap_or(Snowflake(1));
        let mut console = Console { app, me, channel, names, threads: BTreeMap::new(), language: Language::En, clock };
        if let Some(who) = start_as {
            let out = console.switch_user(who).await;
            if out.starts_with("error") {
                return Err(out);
            }
        }
        Ok(console)
    }

    pub fn prompt(&self) -> String {
        format!("{} in {}> ", self.me.name, self.place_name(self.channel))
    }

    /// Runs one line and returns what to print. `None` means quit.
    pub async fn line(&mut self, line: &str) -> Option<String> {
        let due = self.due_now().await;
        let answer = self.answer(line).await?;
        Some(match (due.is_empty(), answer.is_empty()) {
            (true, _) => answer,
            (false, true) => due,
            (false, false) => format!("{due}\n{answer}"),
        })
    }

    async fn answer(&mut self, line: &str) -> Option<String> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Some(String::new());
        }
        if let Some(meta) = line.strip_prefix(':') {
            let (word, arg) = meta.split_once(char::is_whitespace).unwrap_or((meta, ""));
            return match word {
                "q" | "quit" | "exit" => None,
                "as" => Some(self.switch_user(arg.trim()).await),
                "in" => Some(self.switch_place(arg.trim()).await),
                "users" => Some(self.users()),
                "later" => Some(match humantime::parse_duration(arg.trim()) {
                    Ok(d) => self.later(d).await,
                    Err(e) => format!("error: :later takes a duration such as 20m or 2h: {e}"),
                }),
                "lang" => Some(match arg.trim().parse::<Language>() {
                    Ok(l) => {
                        self.language = l;
                        format!(
                            "Replies now come in \"{}\"; posts in threads stay in the customer's language.",
                            arg.trim()
                        )
                    }
                    Err(e) => format!("error: {e}"),
                }),
                "help" | "h" => Some(help()),
                other => Some(format!("error: unknown console command :{other}; :help lists them")),
            };
        }
        Some(self.command(line).await)
    }

    async fn command(&mut self, line: &str) -> String {
        let parsed = match parse::parse(line) {
            Ok(p) => p,
            Err(e) => return format!("error: {e}"),
        };
        // `user:@alice` names a console user; Discord would send the id.
        let options: Vec<(String, String)> = parsed
            .options
            .into_iter()
            .map(|(k, v)| {
                let v = match v.strip_prefix('@').and_then(|n| self.names.iter().find(|(_, name)| name.as_str() == n)) {
                    Some((id, _)) => id.to_string(),
                    None => v,
                };
                (k, v)
            })
            .collect();
        let command = match Command::build(&parsed.path, &options) {
            Ok(c) => c,
            Err(e) => return format!("error: {e}"),
        };
        let inv = Invocation {
            user: self.me.id,
            is_staff: self.me.staff,
            channel: self.channel,
            language: Some(self.language),
        };
        let outcome = self.app.handle(&inv, command).await;
        self.show(outcome).await
    }

    async fn show(&mut self, outcome: Outcome) -> String {
        let now = self.app.now();
        let mut out = Vec::new();
        if !outcome.reply.text.is_empty() {
            let who = if outcome.reply.ephemeral { "(only you can see this)" } else { "" };
            out.push(format!("bot {who}: {}", self.render(&outcome.reply.text, now)));
        }
        if let Some(card) = &outcome.reply.card {
            out.push(self.card(card, now));
        }
        self.show_effects(outcome.effects, now, &mut out).await;
        out.join("\n")
    }

    async fn show_effects(&mut self, effects: Vec<Effect>, now: DateTime<Utc>, out: &mut Vec<String>) {
        for effect in effects {
            match effect {
                Effect::OpenThread { card, channel, members } => {
                    let t = &card.ticket;
                    let (thread, card_msg) = (Snowflake(THREAD_BASE + t.id as u64), Snowflake(CARD_BASE + t.id as u64));
                    if let Err(e) = self.app.attach_thread(&t.number, thread, card_msg).await {
                        out.push(format!("error: could not record the thread of {}: {e}", t.number));
                    }
                    self.threads.insert(thread, t.number.clone());
                    let members: Vec<String> = members.iter().map(|m| self.user_name(*m)).collect();
                    out.push(format!(
                        "[{}] private thread {} created for {} (:in {} to enter it)",
                        self.place_name(channel),
                        t.number,
                        members.join(", "),
                        t.number
                    ));
                    out.push(self.card(&card, now));
                }
                Effect::UpdateCard { card } => out.push(self.card(&card, now)),
                Effect::Post { place, text, ping, ping_roles, .. } => {
                    let place = match place {
                        Place::Ticket(n) => format!("thread {n}"),
                        Place::Channel(c) => self.place_name(c),
                    };
                    let pinged: Vec<String> = ping
                        .iter()
                        .map(|p| self.user_name(*p))
                        .chain(ping_roles.iter().map(|r| format!("@role:{r}")))
                        .collect();
                    let pinged =
                        if pinged.is_empty() { String::new() } else { format!("  (notifies {})", pinged.join(", ")) };
                    out.push(format!("[{place}] {}{pinged}", self.render(&text, now)));
                }
            }
        }
    }

    /// Moves the clock forward by `by`, stopping at each due instant on the
    /// way so that every notification goes out on time, as a running bot's would.
    async fn later(&mut self, by: std::time::Duration) -> String {
        let until = self.app.now() + chrono::Duration::from_std(by).unwrap_or_default();
        let mut out = Vec::new();
        while let Ok(Some(next)) = self.app.next_due().await {
            if next > until {
                break;
            }
            self.clock.shift((next - self.app.now()).to_std().unwrap_or_default());
            let due = self.due_now().await;
            if !due.is_empty() {
                out.push(due);
            }
        }
        self.clock.shift((until - self.app.now()).to_std().unwrap_or_default());
        out.insert(0, format!("It is now {}.", self.app.now().format("%a %Y-%m-%d %H:%M UTC")));
        out.join("\n")
    }

    /// Runs the scheduler: what fell due since the last command is shown first.
    async fn due_now(&mut self) -> String {
        let collected = Collect::default();
        if let Err(e) = scheduler::tick(&self.app, &collected).await {
            return format!("error: the scheduler failed: {e}");
        }
        let effects = std::mem::take(&mut *collected.0.lock().unwrap_or_else(|p| p.into_inner()));
        let mut out = Vec::new();
        self.show_effects(effects, self.app.now(), &mut out).await;
        out.join("\n")
    }

    fn card(&self, card: &Card, now: DateTime<Utc>) -> String {
        let (t, lang) = (&card.ticket, card.language);
        let (customer, opener, opened) =
            (&card.customer_name, self.user_name(t.opened_by), when_text(t.opened_at, now));
        let mut lines = vec![
            format!("  ┌─ {} · {} · {}", t.number, i18n::severity(lang, t.severity), i18n::status(lang, card.status)),
            format!("  │  {}", t.summary),
            say!(
                lang,
                "  │  {customer} · opened by {opener} · {opened}",
                "  │  {customer} · abierto por {opener} · {opened}"
            ),
        ];
        lines.push(match (t.acked_by, card.response_minutes()) {
            (Some(by), Some(min)) => {
                let by = self.user_name(by);
                say!(lang, "  └─ acknowledged by {by} after {min} min", "  └─ acuse de recibo de {by} tras {min} min")
            }
            _ => {
                let due = when_text(t.due_at, now);
                say!(
                    lang,
                    "  └─ first response due {due}   [Acknowledge]",
                    "  └─ primera respuesta antes de {due}   [Acusar recibo]"
                )
            }
        });
        lines.join("\n")
    }

    async fn switch_user(&mut self, who: &str) -> String {
        let config = self.app.config();
        let Some(user) = config.console_users.iter().find(|u| u.name == who || u.id.to_string() == who) else {
            let known: Vec<&str> = config.console_users.iter().map(|u| u.name.as_str()).collect();
            return format!("error: no console user \"{who}\"; known: {}", known.join(", "));
        };
        self.me = Me { name: user.name.clone(), id: user.id, staff: user.staff };
        let mut role = if user.staff { "support staff".to_owned() } else { "not registered".to_owned() };
        if let Some(c) = config.tam_of(user.id).next() {
            role = format!("TAM of {}", c.name);
            self.channel = c.support_channel;
        } else if let Ok(Some(contact)) = self.app.store().active_contact(user.id).await {
            if let Some(c) = config.customer(&contact.customer) {
                role = format!("technical contact of {}", c.name);
                self.channel = c.support_channel;
            }
        }
        format!("You are {} ({role}), in {}.", self.me.name, self.place_name(self.channel))
    }

    async fn switch_place(&mut self, place: &str) -> String {
        if let Some(c) = self.app.config().customer(&place.to_ascii_uppercase()) {
            self.channel = c.support_channel;
            return format!("You are in {}.", self.place_name(self.channel));
        }
        let Ok(number) = place.parse::<TicketNumber>() else {
            return format!("error: \"{place}\" is neither a customer key (ACME) nor a ticket number (ACME-3)");
        };
        match self.app.store().ticket(&number).await {
            Ok(Some(t)) => match t.thread_id {
                Some(thread) => {
                    self.channel = thread;
                    self.threads.insert(thread, number.clone());
                    format!("You are in the thread of {number}.")
                }
                None => format!("error: {number} has no thread"),
            },
            Ok(None) => format!("error: there is no ticket {number}"),
            Err(e) => format!("error: {e}"),
        }
    }

    fn users(&self) -> String {
        let config = self.app.config();
        let mut lines = vec!["Console users (:as NAME):".to_owned()];
        for u in &config.console_users {
            let role = match config.tam_of(u.id).next() {
                Some(c) => format!("TAM of {}", c.name),
                None if u.staff => "support staff".into(),
                None => "contact or unregistered (staff add contacts with /contacts add)".into(),
            };
            lines.push(format!("  {:<12} {role}", u.name));
        }
        lines.join("\n")
    }

    fn user_name(&self, id: Snowflake) -> String {
        match self.names.get(&id) {
            Some(n) => format!("@{n}"),
            None => format!("@{id}"),
        }
    }

    fn place_name(&self, channel: Snowflake) -> String {
        if self.app.config().discord.as_ref().and_then(|d| d.escalation_channel) == Some(channel) {
            return "#escalations".into();
        }
        if let Some(c) = self.app.config().customer_by_channel(channel) {
            return format!("#{}-support", c.key.as_str().to_lowercase());
        }
        if let Some(number) = self.threads.get(&channel) {
            return format!("thread {number}");
        }
        format!("#{channel}")
    }

    /// Discord markdown to plain text: mentions, channels, timestamps, bold.
    fn render(&self, text: &str, now: DateTime<Utc>) -> String {
        static TOKENS: LazyLock<Regex> = LazyLock::new(|| {
            // A fixed pattern: it compiles.
            Regex::new(r"<t:(-?\d+):([FR])>|<@!?(\d+)>|<#(\d+)>|<@&(\d+)>|\*\*").expect("valid pattern")
        });
        TOKENS
            .replace_all(text, |c: &regex::Captures| {
                if let (Some(ts), Some(style)) = (c.get(1), c.get(2)) {
                    let t = ts.as_str().parse().ok().and_then(|s| DateTime::from_timestamp(s, 0)).unwrap_or(now);
                    return if style.as_str() == "R" {
                        relative(t, now)
                    } else {
                        t.format("%a %Y-%m-%d %H:%M UTC").to_string()
                    };
                }
                let id = |i| c.get(i).and_then(|m| m.as_str().parse().ok()).map(Snowflake);
                if let Some(user) = id(3) {
                    return self.user_name(user);
                }
                if let Some(channel) = id(4) {
                    return self.place_name(channel);
                }
                if let Some(role) = id(5) {
                    return format!("@role:{role}");
                }
                String::new()
            })
            .into_owned()
    }
}

fn when_text(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!("{} ({})", t.format("%a %Y-%m-%d %H:%M UTC"), relative(t, now))
}

fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let d = t - now;
    let minutes = d.num_minutes().abs();
    let span = if minutes < 1 {
        return "now".into();
    } else if minutes < 120 {
        format!("{minutes} min")
    } else if minutes < 48 * 60 {
        format!("{} h {} min", minutes / 60, minutes % 60)
    } else {
        format!("{} days", minutes / (24 * 60))
    };
    if d.num_seconds() >= 0 {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

fn help() -> String {
    let mut lines = vec!["Commands (the same as in Discord):".to_owned()];
    for (path, options, what) in GRAMMAR {
        let opts: Vec<String> = options
            .iter()
            .map(|o| match o.strip_suffix('?') {
                Some(o) => format!("[{o}:…]"),
                None => format!("{o}:…"),
            })
            .collect();
        lines.push(format!("  /{path} {}\n      {what}", opts.join(" ")));
    }
    lines.push("Console:".into());
    lines.push("  :as NAME        act as a configured user (:users lists them)".into());
    lines.push("  :in ACME        go to a customer's support channel".into());
    lines.push("  :in ACME-3      go into a ticket's thread (for /ack)".into());
    lines.push("  :lang es        replies in Spanish (en: English), as a Discord locale does".into());
    lines.push("  :later 20m      move the console's clock forward: escalations fall due".into());
    lines.push("  :help, :quit".into());
    lines.push("Quote values with spaces: summary:\"VPN down for all users\". Mention users as user:@alice.".into());
    lines.join("\n")
}

/// Collects what the scheduler delivers, for printing.
#[derive(Default)]
struct Collect(std::sync::Mutex<Vec<Effect>>);

#[async_trait::async_trait]
impl scheduler::Deliver for Collect {
    async fn deliver(&self, effects: &[Effect]) -> Result<(), String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(effects);
        Ok(())
    }
}

/// Runs the console on standard input until it ends or `:quit`.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    app: App,
    clock: Arc<ShiftedClock>,
    start_as: Option<&str>,
) -> Result<(), String> {
    let mut console = runtime.block_on(Console::new(app, clock, start_as))?;
    let stdout = std::io::stdout();
    if std::io::stdin().is_terminal() {
        let mut editor = rustyline::DefaultEditor::new().map_err(|e| format!("cannot start the line editor: {e}"))?;
        let history = std::path::Path::new("data/.console_history");
        let _ = editor.load_history(history);
        println!("priority-line console. :help lists the commands; you are {}.", console.me.name);
        loop {
            match editor.readline(&console.prompt()) {
                Ok(line) => {
                    let _ = editor.add_history_entry(line.as_str());
                    match runtime.block_on(console.line(&line)) {
                        Some(out) if !out.is_empty() => println!("{out}"),
                        Some(_) => {}
                        None => break,
                    }
                }
                Err(rustyline::error::ReadlineError::Interrupted | rustyline::error::ReadlineError::Eof) => break,
                Err(e) => return Err(format!("cannot read the terminal: {e}")),
            }
        }
        if let Some(dir) = history.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(history);
    } else {
        for line in std::io::stdin().lock().lines() {
            let line = line.map_err(|e| format!("cannot read standard input: {e}"))?;
            let mut out = stdout.lock();
            // Echo the command, so a scripted session reads like a transcript.
            let _ = writeln!(out, "{}{line}", console.prompt());
            match runtime.block_on(console.line(&line)) {
                Some(text) if !text.is_empty() => {
                    let _ = writeln!(out, "{text}");
                }
                Some(_) => {}
                None => break,
            }
        }
    }
    Ok(())
}
