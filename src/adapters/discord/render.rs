//! Cards, replies and posts as Discord messages. Every message sets
//! `allowed_mentions` explicitly: nothing a user typed can ping `@everyone`,
//! `@here` or a role; only the users the application layer names are pinged.

use serenity::all::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed, CreateInputText, CreateModal,
    InputTextStyle, UserId,
};

use crate::app::commands::{CommentForm, Local};
use crate::app::words;
use crate::app::{Button, Card, CardStatus, Chart, Document, FollowUp, Msg, Span, SummaryPost, TimeStyle};
use crate::domain::customer::{Language, Snowflake};
use crate::domain::rating::Score;
use crate::domain::ticket::TicketNumber;

/// The prefix of the Acknowledge button's `custom_id`, followed by the ticket number.
const ACK_BUTTON: &str = "ack:";

/// Mentions limited to `users` (none when empty): no everyone, here or roles.
pub fn mentions(users: &[Snowflake]) -> CreateAllowedMentions {
    CreateAllowedMentions::new()
        .everyone(false)
        .all_roles(false)
        .all_users(false)
        // 0 is no user (serenity's constructor would panic on it).
        .users(users.iter().filter_map(|u| std::num::NonZeroU64::new(u.0).map(UserId::from)))
}

/// A message in Discord's markdown: `<@id>`, `<@&id>`, `<#id>`, `**…**` and
/// `<t:UNIX:F>` / `<t:UNIX:R>` timestamps, which every client shows in its
/// reader's time zone and language.
pub fn markdown(msg: &Msg) -> String {
    let mut out = String::new();
    for span in msg.spans() {
        match span {
            Span::Text { text } => out.push_str(text),
            Span::Strong { text } => out.push_str(&format!("**{text}**")),
            Span::Command { text } => out.push_str(&format!("`{text}`")),
            Span::User { id } => out.push_str(&format!("<@{id}>")),
            Span::Role { id } => out.push_str(&format!("<@&{id}>")),
            Span::Channel { id } => out.push_str(&format!("<#{id}>")),
            Span::Time { at, style, .. } => {
                let t = at.timestamp();
                out.push_str(&match style {
                    TimeStyle::Full => format!("<t:{t}:F>"),
                    TimeStyle::Relative => format!("<t:{t}:R>"),
                    TimeStyle::FullRelative => format!("<t:{t}:F> (<t:{t}:R>)"),
                });
            }
        }
    }
    out
}

/// The ticket card: number, severity, summary, opener, deadline as live
/// Discord timestamps, status colour.
pub fn card_embed(card: &Card) -> CreateEmbed {
    let (t, lang) = (&card.ticket, card.language);
    let due = t.due_at.timestamp();
    let mut embed = CreateEmbed::new()
        .title(format!("{} · {}", t.number, words::severity(lang, t.severity)))
        .description(&t.summary)
        .colour(card.status.colour())
        .field(Local::new("Status", "Estado").get(lang), card.status.label(lang), true)
        .field(Local::new("Opened by", "Abierto por").get(lang), format!("<@{}>", t.opened_by), true)
        .field(Local::new("Customer", "Cliente").get(lang), &card.customer_name, true);
    embed = match card.response {
        Some(r) => embed.field(
            Local::new("First response", "Primera respuesta").get(lang),
            format!("<@{}> {}", r.by, r.words(lang)),
            false,
        ),
        _ => embed.field(
            Local::new("First response due", "Primera respuesta antes de").get(lang),
            format!("<t:{due}:R> (<t:{due}:F>)"),
            false,
        ),
    };
    for fact in card.follow_up() {
        let value = match fact {
            FollowUp::Owner(user) | FollowUp::ByPhone(user) => format!("<@{user}>"),
            FollowUp::NextUpdate(at) | FollowUp::WaitingSince(at) => {
                let t = at.timestamp();
                format!("<t:{t}:R> (<t:{t}:F>)")
            }
        };
        embed = embed.field(fact.label(lang), value, true);
    }
    // A signature request's product version is among its facts.
    if let (Some(product), None) = (&t.product, &t.signature) {
        embed = embed.field(Local::new("Product", "Producto").get(lang), product, true);
    }
    for (label, value) in card.request_facts() {
        embed = embed.field(label, value, true);
    }
    if let Some(track) = card.stage_line(|current| format!("**{current}**")) {
        embed = embed.field(Local::new("Stage", "Etapa").get(lang), track, false);
    }
    embed.timestamp(serenity::all::Timestamp::from_unix_timestamp(t.opened_at.timestamp()).unwrap_or_default())
}

