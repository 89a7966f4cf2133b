//! `/signature latest-db release` (staff): records a published antivirus
//! database release as the newest. The one before it still counts for
//! `[signatures].grace`, while updates reach every machine.

use super::Cx;
use super::Outcome;
use super::{Args, Declared, UsageError};
use crate::app::application::{refuse, App, AppError};
use crate::app::declare::{Access, Kind, Opt, Spec, SIGNATURE};
use crate::app::msg::{say, Local, Span, TimeStyle};
use crate::app::refusal::Refusal;
use crate::domain::signature::Label;

pub static SPEC: Spec = Spec {
    group: Some(&SIGNATURE),
    name: Local::new("latest-db", "últimas-bases"),
    description: Local::new("Record the newest published database release (staff)", "Registrar la versión de bases publicada más reciente (soporte)"),
    help: Local::new(
        "record the newest published antivirus database release (staff); requests must name it",
        "registrar la versión de las bases del antivirus publicada más reciente (soporte); las solicitudes deben usarla",
    ),
    what: Local::new("record database releases", "registrar versiones de las bases"),
    access: Access::StaffRole,
    options: &[Opt {
        name: Local::new("release", "versión"),
        description: Local::new("The release, as products show it", "La versión, como la muestran los productos"),
        kind: Kind::Label,
        required: true,
    }],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestDb {
    pub release: Label,
}

impl Declared for LatestDb {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(LatestDb { release: args.label("release")? })
    }
}

impl LatestDb {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let lang = cx.lang;
        let now = app.now();
        let recorded = cx.write(async |claim| app.store.record_release(&self.release, now, cx.inv.user, claim).await);
        if !recorded.await? {
            let at = app.store.release_recorded(&self.release).await?.unwrap_or(now);
            return refuse(Refusal::ReleaseRecorded { release: self.release, at });
        }
        tracing::info!(release = %self.release, "database release recorded");
        let newest = self.release;
        let releases = app.store.newest_releases(2).await?;
        let msg = match releases.get(1) {
            Some(previous) => {
                let until = now + chrono::Duration::from_std(app.config.signatures.grace).unwrap_or_default();
                let (previous, until) = (&previous.release, Span::time(until, None, TimeStyle::FullRelative));
                say!(
                    lang,
                    "Recorded {newest} as the newest database release. Requests naming {previous} are still accepted until {until}.",
                    "{newest} queda registrada como la versión de bases más reciente. Las solicitudes con {previous} se aceptan aún hasta {until}.",
                    newest,
                    previous,
                    until
                )
            }
            None => say!(
                lang,
                "Recorded {newest} as the newest database release.",
                "{newest} queda registrada como la versión de bases más reciente.",
                newest
            ),
        };
        Ok(Outcome::done(lang, msg))
    }
}
