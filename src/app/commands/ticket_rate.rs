//! `/ticket rate number score [comment]`, or a press of the closing post's
//! buttons: a customer's contact says how the closed ticket went, 1 to 5.
//! A ticket has one rating, its latest; the weekly summary counts it.

use super::{Args, Chosen, Cx, Declared, Outcome, Reply, UsageError};
use crate::app::application::{App, AppError};
use crate::app::declare::{text, ticket_number, Access, Choice, Kind, Opt, Spec, TICKET};
use crate::app::jobs::Button;
use crate::app::msg::{say, Local, Msg};
use crate::app::posts::Facts;
use crate::app::tickets::refused;
use crate::domain::customer::Language;
use crate::domain::rating::{Score, COMMENT_MAX};
use crate::domain::text::Clean;
use crate::domain::ticket::{TicketNumber, TicketRef};
use crate::metrics::ScoreLabel;
use crate::storage::Reschedule;

static SCORES: [Choice; 5] = [
    Choice { value: "1", name: Local::new("1 Poor", "1 Mal") },
    Choice { value: "2", name: Local::new("2 Fair", "2 Regular") },
    Choice { value: "3", name: Local::new("3 Good", "3 Bien") },
    Choice { value: "4", name: Local::new("4 Very good", "4 Muy bien") },
    Choice { value: "5", name: Local::new("5 Excellent", "5 Excelente") },
];

pub static SPEC: Spec = Spec {
    group: Some(&TICKET),
    name: Local::new("rate", "valorar"),
    description: Local::new("Rate how a closed ticket went, 1 to 5", "Valorar cómo fue un ticket cerrado, de 1 a 5"),
    help: Local::new(
        "rate a closed ticket of yours from 1 (poor) to 5 (excellent), with a comment if you like; a new rating replaces the last",
        "valorar un ticket cerrado de 1 (mal) a 5 (excelente), con un comentario si quieres; una valoración nueva sustituye a la anterior",
    ),
    what: Local::new("rate tickets", "valorar tickets"),
    access: Access::Contacts,
    options: &[
        ticket_number(true),
        Opt {
            name: Local::new("score", "nota"),
            description: Local::new("1 (poor) to 5 (excellent)", "De 1 (mal) a 5 (excelente)"),
            kind: Kind::Choice(&SCORES),
            required: true,
        },
        text(
            Local::new("comment", "comentario"),
            Local::new("Anything you want us to know", "Lo que quieras contarnos"),
            COMMENT_MAX,
            false,
        ),
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRate {
    pub number: TicketRef,
    pub score: Score,
    pub comment: Option<Clean>,
}

impl Chosen for Score {
    fn chosen(value: &str) -> Option<Score> {
        value.parse().ok()
    }
}

impl Declared for TicketRate {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(TicketRate {
            number: args.ticket("number")?,
            score: args.choice("score")?,
            comment: args.opt_text("comment")?,
        })
    }
}

impl TicketRate {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let (ticket, customer) = app.visible_ticket(cx, &self.number).await?;
        let (_, calendar) = app.sla(customer)?;
        let (score, commented) = (self.score, self.comment.is_some());
        let event =
            ticket.rate(score, self.comment.map(Clean::into_string)).map_err(|r| refused(&ticket, calendar, r))?;
        // Nothing to do on Discord: the thread, put away on closing, stays so.
        cx.commit(app, &ticket, event, Reschedule::Keep, &[]).await?;
        app.metrics.ratings.get_or_create(&ScoreLabel { score: score.to_string() }).inc();
        let (lang, n) = (cx.lang, &ticket.number);
        if commented {
            let msg = say!(
                lang,
                "Thank you: your rating of {score} for {n} and your comment are kept.",
                "Gracias: guardamos tu valoración de {score} para {n} y tu comentario.",
                score,
                n
            );
            return Ok(Outcome::done(lang, msg));
        }
        let msg = say!(
            lang,
            "Thank you for rating {n} {score} out of 5. Anything to add? A comment helps us most.",
            "Gracias por valorar {n} con un {score} sobre 5. ¿Algo más? Un comentario es lo que más nos ayuda.",
            n,
            score
        );
        let comment = Button::Comment { ticket: ticket.number.clone(), score, lang };
        Ok(Outcome::done(lang, msg).with_button(comment))
    }
}

/// What the closing post adds when `[satisfaction].enabled`: the question,
/// and a button for each score.
pub(super) fn question(f: &Facts) -> Option<(Msg, Vec<Button>)> {
    if !f.satisfaction {
        return None;
    }
    let msg = say!(
        f.lang(),
        "How did we do? Rate it from 1 (poor) to 5 (excellent).",
        "¿Qué tal lo hemos hecho? Valóralo de 1 (mal) a 5 (excelente)."
    );
    Some((msg, Score::ALL.map(|score| Button::Rate { ticket: f.ticket.number.clone(), score }).into()))
}

/// The form a rating's "Add a comment" opens (Discord: a modal of one text
/// field); what is written in it comes back as `/ticket rate` with the
/// comment, so the command's checks hold for it too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentForm {
    pub ticket: TicketNumber,
    pub score: Score,
}

impl CommentForm {
    /// Its title (Discord: at most 45 characters).
    pub fn title(&self, lang: Language) -> String {
        let n = &self.ticket;
        say!(lang, "Your comment on {n}", "Tu comentario sobre {n}", n).plain()
    }

    /// The text field's label (at most 45 characters).
    pub fn label(&self, lang: Language) -> &'static str {
        Local::new("What went well, or what did not?", "¿Qué fue bien, o qué no?").get(lang)
    }

    /// The longest comment it takes.
    pub fn max(&self) -> usize {
        COMMENT_MAX
    }

    /// The command it stands for, for a surface that cannot show it.
    pub fn instead(&self, lang: Language) -> Msg {
        let command = SPEC.mention(
            lang,
            &[("number", &self.ticket.to_string()), ("score", &self.score.to_string()), ("comment", "…")],
        );
        say!(lang, "Write your comment with {command}", "Escribe tu comentario con {command}", command)
    }

    /// The command its submission is, with the comment written (none when
    /// left empty).
    pub fn submitted(&self, comment: &str) -> (String, Vec<(String, String)>) {
        let mut options =
            vec![("number".to_owned(), self.ticket.to_string()), ("score".to_owned(), self.score.to_string())];
        if !comment.trim().is_empty() {
            options.push(("comment".to_owned(), comment.to_owned()));
        }
        (SPEC.path(Language::En), options)
    }
}

impl App {
    /// The comment form of a rating's "Add a comment" button, given once.
    pub async fn comment_form(&self, inv: &super::Invocation, ticket: TicketNumber, score: Score) -> Outcome {
        let lang = inv.language.unwrap_or_default();
        self.answer_once(inv, Outcome { lang, reply: Reply::Form(CommentForm { ticket, score }) }).await
    }
}
