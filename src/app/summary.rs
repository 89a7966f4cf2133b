//! The weekly summary: a week's figures (`domain::summary`) for one
//! customer or all, beside the week before, worded in a language and drawn
//! as a chart. The outbox posts it once per week and `[[summaries]]`
//! channel; `/summary` and `priority-line report` show it on demand.

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use super::application::{App, AppError};
use super::chart;
use super::jobs::Job;
use super::msg::{say, Chart, Local, Msg, Span, SummaryPost, TimeStyle};
use super::words;
use crate::config::{Config, SummaryConfig};
use crate::domain::calendar::Calendar;
use crate::domain::customer::{Customer, CustomerKey, Language};
use crate::domain::signature::Stage;
use crate::domain::sla::{ResponseTarget, Severity};
use crate::domain::summary::{figures, Clocks, Figures, Week};
use crate::storage::Once;

/// How many breaches, low ratings and open tickets a summary lists before
/// "and N more".
const LISTED: usize = 10;

/// How much of a low rating's comment a summary shows (the report's JSON
/// has all of it).
const COMMENT_SHOWN: usize = 200;

/// A week's figures and the week before's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub week: Week,
    pub zone: Tz,
    /// `None`: every customer.
    pub customer: Option<(CustomerKey, String)>,
    /// The week has not ended: its figures as they stood at this instant.
    pub as_of: Option<DateTime<Utc>>,
    pub this: Figures,
    pub previous: Figures,
}

impl Clocks for Config {
    fn clock(&self, customer: &CustomerKey, severity: Severity) -> Option<(&ResponseTarget, &Calendar)> {
        let c = self.customer(customer.as_str())?;
        let plan = self.plans.get(&c.plan)?;
        Some((plan.targets.get(severity), self.calendars.get(&c.calendar)?))
    }
}

impl App {
    /// The figures of `week` in `zone`, of `customer` or of all.
    /// A week that has not ended is told as it stands now.
    pub async fn report(&self, week: Week, zone: Tz, customer: Option<&Customer>) -> Result<Report, AppError> {
        let (from, middle, to) = (week.previous().start(zone), week.start(zone), week.end(zone));
        let key = customer.map(|c| c.key.as_str());
        let (histories, marks) =
            tokio::try_join!(self.store.histories(from, to, key), self.store.update_marks(from, to, key))?;
        let now = self.now();
        Ok(Report {
            week,
            zone,
            customer: customer.map(|c| (c.key.clone(), c.name.clone())),
            as_of: (now < to).then_some(now),
            this: figures(&histories, &marks, (middle, to), now, self.config.as_ref()),
            previous: figures(&histories, &marks, (from, middle), now, self.config.as_ref()),
        })
    }

    /// The summary a `[[summaries]]` entry posts for `week`.
    pub(super) async fn summary_for(&self, s: &SummaryConfig, week: Week) -> Result<SummaryPost, AppError> {
        let customer = s.customer.as_ref().and_then(|k| self.config.customer(k.as_str()));
        let report = self.report(week, s.zone, customer).await?;
        Ok(self.summary_post(report, s.language).await)
    }

    /// The summary as posted, in `lang`; its chart is drawn off the async
    /// runtime (it takes a few milliseconds of CPU).
    pub async fn summary_post(&self, report: Report, lang: Language) -> SummaryPost {
        let (title, msg, week) = (report.title(lang), report.text(lang), report.week);
        let chart = tokio::task::spawn_blocking(move || report.chart(lang)).await.unwrap_or_else(|e| {
            tracing::error!(error = %e, %week, "drawing the summary chart failed");
            Chart { png: Vec::new(), file_name: String::new() }
        });
        SummaryPost { title, msg, chart }
    }

    /// Makes sure each `[[summaries]]` entry has its next summary queued
    /// (once, whichever instance starts first); each summary delivered
    /// queues the next week's.
    pub async fn plan_summaries(&self) -> Result<(), AppError> {
        let now = self.now();
        for s in &self.config.summaries {
            let week = next_week_to_post(s, now);
            if self.store.queue_once(&summary_job(s, week)).await? {
                tracing::info!(channel = %s.channel, %week, due = %posting_instant(s, week), "weekly summary scheduled");
            }
        }
        self.queued_jobs();
        Ok(())
    }
}

