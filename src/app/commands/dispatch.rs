//! Running a command: who is acting ([`Invocation`]), what the command
//! returns ([`Outcome`]), and the dispatch that admits the actor, applies
//! the command and answers each Discord event once across instances.

use super::access::{Cx, Invocation};
use super::ticket_rate::{self, CommentForm};
use super::{refusals, signature_confirm, Command};
use crate::app::application::{App, AppError};
use crate::app::card::Card;
use crate::app::declare::Spec;
use crate::app::jobs::Button;
use crate::app::msg::{say, Document, Msg, SummaryPost};
use crate::app::refusal::Refusal;
use crate::domain::customer::Language;
use crate::storage::Claim;

/// The command a button stands for, as typed in `lang` (for surfaces
/// without buttons, such as the console).
pub fn button_command(button: &Button, lang: Language) -> String {
    match button {
        Button::Confirm { ticket, .. } => signature_confirm::SPEC.typed(lang, &[("number", &ticket.to_string())]),
        Button::Rate { ticket, score } => {
            ticket_rate::SPEC.typed(lang, &[("number", &ticket.to_string()), ("score", &score.to_string())])
        }
        Button::Comment { ticket, score, .. } => ticket_rate::SPEC
            .typed(lang, &[("number", &ticket.to_string()), ("score", &score.to_string()), ("comment", "…")]),
    }
}

/// The command a row of buttons stands for, as typed in `lang`: a rating's
/// five as one command whose score is to choose.
pub fn buttons_command(buttons: &[Button], lang: Language) -> String {
    let rating = |b: &Button| match b {
        Button::Rate { ticket, .. } => Some(ticket.clone()),
        _ => None,
    };
    match buttons {
        [one] => button_command(one, lang),
        [first, ..] if buttons.iter().all(|b| rating(b).is_some() && rating(b) == rating(first)) => {
            let (ticket, scores) = (rating(first).map(|t| t.to_string()).unwrap_or_default(), "1…5");
            ticket_rate::SPEC.typed(lang, &[("number", &ticket), ("score", scores)])
        }
        _ => buttons.iter().map(|b| button_command(b, lang)).collect::<Vec<_>>().join(" | "),
    }
}

/// What a second delivery of an interaction says when the first one's
/// answer cannot be read back.
pub fn handled_once(lang: Language) -> Msg {
    let list = super::ticket_list::SPEC.mention(lang, &[]);
    say!(
        lang,
        "This request was received twice and is handled once; {list} shows the result.",
        "Esta petición llegó dos veces y se atiende una sola; {list} muestra el resultado.",
        list
    )
}

/// What the caller sees at once; every reply is ephemeral (only the caller
/// sees it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The command ran: what to say, with a ticket's card or a weekly
    /// summary to show.
    /// `personal` when it shows someone's personal data (a contact's e-mail
    /// or phone), which is then kept nowhere. A button to press next, or a
    /// file to take (a transcript), maybe.
    Done {
        msg: Msg,
        card: Option<Box<Card>>,
        summary: Option<Box<SummaryPost>>,
        personal: bool,
        button: Option<Button>,
        document: Option<Box<Document>>,
    },
    /// A form to fill in (Discord: a modal), whose submission is a command.
    Form(CommentForm),
    /// The command was refused; the reply says why and what to do instead.
    Refused(Refusal),
    /// It failed on our side (logged in full); the reply apologises.
    Failed { command: &'static Spec },
    /// Another instance took this event (or an earlier delivery of it):
    /// nothing to show, nothing changed.
    Skipped,
}

/// The result of a command: the reply. What it changes on Discord (threads,
/// cards, posts) was queued in the outbox with the change itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The caller's language, in which the reply is worded.
    pub lang: Language,
    pub reply: Reply,
}

impl Outcome {
    pub fn done(lang: Language, msg: Msg) -> Outcome {
        let reply = Reply::Done { msg, card: None, summary: None, personal: false, button: None, document: None };
        Outcome { lang, reply }
    }

    /// The reply with a button to press next.
    pub fn with_button(mut self, next: Button) -> Outcome {
        if let Reply::Done { button, .. } = &mut self.reply {
            *button = Some(next);
        }
        self
    }

    /// The reply with a file to take.
    pub fn with_document(mut self, file: Document) -> Outcome {
        if let Reply::Done { document, .. } = &mut self.reply {
            *document = Some(Box::new(file));
        }
        self
    }

    pub fn document(&self) -> Option<&Document> {
        match &self.reply {
            Reply::Done { document, .. } => document.as_deref(),
            _ => None,
        }
    }

    pub fn button(&self) -> Option<&Button> {
        match &self.reply {
            Reply::Done { button, .. } => button.as_ref(),
            _ => None,
        }
    }

    pub fn form(&self) -> Option<&CommentForm> {
        match &self.reply {
            Reply::Form(form) => Some(form),
            _ => None,
        }
    }

    /// The reply shows someone's personal data.
    pub fn personal(mut self) -> Outcome {
        if let Reply::Done { personal, .. } = &mut self.reply {
            *personal = true;
        }
        self
    }

    /// Whether the reply shows someone's personal data (a contact's e-mail
    /// or phone, also as typed in a refused command): then it is not kept
    /// for a retried delivery of the event.
    pub fn holds_personal_data(&self) -> bool {
        match &self.reply {
            Reply::Done { personal, .. } => *personal,
            Reply::Refused(Refusal::NotAnEmail { .. }) => true,
            _ => false,
        }
    }

    /// The reply, worded in the caller's language.
    pub fn text(&self) -> Msg {
        match &self.reply {
            Reply::Done { msg, .. } => msg.clone(),
            Reply::Form(form) => form.instead(self.lang),
            Reply::Refused(r) => refusals::refusal(self.lang, r),
            Reply::Failed { command } => refusals::failed(self.lang, command),
            Reply::Skipped => Msg::default(),
        }
    }

