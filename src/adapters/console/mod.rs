//! `priority-line console`: the chat-ops shell adapter. The same commands as
//! Discord (from the same declarations), typed as one of the configured
//! users, against the same application layer and an SQLite file. Replies,
//! cards and posts print as text, times in the customer's zone. `:lang es`
//! makes it speak, and understand, Spanish. In a terminal it keeps a line
//! history; from a pipe it reads one command a line, so it can be scripted.

mod files;
mod parse;
mod render;

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use crate::app::clock::ShiftedClock;
use crate::app::commands::{self, Local};
use crate::app::msg::say;
use crate::app::{Action, App, Delivery, DeliveryError, Invocation, Made, Outcome, Receipt};
use crate::domain::customer::{Language, Snowflake};
use crate::domain::ticket::TicketNumber;
use crate::scheduler;
use parse::ParseError;

/// Console-made thread and card ids: far above real Discord ids of today's
/// tickets, and derived from the outbox job so they stay unique per database.
const THREAD_BASE: u64 = 7_000_000_000_000_000_000;
const CARD_BASE: u64 = 8_000_000_000_000_000_000;
const GROUP_BASE: u64 = 6_000_000_000_000_000_000;

/// The longest `:later`: beyond it, dates leave the calendars' range.
const LATER_MAX: std::time::Duration = std::time::Duration::from_secs(366 * 24 * 3600);

/// Who is typing.
#[derive(Debug, Clone)]
struct Me {
    name: String,
    id: Snowflake,
    staff: bool,
    specialist: bool,
}

pub struct Console {
    app: App,
    me: Me,
    channel: Snowflake,
    names: BTreeMap<Snowflake, String>,
    /// Thread ids of the tickets seen in this session, for prompts.
    threads: BTreeMap<Snowflake, TicketNumber>,
    /// The language replies come in and commands are read in, as a Discord
    /// locale would say (`:lang`).
    language: Language,
    /// The application's clock, which `:later` moves.
    clock: Arc<ShiftedClock>,
    /// Messages and files made so far: their ids' low bits.
    made: u64,
}

impl render::Names for Console {
    fn user(&self, id: Snowflake) -> String {
        match self.names.get(&id) {
            Some(n) => format!("@{n}"),
            None => format!("@{id}"),
        }
    }

    fn role(&self, id: Snowflake) -> String {
        let discord = self.app.config().discord.as_ref();
        if discord.and_then(|d| d.escalation_role) == Some(id) {
            return "@escalation-role".into();
        }
        if discord.map(|d| d.staff_role) == Some(id) {
            return "@staff".into();
        }
        format!("@role:{id}")
    }