/// The outbox row of an entry's summary of `week`, due when it posts; its
/// key makes it exist once.
pub(super) fn summary_job(s: &SummaryConfig, week: Week) -> Once {
    let customer = s.customer.as_ref().map(|k| k.as_str().to_owned());
    let key = format!("summary:{}:{}:{week}", s.channel, customer.as_deref().unwrap_or("*"));
    let job = Job::Summary { channel: s.channel, customer, week: week.to_string() };
    Once { key, row: job.queued(posting_instant(s, week), None) }
}

/// When a `[[summaries]]` entry posts the summary of `week`: its day and
/// time of the week after, in its zone.
pub fn posting_instant(s: &SummaryConfig, week: Week) -> DateTime<Utc> {
    week.next().at(s.day, s.time, s.zone)
}

/// The week whose summary a `[[summaries]]` entry posts next after `now`.
pub fn next_week_to_post(s: &SummaryConfig, now: DateTime<Utc>) -> Week {
    let current = Week::of(now.with_timezone(&s.zone).date_naive());
    match posting_instant(s, current.previous()) > now {
        true => current.previous(),
        false => current,
    }
}

impl Report {
    /// The summary's title, in `lang`.
    pub fn title(&self, lang: Language) -> String {
        let week = self.week.to_string();
        match &self.customer {
            Some((_, name)) => {
                say!(lang, "Weekly summary {week} · {name}", "Resumen semanal {week} · {name}", week, name)
            }
            None => {
                say!(lang, "Weekly summary {week} · all customers", "Resumen semanal {week} · todos los clientes", week)
            }
        }
        .plain()
    }

    /// The chart, labelled in `lang`, named `summary-2026-W48-ACME.png`
    /// (`…-all.png` for every customer). Drawing takes a few milliseconds.
    pub fn chart(&self, lang: Language) -> Chart {
        let file_name = match &self.customer {
            Some((key, _)) => format!("summary-{}-{key}.png", self.week),
            None => format!("summary-{}-all.png", self.week),
        };
        Chart { png: chart::draw(self.week, &self.this.responses, lang), file_name }
    }

