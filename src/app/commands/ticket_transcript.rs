//! `/ticket transcript number` (staff; a contact for their own customer):
//! the ticket's transcript as it stands, an HTML file only the caller
//! sees. Its files are not attached: `priority-line transcript --out`
//! writes them.

use super::{Args, Cx, Declared, Outcome, UsageError};
use crate::app::application::{refuse, App, AppError};
use crate::app::declare::{ticket_number, Access, Spec, TICKET};
use crate::app::msg::{say, Local};
use crate::app::refusal::Refusal;
use crate::domain::ticket::TicketRef;

pub static SPEC: Spec = Spec {
    group: Some(&TICKET),
    name: Local::new("transcript", "transcripción"),
    description: Local::new(
        "A ticket's transcript: its facts and every message of its thread",
        "La transcripción de un ticket: sus datos y todos los mensajes de su hilo",
    ),
    help: Local::new(
        "the ticket's transcript as an HTML file only you see: its facts, every message of its thread with edits \
         and deletions, and its files by name, size and SHA-256",
        "la transcripción del ticket como archivo HTML que solo ves tú: sus datos, todos los mensajes de su hilo \
         con ediciones y borrados, y sus archivos por nombre, tamaño y SHA-256",
    ),
    what: Local::new("read transcripts", "leer transcripciones"),
    access: Access::ContactsAndStaff,
    options: &[ticket_number(true)],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketTranscript {
    pub number: TicketRef,
}

impl Declared for TicketTranscript {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(TicketTranscript { number: args.ticket("number")? })
    }
}

impl TicketTranscript {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let lang = cx.lang;
        if app.config.transcripts.is_none() {
            return refuse(Refusal::TranscriptsOff);
        }
        let (ticket, _) = app.visible_ticket(cx, &self.number).await?;
        let Some(transcript) = app.transcript(&ticket.number).await? else {
            return refuse(Refusal::NoSuchTicket { number: ticket.number });
        };
        let (n, messages) = (&ticket.number, transcript.messages.len());
        let msg = say!(
            lang,
            "The transcript of {n}, as it stands (messages: {messages}).",
            "La transcripción de {n}, tal como está (mensajes: {messages}).",
            n,
            messages
        );
        Ok(Outcome::done(lang, msg).with_document(transcript.document()))
    }
}