/// The Acknowledge button while an incident waits for its first response
/// (a signature request's first response is moving it on).
pub fn card_components(card: &Card) -> Vec<CreateActionRow> {
    if card.ticket.signature.is_some() {
        return vec![];
    }
    match card.status {
        CardStatus::Acknowledged | CardStatus::Closed => vec![],
        _ => vec![CreateActionRow::Buttons(vec![CreateButton::new(
            Pressed::Ack(card.ticket.number.clone()).custom_id(),
        )
        .style(ButtonStyle::Success)
        .label(Local::new("Acknowledge", "Acusar recibo").get(card.language))])],
    }
}

/// What a pressed button (or a submitted form) stands for, as its
/// `custom_id` says: `ack:ACME-1`, `confirm:ACME-1`, `rate:ACME-1:4`,
/// `comment:ACME-1:4` (a rating's "Add a comment"), and the comment form
/// itself, `rating:ACME-1:4`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pressed {
    Ack(TicketNumber),
    Confirm(TicketNumber),
    Rate(TicketNumber, Score),
    Comment(TicketNumber, Score),
    CommentForm(TicketNumber, Score),
}

impl Pressed {
    /// The `custom_id` it is sent back as.
    pub fn custom_id(&self) -> String {
        match self {
            Pressed::Ack(t) => format!("{ACK_BUTTON}{t}"),
            Pressed::Confirm(t) => format!("confirm:{t}"),
            Pressed::Rate(t, s) => format!("rate:{t}:{s}"),
            Pressed::Comment(t, s) => format!("comment:{t}:{s}"),
            Pressed::CommentForm(t, s) => format!("rating:{t}:{s}"),
        }
    }

    /// What `custom_id` stands for; `None` for one this version does not make.
    pub fn parse(custom_id: &str) -> Option<Pressed> {
        let (kind, rest) = custom_id.split_once(':')?;
        let rated = || -> Option<(TicketNumber, Score)> {
            let (ticket, score) = rest.rsplit_once(':')?;
            Some((ticket.parse().ok()?, score.parse().ok()?))
        };
        Some(match kind {
            "ack" => Pressed::Ack(rest.parse().ok()?),
            "confirm" => Pressed::Confirm(rest.parse().ok()?),
            "rate" => rated().map(|(t, s)| Pressed::Rate(t, s))?,
            "comment" => rated().map(|(t, s)| Pressed::Comment(t, s))?,
            "rating" => rated().map(|(t, s)| Pressed::CommentForm(t, s))?,
            _ => return None,
        })
    }
}

/// The id of a form's one text field.
pub const COMMENT_FIELD: &str = "comment";

/// Buttons as message components: five to a row, as Discord allows.
pub fn buttons(buttons: &[Button]) -> Vec<CreateActionRow> {
    let one = |button: &Button| {
        let (pressed, style) = match button {
            Button::Confirm { ticket, .. } => (Pressed::Confirm(ticket.clone()), ButtonStyle::Success),
            Button::Rate { ticket, score } => (Pressed::Rate(ticket.clone(), *score), ButtonStyle::Secondary),
            Button::Comment { ticket, score, .. } => (Pressed::Comment(ticket.clone(), *score), ButtonStyle::Primary),
        };
        CreateButton::new(pressed.custom_id()).style(style).label(button.label())
    };
    buttons.chunks(5).map(|row| CreateActionRow::Buttons(row.iter().map(one).collect())).collect()
}

/// A form as a modal of one optional text field, at most its `max`
/// characters.
pub fn comment_modal(form: &CommentForm, lang: Language) -> CreateModal {
    let max = u16::try_from(form.max()).unwrap_or(4000);
    let field = CreateInputText::new(InputTextStyle::Paragraph, form.label(lang), COMMENT_FIELD)
        .required(false)
        .max_length(max);
    CreateModal::new(Pressed::CommentForm(form.ticket.clone(), form.score).custom_id(), cut(&form.title(lang), 45))
        .components(vec![CreateActionRow::InputText(field)])
}