    /// The summary's text.
    pub fn text(&self, lang: Language) -> Msg {
        let (this, prev) = (&self.this, &self.previous);
        let (monday, sunday) = (self.week.monday(), self.week.monday() + chrono::Duration::days(6));
        let zone = self.zone.name();
        let mut lines = vec![say!(
            lang,
            "{monday} to {sunday}, {zone}.",
            "Del {monday} al {sunday}, {zone}.",
            monday,
            sunday,
            zone
        )];
        if let Some(now) = self.as_of {
            let now = Span::time(now, Some(self.zone), TimeStyle::Full);
            lines.push(say!(
                lang,
                "The week is not over: the figures stand as of {now}.",
                "La semana no ha terminado: las cifras son las de {now}.",
                now
            ));
        }
        let (opened, before) = (this.opened(), prev.opened());
        if opened == 0 {
            lines.push(say!(
                lang,
                "No tickets were opened this week (the week before: {before}).",
                "No se abrió ningún ticket esta semana (la anterior: {before}).",
                before
            ));
        } else {
            let answered: u32 = this.by_severity.iter().map(|s| s.answered).sum();
            let within: u32 = this.by_severity.iter().map(|s| s.within_target).sum();
            let opened = match (opened, lang) {
                (1, Language::En) => "1 ticket opened".to_owned(),
                (1, Language::Es) => "1 ticket abierto".to_owned(),
                (n, Language::En) => format!("{n} tickets opened"),
                (n, Language::Es) => format!("{n} tickets abiertos"),
            };
            lines.push(say!(
                lang,
                "{opened} (the week before: {before}); {answered} answered, {within} within target.",
                "{opened} (la semana anterior: {before}); {answered} con respuesta, {within} dentro del objetivo.",
                opened,
                before,
                answered,
                within
            ));
            for (i, (s, p)) in this.by_severity.iter().zip(&prev.by_severity).enumerate() {
                let Some(severity) = Severity::from_level(i as u8 + 1) else { continue };
                let level = Span::strong(words::severity(lang, severity));
                let was = p.opened;
                if s.opened == 0 {
                    lines.push(say!(
                        lang,
                        "{level}: none (before: {was})",
                        "{level}: ninguno (antes: {was})",
                        level,
                        was
                    ));
                    continue;
                }
                let (n, answered, within, breached) = (s.opened, s.answered, s.within_target, s.breached);
                let (median, p90) = (span_or_dash(s.median), span_or_dash(s.p90));
                let (median_was, p90_was) = (span_or_dash(p.median), span_or_dash(p.p90));
                let mut line = say!(
                    lang,
                    "{level}: opened {n} (before: {was}) · answered {answered} · within target {within} · breached {breached} · median {median} (before: {median_was}) · p90 {p90} (before: {p90_was})",
                    "{level}: abiertos {n} (antes: {was}) · con respuesta {answered} · dentro del objetivo {within} · incumplidos {breached} · mediana {median} (antes: {median_was}) · p90 {p90} (antes: {p90_was})",
                    level,
                    n,
                    was,
                    answered,
                    within,
                    breached,
                    median,
                    median_was,
                    p90,
                    p90_was
                );
                if s.updates_due > 0 {
                    let (due, late) = (s.updates_due, s.updates_late);
                    line.append(say!(
                        lang,
                        " · updates due {due}, late {late}",
                        " · actualizaciones debidas {due}, tarde {late}",
                        due,
                        late
                    ));
                }
                if s.by_phone > 0 {
                    let phone = s.by_phone;
                    line.append(say!(lang, " · by phone {phone}", " · por teléfono {phone}", phone));
                }
                if let Some(avg) = s.satisfaction_avg() {
                    let (rated, avg) = (s.rated, decimal(avg, lang));
                    line.append(say!(
                        lang,
                        " · rated {rated}, average {avg}/5",
                        " · valorados {rated}, media {avg}/5",
                        rated,
                        avg
                    ));
                }
                lines.push(line);
            }
        }
        if !this.breaches.is_empty() {
            let n = this.breaches.len();
            let heading = Span::strong(Local::new("Breaches", "Incumplimientos").get(lang));
            lines.push(say!(lang, "\n{heading} ({n}):", "\n{heading} ({n}):", heading, n));
            for b in this.breaches.iter().take(LISTED) {
                let (ticket, level, late) =
                    (Span::strong(&b.ticket), format!("L{}", b.severity.level()), words::duration(b.late_by));
                lines.push(match (b.ongoing, self.as_of.is_some()) {
                    (false, _) => say!(
                        lang,
                        "• {ticket} {level} · {late} late",
                        "• {ticket} {level} · {late} tarde",
                        ticket,
                        level,
                        late
                    ),
                    (true, false) => say!(
                        lang,
                        "• {ticket} {level} · {late} late and still unanswered at the week's end",
                        "• {ticket} {level} · {late} tarde y aún sin respuesta al acabar la semana",
                        ticket,
                        level,
                        late
                    ),
                    (true, true) => say!(
                        lang,
                        "• {ticket} {level} · {late} late and still unanswered",
                        "• {ticket} {level} · {late} tarde y aún sin respuesta",
                        ticket,
                        level,
                        late
                    ),
                });
            }
            lines.extend(more(n, lang));
        }
        if !this.low_ratings.is_empty() {
            let n = this.low_ratings.len();
            let heading = Span::strong(Local::new("Low ratings", "Valoraciones bajas").get(lang));
            lines.push(say!(lang, "\n{heading} ({n}):", "\n{heading} ({n}):", heading, n));
            for r in this.low_ratings.iter().take(LISTED) {
                let (ticket, level, score) = (Span::strong(&r.ticket), format!("L{}", r.severity.level()), r.score);
                let mut line = say!(
                    lang,
                    "• {ticket} {level} · {score}/5",
                    "• {ticket} {level} · {score}/5",
                    ticket,
                    level,
                    score
                );
                if let Some(comment) = &r.comment {
                    // The customer's words, cut so that ten fit in a post.
                    let comment = crate::domain::text::quote(comment, COMMENT_SHOWN);
                    line.append(say!(lang, ": “{comment}”", ": «{comment}»", comment));
                }
                lines.push(line);
            }
            lines.extend(more(n, lang));
        }
        if !this.open.is_empty() {
            let n = this.open.len();
            let heading = match self.as_of {
                None => Local::new("Open at the week's end", "Abiertos al acabar la semana"),
                Some(_) => Local::new("Open now", "Abiertos ahora"),
            };
            let heading = Span::strong(heading.get(lang));
            lines.push(say!(lang, "\n{heading} ({n}):", "\n{heading} ({n}):", heading, n));
            for o in this.open.iter().take(LISTED) {
                let (ticket, level, age) =
                    (Span::strong(&o.ticket), format!("L{}", o.severity.level()), words::duration(o.age));
                lines.push(say!(
                    lang,
                    "• {ticket} {level} · open for {age}",
                    "• {ticket} {level} · abierto desde hace {age}",
                    ticket,
                    level,
                    age
                ));
            }
            lines.extend(more(n, lang));
        }
        let stages: Vec<String> = Stage::ALL
            .iter()
            .zip(this.signatures)
            .filter(|(_, n)| *n > 0)
            .map(|(stage, n)| format!("{n} {}", words::stage(lang, *stage)))
            .collect();
        if !stages.is_empty() {
            let stages = stages.join(" · ");
            let heading = Span::strong(Local::new("Signature requests", "Solicitudes de firma").get(lang));
            lines.push(say!(lang, "\n{heading}: {stages}", "\n{heading}: {stages}", heading, stages));
        }
        Msg::join(lines, "\n")
    }

