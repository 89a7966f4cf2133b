//! `priority-line console` driven through a pipe, as a script would drive it:
//! the README's walk-through, as a contact, a TAM, staff, an unregistered user
//! and a ninth contact.

use std::io::Write;
use std::process::{Command, Stdio};

fn run_console(script: &str) -> (String, String, bool) {
    run_console_in(tempfile::tempdir().unwrap().path(), script)
}

/// The console as the TAM, its database and its temporary files in `dir`.
fn run_console_in(dir: &std::path::Path, script: &str) -> (String, String, bool) {
    let db = format!("sqlite://{}/console.db", dir.display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_priority-line"))
        .args(["console", "--config", "config/example.toml", "--db", &db, "--as", "tam-acme"])
        .env("TMPDIR", dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

fn assert_in(haystack: &str, needle: &str) {
    assert!(haystack.contains(needle), "expected {needle:?} in:\n{haystack}");
}

/// The README's first session, line for line; its replies as the README
/// shows them, less the times (the console runs on the real clock).
#[test]
fn the_readme_walk_through_works_from_a_script() {
    let script = r#"
/contacts add user:@alice name:"Alice Ortega"
:as alice
/ticket open summary:"VPN down for all users" severity:1
/ticket open summary:"El informe semanal va lento"
:as engineer
:in ACME-1
:later 12m
/ack note:"Looking at the concentrator"
/ticket update note:"The concentrator's certificate expired; a new one is being issued"
/ticket wait reason:"Please send the VPN client log from one affected laptop"
:as alice
:in ACME-1
Here is the log
:as engineer
/ticket assign number:ACME-1 engineer:@tam-acme
:as tam-acme
/ticket list which:mine
:as alice
/ticket close number:ACME-1 resolution:"New certificate installed"
/ticket rate number:ACME-1 score:4
/ticket rate number:ACME-1 score:4 comment:"Quick, but we had to chase the first answer"
:as mallory
/ticket open summary:"help"
"#;
    let (out, err, ok) = run_console(script);
    assert!(ok, "{err}");
    assert_in(&out, "Added @alice as a technical contact of Acme Corp (1 of 8 seats used).");
    assert_in(&out, "Opened ACME-1: L1 Critical (severity as you chose it).");
    assert_in(
        &out,
        "[#acme-support] private thread ACME-1 created (:in ACME-1 to enter it)\n[thread ACME-1] @tam-acme",
    );
    assert_in(&out, "(notifies @tam-acme, @backup-tam-acme)");
    // The card and the members follow the TAMs' ping.
    assert_in(&out, "[Acusar recibo]\n[thread ACME-1] @alice, @tam-acme, @backup-tam-acme join the thread");
    assert_in(&out, "Opened ACME-2: L2 High (classified by rule \"degradado\", which matched \"lento\")");
    // Acme's language is Spanish: posts in its threads and its cards are in Spanish.
    assert_in(
        &out,
        "[thread ACME-1] @engineer acusó recibo tras 12 min, dentro del objetivo de 30 min. Looking at the concentrator",
    );
    assert_in(&out, "ACME-1 · L1 Crítica · con acuse de recibo");
    assert_in(&out, "  │  Responsable: @engineer");
    assert_in(&out, "  └─ acuse de recibo de @engineer tras 12 min, dentro del objetivo de 30 min");
    assert_in(&out, "[thread ACME-1] @alice Novedades de ACME-1, de @engineer: The concentrator's certificate expired");
    assert_in(&out, "ACME-1 is waiting on the customer; its update clock is stopped until they answer in the thread.");
    assert_in(&out, "[thread ACME-1] @alice @engineer necesita algo de tu parte para seguir con ACME-1: Please send");
    assert_in(&out, "alice in thread ACME-1> Here is the log\n(message sent)");
    assert_in(&out, "[thread ACME-1] @engineer @alice ha respondido: ACME-1 ya no espera al cliente.");
    assert_in(&out, "@tam-acme se encarga ahora de ACME-1 en lugar de @engineer, asignado por @engineer.");
    assert_in(&out, "Your tickets:\n• ACME-1 L1 Critical · acknowledged · next update in 59 min · owner @tam-acme");
    // Closed, and asked how it went.
    assert_in(
        &out,
        "[thread ACME-1] Cerrado por @alice: New certificate installed\n\
         ¿Qué tal lo hemos hecho? Valóralo de 1 (mal) a 5 (excelente).\n    \
         [1] [2] [3] [4] [5]  (/ticket rate number:ACME-1 score:1…5)\n\
         [thread ACME-1] the thread is archived",
    );
    assert_in(
        &out,
        "Thank you for rating ACME-1 4 out of 5. Anything to add? A comment helps us most.\n    \
         [Add a comment]  (/ticket rate number:ACME-1 score:4 comment:…)",
    );
    assert_in(&out, "Thank you: your rating of 4 for ACME-1 and your comment are kept.");
    assert_in(&out, "You are not a registered technical contact of any customer, so you cannot do this.");
}

#[test]
fn refusals_are_clear_for_the_unregistered_and_a_ninth_contact() {
    let mut script = String::from(":as mallory\n/ticket open summary:\"help\"\n/queue\n:as tam-acme\n");
    for i in 1..=9 {
        script.push_str(&format!("/contacts add user:60000000000000000{i}\n"));
    }
    script.push_str("/contacts list\n/ticket opne\n/ticket open summary:\"unterminated\n:nonsense\n");
    let (out, err, ok) = run_console(&script);
    assert!(ok, "{err}");
    assert_in(&out, "You are not a registered technical contact of any customer");
    assert_in(&out, "Only support staff and TAMs can see the queue.");
    assert_in(&out, "(8 of 8 seats used)");
    assert_in(&out, "Acme Corp already has 8 active technical contacts, the most the premium package allows. Remove one with /contacts remove");
    assert_in(&out, "Technical contacts of Acme Corp (8 of 8 seats):");
    assert_in(&out, "bot (only you can see this): unknown command /ticket opne.");
    assert_in(&out, "error: the quoted value of summary has no closing \"");
    assert_in(&out, "error: unknown console command :nonsense");
    assert!(!out.contains("Added @600000000000000009"), "the ninth contact was not added:\n{out}");
}

#[test]
fn later_moves_the_clock_and_escalations_appear_on_time() {
    let script = "/contacts add user:@alice\n:as alice\n/ticket open summary:\"VPN down\" severity:1\n:later 20m\n:as engineer\n:in ACME-1\n/ack\n:later 1h\n";
    let (out, err, ok) = run_console(script);
    assert!(ok, "{err}");
    assert_in(&out, "Recordatorio: ACME-1 (L1 Crítica, VPN down) ha consumido el 50 %");
    assert_in(&out, "(notifies @tam-acme)");
    assert!(!out.contains("Enviado con retraso"), "on time, not late:\n{out}");
    // Acknowledged at 20 min: the 80 % step and the breach never come.
    assert!(!out.contains("80 %") && !out.contains("INCUMPLIDO"), "{out}");
}

/// A whole support day: a contact opens an L1; the engineer's first message
/// in its thread acknowledges it; an update restarts the clock, whose
/// reminder comes at 80 %; the ticket waits on the customer until Alice
/// writes in the thread; the TAM takes it over, misses an update and is
/// pinged; staff log a ticket phoned in; Alice closes hers and its thread is
/// archived.
#[test]
fn a_support_day_after_the_first_response() {
    let script = r#"
/contacts add user:@alice name:"Alice Ortega"
:as alice
/ticket open summary:"VPN down for all users" severity:1
:as engineer
:in ACME-1
On it, looking at the concentrator
/ticket update note:"Concentrator rebooted; watching it"
:later 50m
/ticket wait reason:"Send us the VPN client's log"
:as alice
:in ACME-1
Here is the log
:as engineer
:in ACME-1
/ticket assign number:ACME-1 engineer:@tam-acme
:later 2h
:in ACME
/ticket open summary:"Mail relay down" severity:1 contact:@alice
/ticket list
:as alice
/ticket close number:ACME-1 resolution:"Client updated"
"#;
    let (out, err, ok) = run_console(script);
    assert!(ok, "{err}");
    // The first staff message acknowledges; later ones are updates.
    assert_in(&out, "engineer in thread ACME-1> On it, looking at the concentrator\n(message sent)");
    assert_in(&out, "[thread ACME-1] @engineer acusó recibo tras 0 s, dentro del objetivo de 30 min.");
    assert_in(&out, "[thread ACME-1] @alice Novedades de ACME-1, de @engineer: Concentrator rebooted; watching it");
    assert_in(&out, "(notifies @alice)");
    assert_in(
        &out,
        "[thread ACME-1] @engineer Recordatorio: ACME-1 (L1 Crítica) necesita una actualización para el cliente",
    );
    // Waiting on the customer, until she writes.
    assert_in(&out, "@alice @engineer necesita algo de tu parte para seguir con ACME-1: Send us the VPN client's log");
    assert_in(&out, "ACME-1 · L1 Crítica · esperando al cliente");
    // A Spanish card is Spanish throughout, its relative times too.
    assert_in(&out, "CET (dentro de 29 min)   [Acusar recibo]");
    assert_in(&out, "CET (hace 50 min)");
    assert_in(&out, "alice in thread ACME-1> Here is the log\n(message sent)");
    // Its owner is told, by name (Discord notifies only whom a message mentions).
    assert_in(&out, "[thread ACME-1] @engineer @alice ha respondido: ACME-1 ya no espera al cliente.");
    // A new owner, who misses the next update.
    assert_in(&out, "[thread ACME-1] @tam-acme joins the thread");
    assert_in(&out, "@tam-acme se encarga ahora de ACME-1 en lugar de @engineer, asignado por @engineer.");
    assert_in(&out, "La actualización para el cliente de ACME-1 (L1 Crítica, VPN down for all users) está VENCIDA");
    assert_in(&out, "[#escalations] • ACME-1 · Acme Corp · L1 Crítica · actualización al cliente VENCIDA (tocaba ");
    assert_in(&out, " · thread ACME-1 @tam-acme  (notifies @tam-acme)");
    // A ticket phoned in.
    assert_in(&out, "Opened ACME-2 for @alice, taken by phone: L1 Critical");
    assert_in(&out, "Recibido por teléfono, registrado por: @engineer");
    assert_in(&out, "• ACME-1 L1 Critical · acknowledged: update OVERDUE · next update ");
    assert_in(&out, " ago · owner @tam-acme · VPN down for all users");
    // Closed, and its thread put away.
    assert_in(&out, "[thread ACME-1] Cerrado por @alice: Client updated");
    assert_in(&out, "[thread ACME-1] the thread is archived");
}

/// Issue 24: the console keeps the record as Discord does. Plain lines in a
/// ticket's thread are its messages, `:attach` sends a local file that the
/// record keeps with its SHA-256, `/ticket transcript` answers with the page
/// (saved where the console says), and closing posts it to the
/// transcripts channel.
#[test]
fn the_console_keeps_the_record_and_its_transcripts() {
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("vpn-client.log");
    std::fs::write(&log, "12:01 tunnel down\n12:02 retry\n").unwrap();
    let script = format!(
        r#"
/contacts add user:@alice name:"Alice Ortega"
:as alice
/ticket open summary:"VPN down" severity:2
:in ACME-1
The client gives up after a minute
:attach {} the client's log
:as engineer
:in ACME-1
Thanks, looking at it
/ticket transcript number:ACME-1
/ticket close number:ACME-1 resolution:"Tunnel restored"
:later 1m
"#,
        log.display()
    );
    let (out, err, _) = run_console_in(dir.path(), &script);
    assert!(err.is_empty(), "{err}");
    assert_in(&out, "(message sent) (vpn-client.log, 30 B)");
    assert_in(&out, "The transcript of ACME-1, as it stands (messages: ");
    let saved = dir.path().join("priority-line-transcripts").join("transcript-ACME-1.html");
    assert_in(&out, "(transcript-ACME-1.html, ");
    assert_in(&out, &saved.display().to_string());
    assert_in(&out, "[#transcripts] Transcripción de ACME-1 · Acme Corp · VPN down (mensajes: ");
    let html = std::fs::read_to_string(&saved).unwrap();
    let sha: String = sha2::Sha256::digest(std::fs::read(&log).unwrap()).iter().map(|b| format!("{b:02x}")).collect();
    for shown in
        ["The client gives up after a minute", "the client&#39;s log", "vpn-client.log", &sha, "Thanks, looking at it"]
    {
        assert!(html.contains(shown), "the transcript shows {shown:?}");
    }
    assert!(html.contains("Tunnel restored"), "the closing's transcript replaced the earlier one");
}