/// Discord's message length limit, keeping the end visible as an ellipsis.
pub fn fit(text: &str) -> String {
    cut(text, 2000)
}

/// `text` in at most `max` characters, the cut shown by an ellipsis.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max - 1).collect();
    s.push('…');
    s
}

/// A weekly summary as an embed: its title, its text as the description
/// (within Discord's 256 and 4,096 characters, so 6,000 in all), and its
/// chart, uploaded with the message, as the image.
pub fn summary_embed(post: &SummaryPost) -> CreateEmbed {
    CreateEmbed::new()
        .title(cut(&post.title, 256))
        .description(cut(&markdown(&post.msg), 4096))
        .colour(0x58_65_f2)
        .image(format!("attachment://{}", post.chart.file_name))
}

/// A request body (a message, an interaction response or its edit) that
/// uploads `chart`, if there is one, as `files[0]`: described under `at` as
/// attachment `"0"`. (Discord's API describes attachment ids as snowflake
/// strings; serenity's builders write the number.)
pub fn describing_chart(body: &impl serde::Serialize, at: &[&str], chart: Option<&Chart>) -> serde_json::Value {
    describing_file(body, at, chart.map(|c| c.file_name.as_str()))
}

/// A request body that uploads one file, named `file_name`, as `files[0]`
/// (see [`describing_chart`]).
pub fn describing_file(body: &impl serde::Serialize, at: &[&str], file_name: Option<&str>) -> serde_json::Value {
    // Builders of plain fields: serialising them cannot fail.
    let mut value = serde_json::to_value(body).unwrap_or_default();
    if let Some(name) = file_name {
        let target = at.iter().fold(&mut value, |v, key| &mut v[*key]);
        target["attachments"] = serde_json::json!([{"id": "0", "filename": name}]);
    }
    value
}

/// A document as the message's file.
pub fn document_file(document: &Document) -> super::rest::Upload {
    super::rest::Upload { filename: document.file_name.clone(), bytes: document.bytes.clone().into() }
}

/// The chart as the message's file.
pub fn chart_file(chart: &Chart) -> super::rest::Upload {
    super::rest::Upload { filename: chart.file_name.clone(), bytes: chart.png.clone().into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_name_only_the_given_users() {
        let json = serde_json::to_value(mentions(&[Snowflake(42)])).unwrap();
        assert_eq!(json["parse"], serde_json::json!([]));
        assert_eq!(json["users"], serde_json::json!(["42"]));
        let none = serde_json::to_value(mentions(&[])).unwrap();
        assert_eq!(none["parse"], serde_json::json!([]));
    }

    #[test]
    fn long_text_is_cut_to_discords_limit() {
        let long = "x".repeat(2500);
        assert_eq!(fit(&long).chars().count(), 2000);
        assert_eq!(fit("short"), "short");
    }

    /// Every button's id reads back as what it was made for; ids of
    /// another kind, or with a score out of range, stand for nothing.
    #[test]
    fn button_ids_read_back_as_what_they_were_made_for() {
        let (t, four): (TicketNumber, Score) = ("ACME-7".parse().unwrap(), "4".parse().unwrap());
        for pressed in [
            Pressed::Ack(t.clone()),
            Pressed::Confirm(t.clone()),
            Pressed::Rate(t.clone(), four),
            Pressed::Comment(t.clone(), four),
            Pressed::CommentForm(t.clone(), four),
        ] {
            let id = pressed.custom_id();
            assert!(id.len() <= 100, "Discord's limit: {id}");
            assert_eq!(Pressed::parse(&id), Some(pressed), "{id}");
        }
        assert_eq!(Pressed::parse("ack:ACME-7"), Some(Pressed::Ack(t)));
        for nothing in ["other:ACME-7", "rate:ACME-7:6", "rate:ACME-7", "rate:ACME-7:x", "ack", ""] {
            assert_eq!(Pressed::parse(nothing), None, "{nothing}");
        }
    }
}
