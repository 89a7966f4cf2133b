//! The slash commands as Discord sees them, built from the grammar the console
//! shares ([`GRAMMAR`]), with Spanish (es-ES) names, descriptions and choices,
//! and the way back: an interaction's options as the grammar's named options.

use serenity::all::{CommandDataOption, CommandDataOptionValue, CommandOptionType, CreateCommand, CreateCommandOption};

use crate::app::command::GRAMMAR;
use crate::domain::text::{DETAILS_MAX, SHORT_MAX, SUMMARY_MAX};

const ES: &str = "es-ES";

/// Spanish names of command and option words (Discord sends the English ones
/// back, whatever the user's locale).
fn spanish(word: &str) -> &'static str {
    match word {
        "ticket" => "ticket",
        "open" => "abrir",
        "status" => "estado",
        "list" => "lista",
        "severity" => "severidad",
        "close" => "cerrar",
        "reopen" => "reabrir",
        "ack" => "acuse",
        "contacts" => "contactos",
        "add" => "añadir",
        "remove" => "quitar",
        "queue" => "cola",
        "summary" => "resumen",
        "product" => "producto",
        "details" => "detalles",
        "number" => "número",
        "which" => "cuáles",
        "level" => "nivel",
        "reason" => "motivo",
        "resolution" => "resolución",
        "note" => "nota",
        "user" => "usuario",
        "name" => "nombre",
        "email" => "correo",
        "phone" => "teléfono",
        _ => "",
    }
}

/// English and Spanish descriptions of a command path.
fn command_description(path: &str) -> (&'static str, &'static str) {
    match path {
        "ticket" => ("Priority-line tickets", "Tickets de la línea prioritaria"),
        "ticket open" => ("Open a ticket (registered contacts)", "Abrir un ticket (contactos registrados)"),
        "ticket status" => ("A ticket's card", "La ficha de un ticket"),
        "ticket list" => ("Your company's tickets", "Los tickets de tu empresa"),
        "ticket severity" => ("Change a ticket's severity", "Cambiar la severidad de un ticket"),
        "ticket close" => ("Close a ticket", "Cerrar un ticket"),
        "ticket reopen" => ("Reopen a closed ticket", "Reabrir un ticket cerrado"),
        "ack" => ("Acknowledge this thread's ticket (staff)", "Acusar recibo del ticket de este hilo (soporte)"),
        "contacts" => ("Technical contacts", "Contactos técnicos"),
        "contacts add" => ("Register a technical contact (staff)", "Registrar un contacto técnico (soporte)"),
        "contacts remove" => ("Remove a technical contact (staff)", "Quitar un contacto técnico (soporte)"),
        "contacts list" => ("The technical contacts", "Los contactos técnicos"),
        "queue" => ("Unanswered tickets, premium first (staff)", "Tickets sin respuesta, premium primero (soporte)"),
        _ => ("", ""),
    }
}

/// Severity choices, shared by `severity` and `level`.
const SEVERITIES: [(i32, &str, &str); 4] = [
    (1, "1 Critical: systems down or data lost", "1 Crítica: sistemas caídos o datos perdidos"),
    (2, "2 High: functionality hurt, no outage", "2 Alta: funcionalidad afectada, sin caída"),
    (3, "3 Medium: partly affects the product", "3 Media: afecta en parte al producto"),
    (4, "4 Low: a request or minor problem", "4 Baja: una petición o un problema menor"),
];

/// One option: its Discord type, limits and descriptions.
fn option(name: &str, required: bool) -> CreateCommandOption {
    let (kind, en, es) = match name {
        "summary" => (CommandOptionType::String, "What is wrong, in one line", "Qué ocurre, en una línea"),
        "details" => (CommandOptionType::String, "More about it", "Más detalles"),
        "product" => (CommandOptionType::String, "The product concerned", "El producto afectado"),
        "severity" => {
            (CommandOptionType::Integer, "Leave out to let the bot classify", "Omítela y el bot la clasifica")
        }
        "level" => (CommandOptionType::Integer, "The new severity", "La nueva severidad"),
        "number" => (CommandOptionType::String, "Ticket number, e.g. ACME-42", "Número de ticket, p. ej. ACME-42"),
        "which" => (CommandOptionType::String, "Open tickets or all", "Tickets abiertos o todos"),
        "reason" => (CommandOptionType::String, "Why", "Por qué"),
        "resolution" => (CommandOptionType::String, "How it was solved", "Cómo se resolvió"),
        "note" => (CommandOptionType::String, "A note for the contact", "Una nota para el contacto"),
        "user" => (CommandOptionType::User, "The person", "La persona"),
        "name" => (CommandOptionType::String, "Full name", "Nombre completo"),
        "email" => (CommandOptionType::String, "E-mail address", "Correo electrónico"),
        _ => (CommandOptionType::String, "Phone number", "Número de teléfono"),
    };
    let mut o = CreateCommandOption::new(kind, name, en)
        .name_localized(ES, spanish(name))
        .description_localized(ES, es)
        .required(required);
    o = match name {
        "summary" => o.min_length(1).max_length(SUMMARY_MAX as u16),
        "details" => o.max_length(DETAILS_MAX as u16),
        "number" => o.max_length(SHORT_MAX as u16).set_autocomplete(true),
        "severity" | "level" => {
            SEVERITIES.iter().fold(o, |o, (v, en, es)| o.add_int_choice_localized(*en, *v, [(ES, *es)]))
        }
        "which" => o.add_string_choice_localized("open", "open", [(ES, "abiertos")]).add_string_choice_localized(
            "all",
            "all",
            [(ES, "todos")],
        ),
        "user" => o,
        _ => o.max_length(SHORT_MAX as u16),
    };
    o
}

