//! The slash commands as Discord sees them, built from the commands'
//! declarations (`app::commands::ALL`) with Spanish (es-ES) names,
//! descriptions and choices; and the way back: an interaction's options as
//! the path and named options the declarations parse.

use serenity::all::{CommandDataOption, CommandDataOptionValue, CommandOptionType, CreateCommand, CreateCommandOption};

use crate::app::commands::{self, Kind, Local, Opt, Spec, SEVERITY_CHOICES};

const ES: &str = "es-ES";

fn option(o: &Opt) -> CreateCommandOption {
    let kind = match o.kind {
        Kind::Text { .. } | Kind::Ticket | Kind::Choice(_) | Kind::Hash | Kind::Label | Kind::Week | Kind::Customer => {
            CommandOptionType::String
        }
        Kind::Severity => CommandOptionType::Integer,
        Kind::User => CommandOptionType::User,
    };
    let mut option = CreateCommandOption::new(kind, o.name.en, o.description.en)
        .name_localized(ES, o.name.es)
        .description_localized(ES, o.description.es)
        .required(o.required);
    match &o.kind {
        Kind::Text { max } => {
            // Discord's string limit is 6,000; ours are far below.
            let max = u16::try_from(*max).unwrap_or(6000);
            option = option.max_length(max);
            if o.required {
                option = option.min_length(1);
            }
        }
        Kind::Ticket => option = option.max_length(40).set_autocomplete(true),
        Kind::Severity => {
            for (level, label) in &SEVERITY_CHOICES {
                option = option.add_int_choice_localized(label.en, i32::from(*level), [(ES, label.es)]);
            }
        }
        Kind::Choice(choices) => {
            for c in *choices {
                option = option.add_string_choice_localized(c.name.en, c.value, [(ES, c.name.es)]);
            }
        }
        Kind::Hash => option = option.min_length(32).max_length(64),
        Kind::Label => {
            option = option.min_length(1).max_length(u16::try_from(crate::domain::signature::Label::MAX).unwrap_or(64))
        }
        Kind::Week => option = option.min_length(7).max_length(8),
        Kind::Customer => option = option.min_length(2).max_length(12),
        Kind::User => {}
    }
    option
}

fn command(name: Local, description: Local) -> CreateCommand {
    CreateCommand::new(name.en)
        .name_localized(ES, name.es)
        .description(description.en)
        .description_localized(ES, description.es)
        .dm_permission(false)
}

fn subcommand(spec: &Spec) -> CreateCommandOption {
    let sub = CreateCommandOption::new(CommandOptionType::SubCommand, spec.name.en, spec.description.en)
        .name_localized(ES, spec.name.es)
        .description_localized(ES, spec.description.es);
    spec.options.iter().fold(sub, |sub, o| sub.add_sub_option(option(o)))
}

/// Every slash command: a command per group, with its commands as
/// subcommands, and the commands of no group on their own, in the
/// declarations' order.
pub fn all() -> Vec<CreateCommand> {
    let mut out: Vec<CreateCommand> = Vec::new();
    let mut groups_done: Vec<&str> = Vec::new();
    for entry in commands::ALL {
        let spec = entry.spec;
        match spec.group {
            None => {
                out.push(spec.options.iter().fold(command(spec.name, spec.description), |c, o| c.add_option(option(o))))
            }
            Some(group) if !groups_done.contains(&group.name.en) => {
                groups_done.push(group.name.en);
                let members =
                    commands::ALL.iter().map(|e| e.spec).filter(|s| s.group.is_some_and(|g| std::ptr::eq(g, group)));
                out.push(members.fold(command(group.name, group.description), |c, s| c.add_option(subcommand(s))));
            }
            Some(_) => {}
        }
    }
    out
}

/// The path (`"ticket open"`) and named options of an invoked command.
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
    fn commands_group_the_declarations() {
        let json = serde_json::to_value(all()).unwrap();
        let names: Vec<&str> = json.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["ticket", "ack", "contacts", "queue", "signature", "summary"]);
        let ticket = &json[0];
        let subs: Vec<&str> =
            ticket["options"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
        // Each group's subcommands in the list's order.
        let declared: Vec<&str> = commands::ALL
            .iter()
            .filter(|e| e.spec.group.is_some_and(|g| g.name.en == "ticket"))
            .map(|e| e.spec.name.en)
            .collect();
        assert_eq!(subs, declared);
        assert_eq!(subs[..4], ["open", "status", "list", "severity"]);
        assert_eq!(ticket["options"][0]["name_localizations"]["es-ES"], "abrir");
        let severity = &ticket["options"][0]["options"][1];
        assert_eq!(severity["name"], "severity");
        assert_eq!(severity["required"], false);
        assert_eq!(severity["choices"].as_array().unwrap().len(), 4);
        assert_eq!(ticket["options"][0]["options"][0]["min_length"], 1, "the summary is required");
        let signature = &json[4];
        let subs: Vec<&str> =
            signature["options"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
        assert_eq!(subs, ["request", "advance", "confirm", "latest-db", "queue"]);
        let hash =
            &signature["options"][0]["options"].as_array().unwrap().iter().find(|o| o["name"] == "hash").unwrap();
        assert_eq!((hash["min_length"].as_u64(), hash["max_length"].as_u64()), (Some(32), Some(64)));
    }
}