    fn place(&self, channel: Snowflake) -> String {
        let config = self.app.config();
        if config.discord.as_ref().and_then(|d| d.escalation_channel) == Some(channel) {
            return "#escalations".into();
        }
        if config.transcripts.is_some_and(|t| t.channel == channel) {
            return "#transcripts".into();
        }
        if let Some(c) = config.customer_by_channel(channel) {
            return format!("#{}-support", c.key.as_str().to_lowercase());
        }
        if let Some(number) = self.threads.get(&channel) {
            return format!("{} {number}", Local::new("thread", "hilo").get(self.language));
        }
        format!("#{channel}")
    }
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
        let me = Me { name: first.name.clone(), id: first.id, staff: first.staff, specialist: first.specialist };
        let channel = config.customers.first().map(|c| c.support_channel).unwrap_or(Snowflake(1));
        let mut console =
            Console { app, me, channel, names, threads: BTreeMap::new(), language: Language::En, clock, made: 0 };
        if let Some(who) = start_as {
            console.switch_user(who).await.map_err(|e| format!("error: {e}"))?;
        }
        Ok(console)
    }

    pub fn prompt(&self) -> String {
        let at = Local::new("in", "en").get(self.language);
        format!("{} {at} {}> ", self.me.name, render::Names::place(self, self.channel))
    }

    /// Runs one line and returns what to print: what fell due since the
    /// last line, the answer, and what the command made happen (its thread,
    /// card and posts, delivered by the scheduler as on Discord). `None`
    /// means quit.
    pub async fn line(&mut self, line: &str) -> Option<String> {
        let due = self.due_now().await;
        let answer = self.answer(line).await?;
        let effects = self.due_now().await;
        let parts: Vec<String> = [due, answer, effects].into_iter().filter(|p| !p.is_empty()).collect();
        Some(parts.join("\n"))
    }

    fn say(&self, en: &'static str, es: &'static str) -> &'static str {
        Local::new(en, es).get(self.language)
    }

    async fn answer(&mut self, line: &str) -> Option<String> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Some(String::new());
        }
        let Some(meta) = line.strip_prefix(':') else {
            return Some(match line.starts_with('/') {
                true => self.command(line).await,
                false => self.message(line, vec![]).await,
            });
        };
        let (word, arg) = meta.split_once(char::is_whitespace).unwrap_or((meta, ""));
        let arg = arg.trim();
        let result = match word {
            "q" | "quit" | "exit" | "salir" => return None,
            "as" | "como" => self.switch_user(arg).await,
            "in" | "en" => self.switch_place(arg).await,
            "users" | "usuarios" => Ok(self.users()),
            "later" | "luego" => self.later(arg).await,
            "lang" | "idioma" => self.switch_language(arg),
            "help" | "h" | "ayuda" => Ok(self.help()),
            "attach" | "adjuntar" => self.attach(arg).await,
            other => {
                let other = other.to_owned();
                Err(match self.language {
                    Language::En => format!("unknown console command :{other}; :help lists them"),
                    Language::Es => format!("no existe la orden de consola :{other}; :ayuda las lista"),
                })
            }
        };
        Some(result.unwrap_or_else(|e| format!("error: {e}")))
    }

    fn switch_language(&mut self, arg: &str) -> Result<String, String> {
        let lang = match arg {
            "en" => Language::En,
            "es" => Language::Es,
            other => {
                return Err(match self.language {
                    Language::En => format!("unsupported language \"{other}\" (write :lang en or :lang es)"),
                    Language::Es => format!("idioma no admitido \"{other}\" (escribe :idioma en o :idioma es)"),
                })
            }
        };
        self.language = lang;
        Ok(self
            .say(
                "Replies now come in English, and commands are read in English or Spanish; posts in threads stay in the customer's language.",
                "Las respuestas llegan ahora en español, y los comandos se leen en español o inglés; los mensajes de los hilos siguen en el idioma del cliente.",
            )
            .to_owned())
    }

    async fn command(&mut self, line: &str) -> String {
        let parsed = match parse::parse(line) {
            Ok(p) => p,
            Err(e) => return format!("error: {}", self.parse_error(&e)),
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
        let inv = self.invocation();
        let outcome = self.app.handle_input(&inv, &parsed.path, &options).await;
        self.show(outcome)
    }

    /// Who is typing, where.
    fn invocation(&self) -> Invocation {
        Invocation {
            user: self.me.id,
            is_staff: self.me.staff,
            is_specialist: self.me.specialist,
            channel: self.channel,
            language: Some(self.language),
            // One person at one console: nothing delivers a line twice.
            event: None,
            // Console users are staff by their configuration.
            named_staff: self.app.config().console_users.iter().filter(|u| u.staff).map(|u| u.id).collect(),
        }
    }

    /// An id of Discord's form for something made now.
    fn next_id(&mut self) -> Snowflake {
        self.made += 1;
        files::snowflake(self.app.now().timestamp_millis(), self.made)
    }

    /// A message the current user writes in the current channel: in a
    /// ticket's thread the record keeps it (with transcripts on), and it
    /// may count (an acknowledgement, an update, the customer's answer), as
    /// on Discord, by who wrote it where, never by its words.
    async fn message(&mut self, text: &str, files: Vec<crate::domain::record::Attached>) -> String {
        let arrived = crate::domain::record::Arrived {
            id: self.next_id(),
            channel: self.channel,
            author: self.me.id,
            author_name: self.me.name.clone(),
            by_bot: false,
            at: self.app.now(),
            text: text.to_owned(),
            files,
        };
        if let Err(e) = self.app.record_message(&arrived).await {
            return format!(
                "error: {}: {e}",
                self.say("the message was not recorded", "el mensaje no se ha registrado")
            );
        }
        let outcome = self.app.thread_message(&self.invocation()).await;
        let said = self.say("(message sent)", "(mensaje enviado)").to_owned();
        match outcome {
            // Refused (a closed ticket, say): shown as any refusal.
            Some(outcome) if outcome.refusal().is_some() => self.show(outcome),
            _ => said,
        }
    }

    /// `:attach FILE [text]`: a message with a local file attached, kept by
    /// the record as a file sent in Discord would be.
    async fn attach(&mut self, arg: &str) -> Result<String, String> {
        let (path, text) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
        if path.is_empty() {
            return Err(self.say("write :attach FILE [text]", "escribe :adjuntar ARCHIVO [texto]").to_owned());
        }
        let path = std::path::Path::new(path);
        let unreadable = |e: std::io::Error| format!("{}: {e}", path.display());
        let full = std::fs::canonicalize(path).map_err(unreadable)?;
        let size = std::fs::metadata(&full).map_err(unreadable)?.len();
        let url = url::Url::from_file_path(&full).map_err(|()| format!("{}: not a local path", path.display()))?;
        let name = full.file_name().map_or_else(|| "file".to_owned(), |n| n.to_string_lossy().into_owned());
        let attached = crate::domain::record::Attached {
            id: self.next_id(),
            name: name.clone(),
            content_type: None,
            size,
            url: url.to_string(),
        };
        let sent = self.message(text.trim(), vec![attached]).await;
        let size = crate::domain::record::size_words(size);
        Ok(format!("{sent} ({name}, {size})"))
    }

    fn parse_error(&self, e: &ParseError) -> String {
        match (e, self.language) {
            (ParseError::NoSlash, lang) => {
                let open = commands::TicketOpen::spec().typed(lang, &[("summary", "\"…\"")]);
                say!(lang, "commands start with / (try {open}), or :help", "los comandos empiezan por / (prueba {open}), o :ayuda", open).plain()
            }
            (ParseError::NoCommand, Language::En) => "a command name is missing after /".into(),
            (ParseError::NoCommand, Language::Es) => "falta el nombre del comando tras /".into(),
            (ParseError::NotAnOption { word, column }, Language::En) => {
                format!("\"{word}\" at column {column} is not an option: write name:value (quote values with spaces)")
            }
            (ParseError::NotAnOption { word, column }, Language::Es) => format!(
                "\"{word}\" en la columna {column} no es una opción: escribe nombre:valor (entre comillas si lleva espacios)"
            ),
            (ParseError::NoOptionName { column }, Language::En) => {
                format!("an option name is missing before ':' at column {column}")
            }
            (ParseError::NoOptionName { column }, Language::Es) => {
                format!("falta el nombre de una opción antes de ':' en la columna {column}")
            }
            (ParseError::LoneBackslash { option }, Language::En) => {
                format!("the quoted value of {option} ends with a lone \\")
            }
            (ParseError::LoneBackslash { option }, Language::Es) => {
                format!("el valor entre comillas de {option} acaba con una \\ suelta")
            }
            (ParseError::Unterminated { option }, Language::En) => {
                format!("the quoted value of {option} has no closing \"")
            }
            (ParseError::Unterminated { option }, Language::Es) => {
                format!("al valor entre comillas de {option} le falta la \" de cierre")
            }
        }
    }

    fn show(&self, outcome: Outcome) -> String {
        let now = self.app.now();
        let mut out = Vec::new();
        let text = outcome.text();
        if !text.is_empty() {
            let who = self.say("bot (only you can see this)", "bot (solo lo ves tú)");
            out.push(format!("{who}: {}", render::msg(&text, self, self.language, now)));
        }
        if let Some(card) = outcome.card() {
            out.push(render::card(card, self, now));
        }
        if let Some(summary) = outcome.summary() {
            out.push(self.summary(summary));
        }
        out.extend(self.buttons(outcome.button().cloned().as_slice()));
        if let Some(document) = outcome.document() {
            out.push(format!("    {}", self.saved(document)));
        }
        out.join("\n")
    }

    /// Buttons as their labels and the command that presses them:
    /// `    [1] [2] [3] [4] [5]  (/ticket rate number:ACME-1 score:1…5)`.
    fn buttons(&self, buttons: &[crate::app::Button]) -> Option<String> {
        if buttons.is_empty() {
            return None;
        }
        let labels: Vec<String> = buttons.iter().map(|b| format!("[{}]", b.label())).collect();
        Some(format!("    {}  ({})", labels.join(" "), commands::buttons_command(buttons, self.language)))
    }

    /// Where a document (a transcript) was saved: `(transcript-ACME-1.html,
    /// 12.0 KB: /tmp/priority-line-transcripts/transcript-ACME-1.html)`.
    fn saved(&self, document: &crate::app::Document) -> String {
        let dir = std::env::temp_dir().join("priority-line-transcripts");
        let path = dir.join(&document.file_name);
        let size = crate::domain::record::size_words(document.bytes.len() as u64);
        match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, &document.bytes)) {
            Ok(()) => format!("({}, {size}: {})", document.file_name, path.display()),
            Err(e) => format!("({}, {size}: not saved to {}: {e})", document.file_name, path.display()),
        }
    }

    /// A weekly summary: its title, text and where its chart was saved.
    fn summary(&self, post: &crate::app::SummaryPost) -> String {
        let dir = std::env::temp_dir().join("priority-line-charts");
        let path = dir.join(&post.chart.file_name);
        let saved = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, &post.chart.png));
        let chart = match (saved, self.language) {
            (Ok(()), Language::En) => format!("(chart: {})", path.display()),
            (Ok(()), Language::Es) => format!("(gráfico: {})", path.display()),
            (Err(e), _) => format!("(chart not saved to {}: {e})", path.display()),
        };
        let text = render::msg(&post.msg, self, self.language, self.app.now());
        format!(
            "  ══ {} ══\n{}\n  {chart}",
            post.title,
            text.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
        )
    }

    /// What the scheduler delivered, as Discord would show it.
    fn show_deliveries(&mut self, delivered: Vec<(Delivery, Receipt)>) -> String {
        let now = self.app.now();
        let mut out = Vec::new();
        for (delivery, receipt) in delivered {
            for action in &delivery.actions {
                match action {
                    Action::OpenThread { parent, members, card, .. } => {
                        let n = delivery.ticket.as_ref().map(ToString::to_string).unwrap_or_default();
                        if let (Some(thread), Some(number)) = (receipt.thread, &delivery.ticket) {
                            self.threads.insert(thread, number.clone());
                        }
                        let place = render::Names::place(self, *parent);
                        out.push(match self.language {
                            Language::En => format!("[{place}] private thread {n} created (:in {n} to enter it)"),
                            Language::Es => format!("[{place}] hilo privado {n} creado (:en {n} para entrar)"),
                        });
                        if let Some(thread) = receipt.thread.filter(|_| !members.is_empty()) {
                            out.push(self.joined(thread, members));
                        }
                        if let Some(card) = card {
                            out.push(render::card(card, self, now));
                        }
                    }
                    Action::EditCard { card, .. } | Action::PostCard { card, .. } => {
                        out.push(render::card(card, self, now))
                    }
                    Action::Escalation { channel, message, msg, lang, ping, roles, .. } => {
                        let place = render::Names::place(self, *channel);
                        let text = render::msg(msg, self, *lang, now);
                        let pinged: Vec<String> = ping
                            .iter()
                            .map(|p| render::Names::user(self, *p))
                            .chain(roles.iter().map(|r| render::Names::role(self, *r)))
                            .collect();
                        out.push(match (message, pinged.is_empty()) {
                            (Some(_), _) => format!("[{place}] ({}) {text}", self.say("edited", "editado")),
                            (None, true) => format!("[{place}] {text}"),
                            (None, false) => {
                                format!("[{place}] {text}  ({} {})", self.say("notifies", "avisa a"), pinged.join(", "))
                            }
                        });
                    }
                    Action::Post { channel, msg, lang, ping, roles, thread, buttons, .. } => {
                        if let (true, Some(n)) = (thread, &delivery.ticket) {
                            self.threads.entry(*channel).or_insert_with(|| n.clone());
                        }
                        let place = render::Names::place(self, *channel);
                        let pinged: Vec<String> = ping
                            .iter()
                            .map(|p| render::Names::user(self, *p))
                            .chain(roles.iter().map(|r| render::Names::role(self, *r)))
                            .collect();
                        let pinged = match pinged.is_empty() {
                            true => String::new(),
                            false => format!("  ({} {})", self.say("notifies", "avisa a"), pinged.join(", ")),
                        };
                        // Worded in the customer's language, its times too.
                        out.push(format!("[{place}] {}{pinged}", render::msg(msg, self, *lang, now)));
                        out.extend(self.buttons(buttons));
                    }
                    Action::Summary { channel, post, .. } => {
                        out.push(format!("[{}]", render::Names::place(self, *channel)));
                        out.push(self.summary(post));
                    }
                    Action::Transcript { channel, msg, document, .. } => {
                        let place = render::Names::place(self, *channel);
                        out.push(format!(
                            "[{place}] {} {}",
                            render::msg(msg, self, self.language, now),
                            self.saved(document)
                        ));
                    }
                    Action::AddMember { thread, .. } => {
                        // The people a delivery adds, on one line.
                        let added: Vec<Snowflake> = delivery
                            .actions
                            .iter()
                            .filter_map(|a| match a {
                                Action::AddMember { thread: t, user } if t == thread => Some(*user),
                                _ => None,
                            })
                            .collect();
                        if matches!(delivery.actions.iter().find(|a| matches!(a, Action::AddMember { .. })), Some(first) if std::ptr::eq(first, action))
                        {
                            out.push(self.joined(*thread, &added));
                        }
                    }
                    Action::RemoveMember { thread, user } => {
                        let (place, user) = (render::Names::place(self, *thread), render::Names::user(self, *user));
                        let what = self.say("is no longer a member of the thread", "ya no es miembro del hilo");
                        out.push(format!("[{place}] {user} {what}"));
                    }
                    Action::ArchiveThread { thread, archived } => {
                        let place = render::Names::place(self, *thread);
                        let what = match archived {
                            true => self.say(
                                "the thread is archived (closed tickets leave the active list)",
                                "el hilo queda archivado (los tickets cerrados salen de la lista de activos)",
                            ),
                            false => self.say("the thread is active again", "el hilo vuelve a estar activo"),
                        };
                        out.push(format!("[{place}] {what}"));
                    }
                }
            }
        }
        out.join("\n")
    }

    /// `members` joined `thread`, on one line.
    fn joined(&self, thread: Snowflake, members: &[Snowflake]) -> String {
        let place = render::Names::place(self, thread);
        let names: Vec<String> = members.iter().map(|m| render::Names::user(self, *m)).collect();
        let what = match members.len() {
            1 => self.say("joins the thread", "entra en el hilo"),
            _ => self.say("join the thread", "entran en el hilo"),
        };
        format!("[{place}] {} {what}", names.join(", "))
    }

    /// Moves the clock forward, stopping at each due instant on the way so
    /// that every notification goes out on time, as a running bot's would.
    async fn later(&mut self, arg: &str) -> Result<String, String> {
        let by = humantime::parse_duration(arg).map_err(|e| match self.language {
            Language::En => format!(":later takes a duration such as 20m or 2h: {e}"),
            Language::Es => format!(":luego necesita una duración como 20m o 2h: {e}"),
        })?;
        if by > LATER_MAX {
            return Err(self
                .say(
                    ":later moves the clock at most 366 days at a time",
                    ":luego adelanta el reloj como mucho 366 días cada vez",
                )
                .to_owned());
        }
        // Within LATER_MAX, so it converts.
        let until = self.app.now() + chrono::Duration::from_std(by).unwrap_or_default();
        if chrono::Datelike::year(&until) >= crate::domain::calendar::LAST_YEAR {
            let last = crate::domain::calendar::LAST_YEAR;
            return Err(match self.language {
                Language::En => format!(":later cannot go past the year {last}, where the calendars end"),
                Language::Es => format!(":luego no puede pasar del año {last}, donde acaban los calendarios"),
            });
        }
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
        let zone = self.app.zone_of_channel(self.channel).await;
        let now = render::time(self.app.now(), zone, crate::app::TimeStyle::Full, self.language, self.app.now());
        out.insert(0, format!("{} {now}.", self.say("It is now", "Ahora es")));
        Ok(out.join("\n"))
    }

    /// Runs the scheduler and shows what it delivered.
    async fn due_now(&mut self) -> String {
        let collected = Collect::default();
        if let Err(e) = scheduler::tick(&self.app, &collected).await {
            return format!("error: {}: {e}", self.say("the scheduler failed", "el planificador ha fallado"));
        }
        let delivered = std::mem::take(&mut *collected.0.lock().unwrap_or_else(|p| p.into_inner()));
        self.record_posts(&delivered).await;
        self.app.keep_due_files(&files::LocalFiles).await;
        self.show_deliveries(delivered)
    }

    /// The bot's posts in tickets' threads, as the record keeps them (on
    /// Discord, the gateway echoes them).
    async fn record_posts(&mut self, delivered: &[(Delivery, Receipt)]) {
        if self.app.config().transcripts.is_none() {
            return;
        }
        for (delivery, _) in delivered {
            for action in &delivery.actions {
                let Action::Post { channel, msg, lang, thread: true, .. } = action else { continue };
                let arrived = crate::domain::record::Arrived {
                    id: self.next_id(),
                    channel: *channel,
                    author: Snowflake(0),
                    author_name: "priority-line".into(),
                    by_bot: true,
                    at: self.app.now(),
                    text: render::msg(msg, self, *lang, self.app.now()),
                    files: vec![],
                };
                if let Err(e) = self.app.record_message(&arrived).await {
                    tracing::warn!(error = %e, "cannot record the bot's post");
                }
            }
        }
    }

    async fn switch_user(&mut self, who: &str) -> Result<String, String> {
        let config = self.app.config();
        let Some(user) = config.console_users.iter().find(|u| u.name == who || u.id.to_string() == who) else {
            let known: Vec<&str> = config.console_users.iter().map(|u| u.name.as_str()).collect();
            let known = known.join(", ");
            return Err(match self.language {
                Language::En => format!("no console user \"{who}\"; known: {known}"),
                Language::Es => format!("no hay ningún usuario de consola \"{who}\"; conocidos: {known}"),
            });
        };
        self.me = Me { name: user.name.clone(), id: user.id, staff: user.staff, specialist: user.specialist };
        let lang = self.language;
        let mut role = self
            .say(
                if user.staff { "support staff" } else { "not registered" },
                if user.staff { "equipo de soporte" } else { "sin registrar" },
            )
            .to_owned();
        if let Some(c) = config.tam_of(user.id).next() {
            role = say!(lang, "TAM of {name}", "TAM de {name}", name = &c.name).plain();
            self.channel = c.support_channel;
        } else if let Ok(Some(c)) = self.app.customer_of_contact(user.id).await {
            role = say!(lang, "technical contact of {name}", "contacto técnico de {name}", name = &c.name).plain();
            self.channel = c.support_channel;
        }
        let (name, place) = (&self.me.name, render::Names::place(self, self.channel));
        Ok(say!(lang, "You are {name} ({role}), in {place}.", "Eres {name} ({role}), en {place}.", name, role, place)
            .plain())
    }

    async fn switch_place(&mut self, place: &str) -> Result<String, String> {
        let lang = self.language;
        if let Some(c) = self.app.config().customer(&place.to_ascii_uppercase()) {
            self.channel = c.support_channel;
            let place = render::Names::place(self, self.channel);
            return Ok(say!(lang, "You are in {place}.", "Estás en {place}.", place).plain());
        }
        let Ok(number) = place.parse::<TicketNumber>() else {
            return Err(say!(
                lang,
                "\"{place}\" is neither a customer key (ACME) nor a ticket number (ACME-3)",
                "\"{place}\" no es ni una clave de cliente (ACME) ni un número de ticket (ACME-3)",
                place
            )
            .plain());
        };
        match self.app.ticket_thread(&number).await {
            Ok(Some(Some(thread))) => {
                self.channel = thread;
                self.threads.insert(thread, number.clone());
                Ok(say!(lang, "You are in the thread of {number}.", "Estás en el hilo de {number}.", number).plain())
            }
            Ok(Some(None)) => Err(say!(lang, "{number} has no thread", "{number} no tiene hilo", number).plain()),
            Ok(None) => Err(say!(lang, "there is no ticket {number}", "no existe el ticket {number}", number).plain()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn users(&self) -> String {
        let config = self.app.config();
        let mut lines = vec![self.say("Console users (:as NAME):", "Usuarios de consola (:como NOMBRE):").to_owned()];
        for u in &config.console_users {
            let role = match config.tam_of(u.id).next() {
                Some(c) => format!("TAM {} {}", self.say("of", "de"), c.name),
                None if u.staff => self.say("support staff", "equipo de soporte").to_owned(),
                None => {
                    let (lang, add) = (self.language, commands::ContactsAdd::spec().typed(self.language, &[]));
                    say!(
                        lang,
                        "contact or unregistered (staff add contacts with {add})",
                        "contacto o sin registrar (el equipo añade contactos con {add})",
                        add
                    )
                    .plain()
                }
            };
            lines.push(format!("  {:<12} {role}", u.name));
        }
        lines.join("\n")
    }

    fn help(&self) -> String {
        let lang = self.language;
        let mut lines =
            vec![self.say("Commands (the same as in Discord):", "Comandos (los mismos que en Discord):").to_owned()];
        for entry in commands::ALL {
            lines.push(format!("  {}\n      {}", entry.spec.usage(lang), entry.spec.help.get(lang)));
        }
        lines.push(self.say("Console:", "Consola:").into());
        let ack = commands::Ack::spec().typed(lang, &[]);
        let thread =
            say!(lang, "go into a ticket's thread (for {ack})", "entrar en el hilo de un ticket (para {ack})", ack)
                .plain();
        let meta: [(&str, &str, &str, &str); 8] = [
            (
                ":as NAME",
                "act as a configured user (:users lists them)",
                ":como NOMBRE",
                "actuar como un usuario configurado (:usuarios los lista)",
            ),
            (":in ACME", "go to a customer's support channel", ":en ACME", "ir al canal de soporte de un cliente"),
            (":in ACME-3", &thread, ":en ACME-3", &thread),
            (
                ":lang es",
                "replies in Spanish (en: English), as a Discord locale does",
                ":idioma en",
                "respuestas en inglés (es: español), como el idioma de Discord",
            ),
            (
                ":later 20m",
                "move the console's clock forward: escalations fall due",
                ":luego 20m",
                "adelantar el reloj de la consola: vencen las escaladas",
            ),
            (
                ":attach FILE [text]",
                "write a message with a local file attached (the record keeps both)",
                ":adjuntar ARCHIVO [texto]",
                "escribir un mensaje con un archivo local adjunto (el registro guarda ambos)",
            ),
            (":help", "this help", ":ayuda", "esta ayuda"),
            (":quit", "leave", ":salir", "salir"),
        ];
        for (en, en_what, es, es_what) in meta {
            let (cmd, what) = match lang {
                Language::En => (en, en_what),
                Language::Es => (es, es_what),
            };
            lines.push(format!("  {cmd:<15} {what}"));
        }
        let summary = commands::TicketOpen::spec().option_named("summary", lang);
        let user = commands::ContactsAdd::spec().option_named("user", lang);
        lines.push(
            say!(
                lang,
                "Quote values with spaces: {summary}:\"VPN down for all users\". Mention users as {user}:@alice.",
                "Pon entre comillas los valores con espacios: {summary}:\"VPN caída para todos\". Menciona a las personas como {user}:@alice.",
                summary,
                user
            )
            .plain(),
        );
        lines.join("\n")
    }
}

/// Collects what the scheduler delivers, for printing; a thread it
/// "creates" gets ids derived from its job, unique per database.
#[derive(Default)]
struct Collect(std::sync::Mutex<Vec<(Delivery, Receipt)>>);

#[async_trait::async_trait]
impl scheduler::Deliver for Collect {
    async fn deliver(&self, delivery: &Delivery, _: &dyn scheduler::Lease) -> Result<Receipt, DeliveryError> {
        let receipt = delivery.receipt_with(|made, id| {
            let base = match made {
                Made::Thread => THREAD_BASE,
                Made::Card => CARD_BASE,
                Made::Message => GROUP_BASE,
            };
            Snowflake(base + id as u64)
        });
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push((delivery.clone(), receipt));
        Ok(receipt)
    }
}

/// Runs the console on standard input until it ends or `:quit`.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    app: App,
    clock: Arc<ShiftedClock>,
    start_as: Option<&str>,
) -> Result<(), String> {
    // The console is an instance while it runs: what falls due meanwhile is
    // not "late" (it is shown at the next line).
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let alive = runtime.spawn({
        let app = app.clone();
        async move {
            app.run_instance(async move {
                let _ = stopped.await;
            })
            .await
        }
    });
    let result = console_loop(runtime, app, clock, start_as);
    let _ = stop.send(());
    let _ = runtime.block_on(alive);
    result
}

fn console_loop(
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
