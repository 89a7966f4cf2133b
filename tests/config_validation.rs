//! A configuration that is wrong is refused with the file, the key and the
//! reason, every problem at once.

use std::path::Path;

use priority_line::config::Config;

const GOOD_CALENDAR_AND_PLAN: &str = r#"
[calendars.madrid]
zone = "Europe/Madrid"
holidays = ["2026-12-25"]
[calendars.madrid.hours]
mon = ["09:00-14:00", "15:00-18:00"]
sun = ["00:00-24:00"]

[plans.premium]
rank = 1
[plans.premium.targets]
1 = { response = "30m", clock = "24x7" }
2 = { response = "4h",  clock = "24x7" }
3 = { response = "6h",  clock = "business" }
4 = { response = "8h",  clock = "business" }
"#;

fn problems(text: &str) -> Vec<String> {
    let err = Config::parse(text, Path::new("conf/bad.toml")).expect_err("the configuration should be refused");
    assert_eq!(err.file, Path::new("conf/bad.toml"));
    let shown = err.to_string();
    for p in &err.problems {
        assert!(shown.contains(&format!("conf/bad.toml: {}: {}", p.key, p.message)), "{shown}");
    }
    err.problems.iter().map(|p| format!("{}: {}", p.key, p.message)).collect()
}

fn assert_has(problems: &[String], key: &str, words: &str) {
    assert!(
        problems.iter().any(|p| p.starts_with(&format!("{key}: ")) && p.contains(words)),
        "expected a problem at {key} mentioning {words:?}; got:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_example_configuration_is_valid() {
    let config = Config::load(Path::new("config/example.toml")).unwrap();
    assert_eq!(config.plans.len(), 2);
    assert_eq!(config.customers.len(), 2);
    let zones: Vec<_> = config.calendars.values().map(|c| c.zone().name()).collect();
    assert!(zones.contains(&"Europe/Madrid") && zones.contains(&"America/New_York"), "{zones:?}");
}

#[test]
fn a_minimal_sla_only_configuration_is_valid() {
    let config = Config::parse(GOOD_CALENDAR_AND_PLAN, Path::new("x.toml")).unwrap();
    assert_eq!(config.storage.url, "sqlite://data/priority-line.db", "defaults fill the deployment keys");
    assert!(config.discord.is_none());
}

#[test]
fn every_calendar_and_plan_problem_is_listed_at_once() {
    let text = r#"
[calendars.madrid]
zone = "Europe/Madird"
holidays = ["2026-13-01"]
[calendars.madrid.hours]
mon = ["09:00-14:00", "13:00-18:00"]
tue = ["18:00-09:00"]
wed = ["9-5"]

[plans.premium]
rank = 1
[plans.premium.targets]
1 = { response = "soon", clock = "24x7" }
2 = { response = "4h",  clock = "weekdays" }
3 = { response = "6h",  clock = "business" }
"#;
    let p = problems(text);
    assert_has(&p, "calendars.madrid.zone", "unknown time zone \"Europe/Madird\"");
    assert_has(&p, "calendars.madrid.holidays[0]", "not a date");
    assert_has(&p, "calendars.madrid.hours.mon", "overlap");
    assert_has(&p, "calendars.madrid.hours.tue[0]", "does not end after it starts");
    assert_has(&p, "calendars.madrid.hours.wed[0]", "not a time of day");
    assert_has(&p, "plans.premium.targets.1.response", "not a duration");
    assert_has(&p, "plans.premium.targets.2.clock", "unknown clock");
    assert_has(&p, "plans.premium.targets", "missing target for severity 4");
    assert_eq!(p.len(), 8, "{}", p.join("\n"));
}

#[test]
fn customers_must_name_known_plans_and_calendars_with_working_time() {
    let text = format!(
        r#"{GOOD_CALENDAR_AND_PLAN}
[calendars.closed]
zone = "UTC"

[[customers]]
key = "ACME"
name = "Acme"
plan = "gold"
calendar = "lisbon"
support_channel = "310000000000000001"
tam = "400000000000000002"

[[customers]]
key = "ACME"
name = "Acme again"
plan = "premium"
calendar = "closed"
support_channel = "channel"
tam = "400000000000000002"
language = "fr"
"#
    );
    let p = problems(&text);
    assert_has(&p, "customers[0].plan", "unknown plan \"gold\" (defined: premium)");
    assert_has(&p, "customers[0].calendar", "unknown calendar \"lisbon\"");
    assert_has(&p, "customers[1].key", "used twice");
    assert_has(&p, "customers[1].calendar", "has no working time");
    assert_has(&p, "customers[1].support_channel", "not a Discord id");
    assert_has(&p, "customers[1].language", "unsupported language");
}

#[test]
fn unknown_keys_and_wrong_types_name_the_key_and_line() {
    let line_of = |text: &str, needle: &str| text.lines().position(|l| l.starts_with(needle)).unwrap() + 1;

    let text = format!("{GOOD_CALENDAR_AND_PLAN}\n[storage]\nurl = \"sqlite://x.db\"\npath = \"typo\"\n");
    let p = problems(&text);
    let line = format!("line {}", line_of(&text, "path = "));
    assert_eq!(p.len(), 1);
    assert!(
        p[0].starts_with("storage.path: ") && p[0].contains("unknown field `path`") && p[0].contains(&line),
        "{p:?}"
    );

    let text = GOOD_CALENDAR_AND_PLAN.replace("rank = 1", "rank = \"first\"");
    let p = problems(&text);
    let line = format!("line {}", line_of(&text, "rank = "));
    assert!(p[0].starts_with("plans.premium.rank: ") && p[0].contains(&line), "{p:?}");
}

#[test]
fn a_missing_file_is_named() {
    let err = Config::load(Path::new("no/such/file.toml")).unwrap_err();
    assert!(err.to_string().contains("no/such/file.toml: cannot read the file"), "{err}");
}

#[test]
fn a_database_password_in_the_file_is_refused_without_echoing_it() {
    for url in
        ["postgres://bot:hunter2@db.internal/pl", "postgres://bot@db.internal/pl?sslmode=require&password=hunter2"]
    {
        let text = format!("{GOOD_CALENDAR_AND_PLAN}\n[storage]\nurl = \"{url}\"\n");
        let p = problems(&text);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("storage.url: ") && p[0].contains("PGPASSWORD"), "{p:?}");
        assert!(!p.iter().any(|m| m.contains("hunter2")), "the secret is echoed: {p:?}");
    }

    // A user name alone, or an @ in the path, is not a password.
    for url in ["postgres://bot@db.internal/pl", "sqlite://data/x@y:z.db"] {
        let text = format!("{GOOD_CALENDAR_AND_PLAN}\n[storage]\nurl = \"{url}\"\n");
        let config = Config::parse(&text, Path::new("conf/good.toml")).expect(url);
        assert_eq!(config.storage.url, url);
    }
}