fn options(names: &[&str]) -> Vec<CreateCommandOption> {
    names.iter().map(|n| option(n.trim_end_matches('?'), !n.ends_with('?'))).collect()
}

/// Every slash command, from [`GRAMMAR`]: `ticket …` and `contacts …` become
/// commands with subcommands.
pub fn all() -> Vec<CreateCommand> {
    let mut commands: Vec<(String, CreateCommand)> = Vec::new();
    for (path, opts, _) in GRAMMAR {
        let (en, es) = command_description(path);
        match path.split_once(' ') {
            None => {
                let c = CreateCommand::new(*path)
                    .name_localized(ES, spanish(path))
                    .description(en)
                    .description_localized(ES, es)
                    .dm_permission(false)
                    .set_options(options(opts));
                commands.push((path.to_string(), c));
            }
            Some((group, sub)) => {
                let subcommand = CreateCommandOption::new(CommandOptionType::SubCommand, sub, en)
                    .name_localized(ES, spanish(sub))
                    .description_localized(ES, es);
                let subcommand = options(opts).into_iter().fold(subcommand, |s, o| s.add_sub_option(o));
                if !commands.iter().any(|(name, _)| name == group) {
                    let (gen, ges) = command_description(group);
                    let c = CreateCommand::new(group)
                        .name_localized(ES, spanish(group))
                        .description(gen)
                        .description_localized(ES, ges)
                        .dm_permission(false);
                    commands.push((group.to_string(), c));
                }
                // The group was pushed above if missing, so it is there.
                if let Some((_, c)) = commands.iter_mut().find(|(name, _)| name == group) {
                    *c = std::mem::replace(c, CreateCommand::new(group)).add_option(subcommand);
                }
            }
        }
    }
    commands.into_iter().map(|(_, c)| c).collect()
}

/// The grammar path (`"ticket open"`) and named options of an invoked command.
pub fn invoked(name: &str, options: &[CommandDataOption]) -> (String, Vec<(String, String)>) {
    let mut path = name.to_owned();
    let mut named = Vec::new();
    for o in options {
        match &o.value {
            CommandDataOptionValue::SubCommand(inner) | CommandDataOptionValue::SubCommandGroup(inner) => {
                let (sub, opts) = invoked(&o.name, inner);
                path = format!("{path} {sub}");
                named = opts;
            }
            value => named.push((o.name.clone(), value_text(value))),
        }
    }
    (path, named)
}

fn value_text(value: &CommandDataOptionValue) -> String {
    match value {
        CommandDataOptionValue::String(s) => s.clone(),
        CommandDataOptionValue::Integer(i) => i.to_string(),
        CommandDataOptionValue::Number(n) => n.to_string(),
        CommandDataOptionValue::Boolean(b) => b.to_string(),
        CommandDataOptionValue::User(u) => u.get().to_string(),
        CommandDataOptionValue::Channel(c) => c.get().to_string(),
        CommandDataOptionValue::Role(r) => r.get().to_string(),
        CommandDataOptionValue::Mentionable(m) => m.get().to_string(),
        CommandDataOptionValue::Attachment(a) => a.get().to_string(),
        CommandDataOptionValue::Autocomplete { value, .. } => value.clone(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_of_the_grammar_has_a_spanish_name_and_descriptions() {
        for (path, opts, _) in GRAMMAR {
            for word in path.split(' ').chain(opts.iter().map(|o| o.trim_end_matches('?'))) {
                assert!(!spanish(word).is_empty(), "no Spanish name for {word:?}");
            }
            for p in [*path, path.split(' ').next().unwrap_or_default()] {
                let (en, es) = command_description(p);
                assert!(!en.is_empty() && !es.is_empty() && en.len() <= 100 && es.len() <= 100, "{p}");
            }
        }
    }

    #[test]
    fn commands_group_the_grammar_paths() {
        let json = serde_json::to_value(all()).unwrap();
        let names: Vec<&str> = json.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["ticket", "ack", "contacts", "queue"]);
        let ticket = &json[0];
        let subs: Vec<&str> =
            ticket["options"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
        assert_eq!(subs, ["open", "status", "list", "severity", "close", "reopen"]);
        assert_eq!(ticket["options"][0]["name_localizations"]["es-ES"], "abrir");
        let severity = &ticket["options"][0]["options"][1];
        assert_eq!(severity["name"], "severity");
        assert_eq!(severity["required"], false);
        assert_eq!(severity["choices"].as_array().unwrap().len(), 4);
    }
}
