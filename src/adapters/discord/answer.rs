//! What an interaction is answered with, however it arrived (the gateway or
//! the HTTP endpoint): a slash command, a button or an autocomplete request
//! becomes an [`Invocation`] for the application layer, and its outcome the
//! interaction's response.

use serenity::all::{
    ActionRowComponent, ChannelId, CreateAutocompleteResponse, CreateInteractionResponse,
    CreateInteractionResponseMessage, EditInteractionResponse, Interaction, InteractionId, Member, RoleId, User,
};

use super::render::{self, Pressed};
use super::typed_input;
use crate::app::commands::{Ack, CommentForm, ConfirmSignature, TicketRate};
use crate::app::{App, EventId, Invocation, Outcome, Refusal, Reply};
use crate::domain::customer::{Language, Snowflake};
use serde_json::Value;

/// What an interaction gets.
#[derive(Debug)]
pub enum Answer {
    /// A reply (the command's outcome).
    Reply(Outcome),
    /// Autocomplete choices.
    Choices(Vec<String>),
    /// Nothing from this instance: another took the event, or there is
    /// nothing to answer (an interaction kind the bot does not use).
    Nothing,
}

impl Answer {
    /// The interaction response, unless there is none to give: its JSON,
    /// which describes the files [`Answer::files`] gives to upload with it.
    pub fn response(&self) -> Option<Value> {
        let response = match self {
            Answer::Reply(outcome) if outcome.skipped() => return None,
            Answer::Reply(outcome) => match outcome.form() {
                Some(form) => CreateInteractionResponse::Modal(render::comment_modal(form, outcome.lang)),
                None => CreateInteractionResponse::Message(reply_message(outcome)),
            },
            Answer::Choices(numbers) => CreateInteractionResponse::Autocomplete(
                numbers.iter().fold(CreateAutocompleteResponse::new(), |r, n| r.add_string_choice(n, n)),
            ),
            _ => return None,
        };
        Some(render::describing_file(&response, &["data"], self.file_name()))
    }

    /// Whether the answer may be kept for a retried delivery of its
    /// interaction: not when it shows someone's personal data.
    pub fn keepable(&self) -> bool {
        !matches!(self, Answer::Reply(outcome) if outcome.holds_personal_data())
    }

    /// The answer as the edit of a deferred response, if it has one.
    pub fn edit(&self) -> Option<Value> {
        let Answer::Reply(outcome) = self else { return None };
        if outcome.skipped() {
            return None;
        }
        // A form cannot follow a deferral: its edit says the command instead.
        let edit = EditInteractionResponse::new()
            .content(render::fit(&render::markdown(&outcome.text())))
            .components(outcome.button().map(|b| render::buttons(std::slice::from_ref(b))).unwrap_or_default())
            .allowed_mentions(render::mentions(&[]));
        let edit = match (outcome.card(), outcome.summary()) {
            (Some(card), _) => edit.embed(render::card_embed(card)),
            (_, Some(summary)) => edit.embed(render::summary_embed(summary)),
            _ => edit,
        };
        Some(render::describing_file(&edit, &[], self.file_name()))
    }

    /// The files the answer uploads (a summary's chart), given to the
    /// request beside the response, which describes them.
    pub fn files(&self) -> Vec<super::rest::Upload> {
        let Answer::Reply(outcome) = self else { return vec![] };
        let chart = outcome.summary().map(|s| render::chart_file(&s.chart));
        chart.or_else(|| outcome.document().map(render::document_file)).into_iter().collect()
    }

    /// Whether the answer uploads files (then it cannot travel in an HTTP
    /// response).
    pub fn has_files(&self) -> bool {
        self.file_name().is_some()
    }

    /// The file the answer uploads, if any: a summary's chart, or a
    /// document (a transcript).
    fn file_name(&self) -> Option<&str> {
        let Answer::Reply(outcome) = self else { return None };
        let chart = outcome.summary().map(|s| s.chart.file_name.as_str());
        chart.or_else(|| outcome.document().map(|d| d.file_name.as_str()))
    }
}

/// What an answer sent, for the logs: its parts and sizes, never its text
/// or its files' bytes (`a reply of 212 characters with a summary and
/// summary-2026-W48.png (23456 bytes)`, `a refusal (not_an_email)`).
impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let outcome = match self {
            Answer::Nothing => return f.write_str("nothing"),
            Answer::Choices(numbers) => return write!(f, "{} choices", numbers.len()),
            Answer::Reply(outcome) => outcome,
        };
        match &outcome.reply {
            Reply::Form(_) => f.write_str("a form"),
            Reply::Done { msg, card, summary, personal, button, document } => {
                write!(f, "a reply of {} characters", msg.plain().chars().count())?;
                if card.is_some() {
                    f.write_str(" with a card")?;
                }
                if let Some(summary) = summary {
                    let chart = &summary.chart;
                    write!(f, " with a summary and {} ({} bytes)", chart.file_name, chart.png.len())?;
                }
                if button.is_some() {
                    f.write_str(" with a button")?;
                }
                if let Some(d) = document {
                    write!(f, " with {} ({} bytes)", d.file_name, d.bytes.len())?;
                }
                if *personal {
                    f.write_str(", personal data kept nowhere")?;
                }
                Ok(())
            }
            Reply::Refused(refusal) => write!(f, "a refusal ({})", refusal.kind()),
            Reply::Failed { command } => write!(f, "an apology for /{}", command.path(Language::En)),
            Reply::Skipped => f.write_str("nothing (another instance answers)"),
        }
    }
}

/// The ephemeral "thinking…" response of a slow interaction.
pub fn deferral() -> CreateInteractionResponse {
    CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(true))
}