#[test]
fn escalation_steps_default_to_the_spec_and_bad_ones_are_named() {
    use priority_line::domain::escalation::{Policy, Trigger};
    use priority_line::domain::sla::Severity;
    let config = Config::load(Path::new("config/example.toml")).unwrap();
    // The example writes SPEC.md's defaults out: the same as none at all.
    for plan in ["premium", "standard"] {
        assert_eq!(config.escalation(plan).unwrap(), &Policy::spec_default(), "{plan}");
    }
    let text = format!("{GOOD_CALENDAR_AND_PLAN}\n[[escalation.steps]]\nplans = [\"premium\"]\nseverity = 3\nat = \"90%\"\nping = [\"tam\"]\n");
    let config = Config::parse(&text, Path::new("conf/good.toml")).unwrap();
    let steps = config.escalation("premium").unwrap().steps(Severity::Medium);
    assert_eq!(steps.iter().map(|s| s.trigger).collect::<Vec<_>>(), [Trigger::Percent(90)], "replaces L3's defaults");
    assert_eq!(
        config.escalation("premium").unwrap().steps(Severity::Critical),
        Policy::spec_default().steps(Severity::Critical)
    );

    let text = format!(
        "{GOOD_CALENDAR_AND_PLAN}\n[[escalation.steps]]\nplans = [\"gold\"]\nseverity = 5\nat = \"soon\"\nping = [\"boss\"]\npost = [\"email\"]\n"
    );
    let p = problems(&text);
    for key in [
        "escalation.steps[0].severity",
        "escalation.steps[0].plans",
        "escalation.steps[0].at",
        "escalation.steps[0].ping",
        "escalation.steps[0].post",
    ] {
        assert!(p.iter().any(|m| m.starts_with(&format!("{key}: "))), "{key} in {p:?}");
    }
}

/// Issue 13: a configuration that would mix customers' conversations is
/// refused at start, naming both keys.
#[test]
fn channels_that_would_mix_customers_are_refused_naming_both_keys() {
    let text = format!(
        r#"{GOOD_CALENDAR_AND_PLAN}
[discord]
guild = "300000000000000001"
staff_role = "320000000000000001"
escalation_channel = "310000000000000009"

[[customers]]
key = "ACME"
name = "Acme"
plan = "premium"
calendar = "madrid"
support_channel = "310000000000000001"
tam = "400000000000000002"

[[customers]]
key = "GLOBEX"
name = "Globex"
plan = "premium"
calendar = "madrid"
support_channel = "310000000000000001"
tam = "400000000000000004"

[[customers]]
key = "INITECH"
name = "Initech"
plan = "premium"
calendar = "madrid"
support_channel = "310000000000000009"
tam = "400000000000000005"
"#
    );
    let p = problems(&text);
    assert_has(&p, "customers[1].support_channel", "is also customers[0].support_channel");
    assert_has(&p, "customers[2].support_channel", "is also discord.escalation_channel");
    assert_eq!(p.len(), 2, "{}", p.join("\n"));
}