    /// Another instance took the event: there is nothing to reply.
    pub fn skipped(&self) -> bool {
        self.reply == Reply::Skipped
    }

    pub fn refusal(&self) -> Option<&Refusal> {
        match &self.reply {
            Reply::Refused(r) => Some(r),
            _ => None,
        }
    }

    pub fn card(&self) -> Option<&Card> {
        match &self.reply {
            Reply::Done { card, .. } => card.as_deref(),
            _ => None,
        }
    }

    pub fn summary(&self) -> Option<&SummaryPost> {
        match &self.reply {
            Reply::Done { summary, .. } => summary.as_deref(),
            _ => None,
        }
    }
}

impl App {
    /// Runs a command typed as `path` and named options (English or
    /// Spanish): parsed from the declarations, then [`App::handle`]d.
    pub async fn handle_input(&self, inv: &Invocation, path: &str, options: &[(String, String)]) -> Outcome {
        match Command::parse(path, options) {
            Ok(command) => self.handle(inv, command).await,
            Err(usage) => {
                let lang = match self.actor(inv).await {
                    Ok(actor) => Self::lang(inv, actor.customer()),
                    Err(_) => inv.language.unwrap_or_default(),
                };
                tracing::info!(user = %inv.user, refusal = usage.kind(), "input refused");
                self.answer_once(inv, Outcome { lang, reply: Reply::Refused(Refusal::Usage(usage)) }).await
            }
        }
    }

    /// The claim of `inv`'s event by this instance, if it is one.
    fn claim_of(&self, inv: &Invocation) -> Option<Claim> {
        inv.event.map(|e| Claim { event: e.key(), instance: self.instance.to_string(), at: self.now() })
    }

    async fn claimed_already(&self, inv: &Invocation) -> bool {
        let Some(event) = inv.event else { return false };
        self.store.event_claimed(&event.key()).await.unwrap_or(false)
    }

    /// An outcome that changed nothing, given once: the event is claimed
    /// alone; if another instance has it, the outcome is skipped.
    pub(super) async fn answer_once(&self, inv: &Invocation, outcome: Outcome) -> Outcome {
        let Some(claim) = self.claim_of(inv) else { return outcome };
        match self.store.claim_event(&claim).await {
            Ok(true) => outcome,
            Ok(false) => self.skipped(inv),
            Err(e) => {
                // Answering twice is better than not at all; Discord refuses the second.
                tracing::warn!(error = %e, event = %claim.event, "cannot claim the event; answering anyway");
                outcome
            }
        }
    }

    /// The numbers of the tickets this person may act on here that start with
    /// what they typed (`ACME-4` or just `4`), at most 25: for autocomplete.
    /// `None` when another instance took the event and answers it.
    pub async fn ticket_numbers(&self, inv: &Invocation, typed: &str) -> Option<Vec<String>> {
        let numbers = self.visible_numbers(inv, typed).await;
        let outcome = self.answer_once(inv, Outcome::done(Self::lang(inv, None), Default::default())).await;
        (!outcome.skipped()).then_some(numbers)
    }

    /// A refusal that needs no command (a button no longer in use), given once.
    pub async fn refuse_once(&self, inv: &Invocation, refusal: Refusal) -> Outcome {
        let lang = inv.language.unwrap_or_default();
        self.answer_once(inv, Outcome { lang, reply: Reply::Refused(refusal) }).await
    }

    fn skipped(&self, inv: &Invocation) -> Outcome {
        tracing::debug!(event = ?inv.event, "another instance took this event");
        self.metrics.events_skipped.inc();
        Outcome { lang: inv.language.unwrap_or_default(), reply: Reply::Skipped }
    }

    /// Runs a command. Never fails: refusals become replies that say what to
    /// do; internal failures are logged and apologised for.
    pub async fn handle(&self, inv: &Invocation, command: Command) -> Outcome {
        let spec = command.spec();
        let name = spec.path(Language::En);
        // Another instance may have applied this event already: a look, at
        // the same time as the actor's, spares doing its work again.
        let (actor, taken) = tokio::join!(self.actor(inv), self.claimed_already(inv));
        if taken {
            return self.skipped(inv);
        }
        let actor = match actor {
            Ok(actor) => actor,
            Err(e) => {
                tracing::error!(command = %name, user = %inv.user, error = %e, "command failed");
                let lang = inv.language.unwrap_or_default();
                return Outcome { lang, reply: Reply::Failed { command: spec } };
            }
        };
        let lang = Self::lang(inv, actor.customer());
        let cx = Cx::new(inv, actor, lang, self.claim_of(inv));
        let result = match Self::admit(spec, &cx.actor) {
            Ok(()) => command.apply(self, &cx).await,
            Err(refusal) => Err(AppError::Refused(refusal)),
        };
        let outcome = match result {
            Ok(outcome) => {
                tracing::info!(command = %name, user = %inv.user, "command done");
                outcome
            }
            Err(AppError::Duplicate) => return self.skipped(inv),
            Err(AppError::Refused(refusal)) => {
                tracing::info!(command = %name, user = %inv.user, refusal = refusal.kind(), "command refused");
                Outcome { lang, reply: Reply::Refused(refusal) }
            }
            Err(e) => {
                tracing::error!(command = %name, user = %inv.user, error = %e, "command failed");
                Outcome { lang, reply: Reply::Failed { command: spec } }
            }
        };
        // A command that changed something claimed its event with the change.
        match cx.is_committed() {
            true => outcome,
            false => self.answer_once(inv, outcome).await,
        }
    }
}