    /// The figures as SPEC.md fixes them for scripts.
    pub fn json(&self) -> Value {
        let f = &self.this;
        let by_severity: serde_json::Map<String, Value> = f
            .by_severity
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    (i + 1).to_string(),
                    json!({
                        "opened": s.opened, "answered": s.answered, "within_target": s.within_target,
                        "breached": s.breached, "median_first_response_s": s.median.map(|d| d.as_secs()),
                        "p90_first_response_s": s.p90.map(|d| d.as_secs()),
                        "updates_due": s.updates_due, "updates_late": s.updates_late, "by_phone": s.by_phone,
                        "rated": s.rated, "satisfaction_avg": s.satisfaction_avg(),
                    }),
                )
            })
            .collect();
        let signatures: serde_json::Map<String, Value> =
            Stage::ALL.iter().zip(f.signatures).map(|(stage, n)| (stage.as_str().to_owned(), json!(n))).collect();
        json!({
            "week": self.week.to_string(),
            "zone": self.zone.name(),
            "customer": self.customer.as_ref().map(|(k, _)| k.as_str()),
            "by_severity": by_severity,
            "breaches": f.breaches.iter().map(|b| json!({
                "ticket": b.ticket.to_string(), "severity": b.severity.level(), "late_by_s": b.late_by.as_secs(),
            })).collect::<Vec<_>>(),
            "low_ratings": f.low_ratings.iter().map(|r| json!({
                "ticket": r.ticket.to_string(), "score": r.score.get(), "comment": r.comment,
            })).collect::<Vec<_>>(),
            "open": f.open.iter().map(|o| json!({
                "ticket": o.ticket.to_string(), "severity": o.severity.level(), "age_s": o.age.as_secs(),
            })).collect::<Vec<_>>(),
            "signatures": signatures,
        })
    }

    /// The figures by severity as CSV, one row per severity, this week and
    /// the week before.
    pub fn csv(&self) -> String {
        let mut out = String::from(
            "week,severity,opened,answered,within_target,breached,median_first_response_s,p90_first_response_s,\
             updates_due,updates_late,by_phone,rated,satisfaction_avg\n",
        );
        for (week, f) in [(self.week, &self.this), (self.week.previous(), &self.previous)] {
            for (i, s) in f.by_severity.iter().enumerate() {
                let secs = |d: Option<Duration>| d.map(|d| d.as_secs().to_string()).unwrap_or_default();
                let avg = s.satisfaction_avg().map(|a| a.to_string()).unwrap_or_default();
                out.push_str(&format!(
                    "{week},{},{},{},{},{},{},{},{},{},{},{},{avg}\n",
                    i + 1,
                    s.opened,
                    s.answered,
                    s.within_target,
                    s.breached,
                    secs(s.median),
                    secs(s.p90),
                    s.updates_due,
                    s.updates_late,
                    s.by_phone,
                    s.rated
                ));
            }
        }
        out
    }
}

fn more(n: usize, lang: Language) -> Option<Msg> {
    let rest = n.checked_sub(LISTED).filter(|r| *r > 0)?;
    Some(say!(lang, "… and {rest} more", "… y {rest} más", rest))
}

/// A number to two decimals as written in `lang`: `4.5`, `4,5`.
fn decimal(x: f64, lang: Language) -> String {
    let written = format!("{x:.2}");
    let written = written.trim_end_matches('0').trim_end_matches('.');
    match lang {
        Language::En => written.to_owned(),
        Language::Es => written.replace('.', ","),
    }
}

fn span_or_dash(d: Option<Duration>) -> String {
    d.map_or_else(|| "–".to_owned(), words::duration)
}

/// A posted summary's note that it is late.
pub(super) fn late_note(lang: Language, due: DateTime<Utc>, zone: Tz) -> Msg {
    let due = Span::time(due, Some(zone), TimeStyle::Full);
    say!(
        lang,
        "Posted late: it was due {due}, when the bot was not running.\n",
        "Publicado con retraso: tocaba el {due}, cuando el bot no estaba en marcha.\n",
        due
    )
}