/// Turns interactions into invocations of the application layer.
#[derive(Clone)]
pub struct Answerer {
    pub app: App,
    pub staff_role: RoleId,
    /// The specialist group's role (`[signatures].specialist_role`).
    pub specialist_role: Option<RoleId>,
}

impl Answerer {
    /// The interaction's id and token, and what to answer it with.
    pub async fn answer(&self, interaction: &Interaction) -> Answer {
        match interaction {
            Interaction::Command(c) => {
                let mut inv = self.invocation(c.id, &c.user, c.member.as_deref(), c.channel_id, &c.locale);
                // Discord sends the roles of the members a command names.
                inv.named_staff = c
                    .data
                    .resolved
                    .members
                    .iter()
                    .filter(|(_, m)| m.roles.contains(&self.staff_role))
                    .map(|(id, _)| Snowflake(id.get()))
                    .collect();
                let (path, options) = typed_input(&c.data);
                Answer::Reply(self.app.handle_input(&inv, &path, &options).await)
            }
            Interaction::Component(c) => {
                let inv = self.invocation(c.id, &c.user, c.member.as_ref(), c.channel_id, &c.locale);
                Answer::Reply(match Pressed::parse(&c.data.custom_id) {
                    // The card lives in the ticket's thread, so /ack there is this ticket's.
                    Some(Pressed::Ack(_)) => self.app.handle(&inv, Ack::default().into()).await,
                    Some(Pressed::Confirm(number)) => {
                        self.app.handle(&inv, ConfirmSignature { number: number.into() }.into()).await
                    }
                    Some(Pressed::Rate(number, score)) => {
                        let rate = TicketRate { number: number.into(), score, comment: None };
                        self.app.handle(&inv, rate.into()).await
                    }
                    Some(Pressed::Comment(number, score)) => self.app.comment_form(&inv, number, score).await,
                    Some(Pressed::CommentForm(..)) | None => self.app.refuse_once(&inv, Refusal::UnknownButton).await,
                })
            }
            Interaction::Modal(m) => {
                let inv = self.invocation(m.id, &m.user, m.member.as_ref(), m.channel_id, &m.locale);
                let Some(Pressed::CommentForm(ticket, score)) = Pressed::parse(&m.data.custom_id) else {
                    return Answer::Reply(self.app.refuse_once(&inv, Refusal::UnknownButton).await);
                };
                // What was written comes back as the command, checked as typed.
                let comment = m
                    .data
                    .components
                    .iter()
                    .flat_map(|row| &row.components)
                    .find_map(|c| match c {
                        ActionRowComponent::InputText(t) if t.custom_id == render::COMMENT_FIELD => t.value.clone(),
                        _ => None,
                    })
                    .unwrap_or_default();
                let (path, options) = CommentForm { ticket, score }.submitted(&comment);
                Answer::Reply(self.app.handle_input(&inv, &path, &options).await)
            }
            Interaction::Autocomplete(c) => {
                let inv = self.invocation(c.id, &c.user, c.member.as_deref(), c.channel_id, &c.locale);
                let typed = c.data.autocomplete().map(|a| a.value.to_owned()).unwrap_or_default();
                match self.app.ticket_numbers(&inv, &typed).await {
                    Some(numbers) => Answer::Choices(numbers),
                    None => Answer::Nothing,
                }
            }
            _ => Answer::Nothing,
        }
    }

    fn invocation(
        &self,
        id: InteractionId,
        user: &User,
        member: Option<&Member>,
        channel: ChannelId,
        locale: &str,
    ) -> Invocation {
        let has = |role: Option<RoleId>| member.zip(role).is_some_and(|(m, r)| m.roles.contains(&r));
        Invocation {
            user: Snowflake(user.id.get()),
            is_staff: has(Some(self.staff_role)),
            is_specialist: has(self.specialist_role),
            channel: Snowflake(channel.get()),
            language: Some(language(locale)),
            event: Some(EventId::Interaction(id.get())),
            named_staff: vec![],
        }
    }
}

/// The language of a Discord locale (`es-ES`, `en-US`).
fn language(locale: &str) -> Language {
    if locale.starts_with("es") {
        Language::Es
    } else {
        Language::En
    }
}

/// The language of the person who caused an interaction.
pub fn language_of(interaction: &Interaction) -> Language {
    match interaction {
        Interaction::Command(c) | Interaction::Autocomplete(c) => language(&c.locale),
        Interaction::Component(c) => language(&c.locale),
        Interaction::Modal(m) => language(&m.locale),
        _ => Language::En,
    }
}

/// The id and token of an interaction the bot answers.
pub fn identity(interaction: &Interaction) -> Option<(InteractionId, &str)> {
    match interaction {
        Interaction::Command(c) | Interaction::Autocomplete(c) => Some((c.id, &c.token)),
        Interaction::Component(c) => Some((c.id, &c.token)),
        Interaction::Modal(m) => Some((m.id, &m.token)),
        _ => None,
    }
}

/// The interaction's reply: ephemeral, mentioning nobody.
fn reply_message(outcome: &Outcome) -> CreateInteractionResponseMessage {
    let message = CreateInteractionResponseMessage::new()
        .content(render::fit(&render::markdown(&outcome.text())))
        .ephemeral(true)
        .allowed_mentions(render::mentions(&[]));
    let message = match outcome.button() {
        Some(button) => message.components(render::buttons(std::slice::from_ref(button))),
        None => message,
    };
    match (outcome.card(), outcome.summary()) {
        (Some(card), _) => message.embed(render::card_embed(card)),
        (_, Some(summary)) => message.embed(render::summary_embed(summary)),
        _ => message,
    }
}