/// Issue 12: HTTP interactions need the application's public key, and a
/// malformed one is a clear configuration error at start.
#[test]
fn http_interactions_need_a_valid_public_key() {
    let discord = |extra: &str| {
        format!(
            "{GOOD_CALENDAR_AND_PLAN}\n[discord]\nguild = \"300000000000000001\"\nstaff_role = \"320000000000000001\"\n{extra}\n"
        )
    };
    let p = problems(&discord("interactions = \"http\""));
    assert_has(&p, "discord.public_key", "needs the application's public key");
    let p = problems(&discord("interactions = \"http\"\npublic_key = \"abc\""));
    assert_has(&p, "discord.public_key", "64 hex digits");
    // 64 hex digits that are no point of the curve.
    let p = problems(&discord(&format!("interactions = \"http\"\npublic_key = \"{}\"", "02".repeat(32))));
    assert_has(&p, "discord.public_key", "not a valid Ed25519 public key");
    let p = problems(&discord("interactions = \"webhook\""));
    assert_has(&p, "discord.interactions", "is not \"gateway\" or \"http\"");
    let p = problems(&format!("{GOOD_CALENDAR_AND_PLAN}\n[log]\nformat = \"xml\"\n"));
    assert_has(&p, "log.format", "write \"text\" or \"json\"");
    let key = "67c6bd767ca099e79efac9fcce4d2022a63bf7dea780e7f3d813f694c1597089";
    let config =
        Config::parse(&discord(&format!("interactions = \"http\"\npublic_key = \"{key}\"")), Path::new("ok.toml"))
            .unwrap();
    assert!(matches!(config.discord.unwrap().interactions, priority_line::config::Interactions::Http { .. }));
}

/// Issue 23: who keeps Discord's rate limits, and how close escalation
/// notices group, are checked with their keys; the defaults are the bot's
/// own limits and 30 s.
#[test]
fn rate_limits_and_the_group_window_are_checked() {
    let discord = |extra: &str| {
        format!(
            "{GOOD_CALENDAR_AND_PLAN}\n[discord]\nguild = \"300000000000000001\"\nstaff_role = \"320000000000000001\"\n{extra}\n"
        )
    };
    let p = problems(&discord("rate_limits = \"none\""));
    assert_has(&p, "discord.rate_limits", "is not \"own\" or \"proxy\"");
    let p = problems(&format!("{}\n[escalation]\ngroup_window = \"soon\"\n", discord("")));
    assert_has(&p, "escalation.group_window", "soon");
    let config = Config::parse(&discord(""), Path::new("ok.toml")).unwrap();
    assert_eq!(config.discord.unwrap().rate_limits, priority_line::config::RateLimits::Own);
    assert_eq!(config.group_window, std::time::Duration::from_secs(30));
    let config = Config::parse(
        &format!("{}\n[escalation]\ngroup_window = \"45s\"\n", discord("rate_limits = \"proxy\"")),
        Path::new("ok.toml"),
    )
    .unwrap();
    assert_eq!(config.discord.unwrap().rate_limits, priority_line::config::RateLimits::Proxy);
    assert_eq!(config.group_window, std::time::Duration::from_secs(45));
}

/// `[[summaries]]`: each value checked with its key, and no summary where
/// another customer's contacts read.
#[test]
fn summaries_are_checked_and_kept_from_other_customers() {
    let example = std::fs::read_to_string("config/example.toml").unwrap();
    let bad = example.replace(
        "[[summaries]]\nchannel = \"310000000000000011\"\nday = \"mon\"\ntime = \"08:00\"\nzone = \"UTC\"",
        "[[summaries]]\nchannel = \"310000000000000002\"\ncustomer = \"ACME\"\nday = \"lunes\"\ntime = \"8am\"\nzone = \"Madrid\"\n\n\
         [[summaries]]\nchannel = \"310000000000000001\"\nday = \"mon\"\ntime = \"08:00\"\nzone = \"UTC\"\n\n\
         [[summaries]]\nchannel = \"310000000000000012\"\ncustomer = \"NOPE\"\nday = \"mon\"\ntime = \"08:00\"\nzone = \"UTC\"",
    );
    assert_ne!(bad, example, "the example's [[summaries]] moved: update this test");
    let p = problems(&bad);
    assert_has(&p, "summaries[1].day", "mon, tue");
    assert_has(&p, "summaries[1].time", "09:00");
    assert_has(&p, "summaries[1].zone", "IANA");
    assert_has(&p, "summaries[1].channel", "support channel of GLOBEX, whose contacts would read ACME's summary");
    assert_has(&p, "summaries[2].channel", "support channel of ACME");
    assert_has(&p, "summaries[3].customer", "not a configured customer");
    // Its own support channel may get a customer's own summary.
    let own = example.replace("channel = \"310000000000000010\"", "channel = \"310000000000000001\"");
    assert!(Config::parse(&own, Path::new("own.toml")).is_ok());
}

