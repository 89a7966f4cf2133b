//! Cards, replies and posts as Discord messages. Every message sets
//! `allowed_mentions` explicitly: nothing a user typed can ping `@everyone`,
//! `@here` or a role; only the users the application layer names are pinged.

use serenity::all::{ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed, UserId};

use crate::app::commands::Local;
use crate::app::words;
use crate::app::{Button, Card, CardStatus, Chart, FollowUp, Msg, Span, SummaryPost, TimeStyle};
use crate::domain::customer::Snowflake;
use crate::domain::ticket::TicketNumber;

/// The prefix of the Acknowledge button's `custom_id`, followed by the ticket number.
pub const ACK_BUTTON: &str = "ack:";

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
        _ => vec![CreateActionRow::Buttons(vec![CreateButton::new(format!("{ACK_BUTTON}{}", card.ticket.number))
            .style(ButtonStyle::Success)
            .label(Local::new("Acknowledge", "Acusar recibo").get(card.language))])],
    }
}

/// The ticket named by an Acknowledge button's `custom_id`.
pub fn ack_button_ticket(custom_id: &str) -> Option<TicketNumber> {
    custom_id.strip_prefix(ACK_BUTTON)?.parse().ok()
}

/// The prefix of the Confirm button's `custom_id`, followed by the ticket number.
pub const CONFIRM_BUTTON: &str = "confirm:";

/// The ticket named by a Confirm button's `custom_id`.
pub fn confirm_button_ticket(custom_id: &str) -> Option<TicketNumber> {
    custom_id.strip_prefix(CONFIRM_BUTTON)?.parse().ok()
}

/// A post's button.
pub fn button(button: &Button) -> Vec<CreateActionRow> {
    match button {
        Button::Confirm { ticket, .. } => {
            vec![CreateActionRow::Buttons(vec![CreateButton::new(format!("{CONFIRM_BUTTON}{ticket}"))
                .style(ButtonStyle::Success)
                .label(button.label())])]
        }
    }
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
    // Builders of plain fields: serialising them cannot fail.
    let mut value = serde_json::to_value(body).unwrap_or_default();
    if let Some(chart) = chart {
        let target = at.iter().fold(&mut value, |v, key| &mut v[*key]);
        target["attachments"] = serde_json::json!([{"id": "0", "filename": chart.file_name}]);
    }
    value
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
        assert_eq!(ack_button_ticket("ack:ACME-7").map(|n| n.to_string()), Some("ACME-7".into()));
        assert_eq!(ack_button_ticket("other:ACME-7"), None);
    }
}