/// `update` in a plan's targets is a positive humantime duration, and
/// `[followup]` closes only after it reminds.
#[test]
fn update_intervals_and_followup_are_checked() {
    let text = GOOD_CALENDAR_AND_PLAN
        .replace(
            r#"1 = { response = "30m", clock = "24x7" }"#,
            r#"1 = { response = "30m", clock = "24x7", update = "0s" }"#,
        )
        .replace(
            r#"2 = { response = "4h",  clock = "24x7" }"#,
            r#"2 = { response = "4h",  clock = "24x7", update = "soon" }"#,
        )
        + "\n[followup]\nremind_after = \"3d\"\nclose_after = \"2d\"\n";
    let found = problems(&text);
    assert_has(&found, "plans.premium.targets.1.update", "longer than zero");
    assert_has(&found, "plans.premium.targets.2.update", "\"soon\" is not a duration");
    assert_has(&found, "followup.close_after", "longer than followup.remind_after");
    let zero = format!("{GOOD_CALENDAR_AND_PLAN}\n[followup]\nremind_after = \"0s\"\n");
    assert_has(&problems(&zero), "followup.remind_after", "longer than zero");

    let good = GOOD_CALENDAR_AND_PLAN.replace(
        r#"3 = { response = "6h",  clock = "business" }"#,
        r#"3 = { response = "6h",  clock = "business", update = "8h" }"#,
    );
    let config = Config::parse(&good, Path::new("x.toml")).unwrap();
    let targets = &config.plans["premium"].targets;
    use priority_line::domain::sla::Severity;
    assert_eq!(targets.get(Severity::Medium).update(), Some(std::time::Duration::from_secs(8 * 3600)));
    assert_eq!(targets.get(Severity::Critical).update(), None, "no update clock where it is left out");
    assert_eq!(config.followup, Default::default(), "[followup] left out: never");
}

/// `[transcripts]` and `[satisfaction]`: SPEC.md's keys, each problem named
/// by its key; transcripts need a channel; left out, both are off.
#[test]
fn transcripts_and_satisfaction_keys_are_checked() {
    let config = Config::load(Path::new("config/example.toml")).unwrap();
    let t = config.transcripts.expect("the example keeps the record");
    assert_eq!((t.channel.0, t.max_file), (310000000000000014, 25 * 1024 * 1024));
    assert_eq!(t.keep, Some(std::time::Duration::from_secs(400 * 24 * 3600)));
    assert!(config.satisfaction.enabled);
    let off = Config::parse(GOOD_CALENDAR_AND_PLAN, Path::new("x.toml")).unwrap();
    assert_eq!((off.transcripts, off.satisfaction.enabled), (None, false), "left out: off");
    let no_channel = format!("{GOOD_CALENDAR_AND_PLAN}\n[transcripts]\nenabled = true\n");
    assert_has(&problems(&no_channel), "transcripts.channel", "a staff channel");
    let bad = format!(
        "{GOOD_CALENDAR_AND_PLAN}\n[transcripts]\nenabled = true\nchannel = \"31\"\nmax_file = \"2.5MB\"\nkeep = \"0d\"\n"
    );
    let found = problems(&bad);
    assert_has(&found, "transcripts.max_file", "not a size like \"25MB\"");
    assert_has(&found, "transcripts.keep", "longer than zero");
    let defaults = format!("{GOOD_CALENDAR_AND_PLAN}\n[transcripts]\nenabled = true\nchannel = \"31\"\n");
    let t = Config::parse(&defaults, Path::new("x.toml")).unwrap().transcripts.unwrap();
    assert_eq!((t.max_file, t.keep), (25 * 1024 * 1024, None), "25MB, and kept for ever");
    let typo = format!("{GOOD_CALENDAR_AND_PLAN}\n[satisfaction]\nenable = true\n");
    assert!(Config::parse(&typo, Path::new("x.toml")).is_err(), "an unknown key is refused");
}
