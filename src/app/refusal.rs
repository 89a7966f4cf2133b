//! Why the application refused a command: values carrying the facts the
//! wording needs, never words. `commands/refusals.rs` words them in English and
//! Spanish, once, when an adapter shows the outcome; tests assert on these.

use chrono_tz::Tz;

use super::args::UsageError;
use super::declare::Spec;
use crate::domain::customer::{CustomerKey, Snowflake};
use crate::domain::signature::{Label, Recorded};
use crate::domain::ticket::{self, TicketNumber};

#[derive(Debug, Clone, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Refusal {
    /// The input is not a command as declared.
    Usage(UsageError),
    /// Not a registered technical contact of any customer.
    NotRegistered,
    /// The command is for support staff and TAMs.
    StaffOnly {
        command: &'static Spec,
    },
    /// The command concerns every customer: for the staff role, not for a
    /// TAM without it.
    StaffRoleOnly {
        command: &'static Spec,
    },
    /// A TAM without the staff role, in another customer's channel or
    /// thread, or naming another customer.
    OutsideYourCustomers {
        /// The names of the customers they look after.
        customers: Vec<String>,
    },
    /// A TAM of several customers who must say which one.
    WhichCustomer {
        known: Vec<String>,
    },
    /// The command is for support staff and the specialist group.
    SpecialistsOnly {
        command: &'static Spec,
    },
    /// The specialist group moves signature requests on; this command is
    /// for contacts and staff.
    NotForSpecialists {
        command: &'static Spec,
    },
    /// The command is for customers' registered contacts.
    ContactsOnly {
        command: &'static Spec,
    },
    /// Tickets are opened in the contact's support channel.
    WrongChannel {
        support_channel: Snowflake,
    },
    /// Staff ran a per-customer command outside any customer's channels.
    NoCustomerHere,
    /// A ticket named by its sequence alone (`42`) where no customer goes
    /// without saying.
    BareNumber {
        seq: i64,
    },
    /// The command acts on the ticket of the thread it is typed in.
    NotInThread {
        command: &'static Spec,
    },
    /// No such ticket among those the caller may see (another customer's
    /// ticket is refused the same way, so nothing about it leaks).
    NoSuchTicket {
        number: TicketNumber,
    },
    /// The ticket's customer is no longer configured.
    CustomerGone {
        number: TicketNumber,
    },
    /// The ticket's state does not allow the change; `zone` is its customer's.
    Ticket {
        number: TicketNumber,
        refusal: ticket::Refusal,
        zone: Tz,
    },
    /// Someone else changed the ticket meanwhile.
    Conflict {
        number: TicketNumber,
    },
    ContactLimit {
        customer: String,
        active: i64,
        user: Snowflake,
    },
    AlreadyContact {
        user: Snowflake,
        customer: String,
    },
    ContactOfAnother {
        user: Snowflake,
        other: CustomerKey,
    },
    NotAContact {
        user: Snowflake,
        customer: String,
    },
    NotAnEmail {
        email: String,
    },
    /// A button of a message that no longer acts (an old version's).
    UnknownButton,
    /// Transcripts are asked for, and `[transcripts]` is not enabled.
    TranscriptsOff,
    /// No customer has this key.
    UnknownCustomer {
        key: String,
        known: Vec<String>,
    },
    /// The request names a database release older than the newest, whose
    /// grace is over; `zone` is the customer's.
    DatabasesOutdated {
        named: Label,
        newest: Recorded,
        zone: Tz,
    },
    /// The request names a database release nobody recorded.
    DatabasesUnknown {
        named: Label,
        newest: Label,
    },
    /// The customer has an open request about this file already.
    DuplicateRequest {
        number: TicketNumber,
    },
    /// The release was recorded before.
    ReleaseRecorded {
        release: Label,
        at: chrono::DateTime<chrono::Utc>,
    },
    /// Only the contact who filed a request confirms its fix.
    NotYourRequest {
        number: TicketNumber,
    },
    /// A contact gave `contact:`: only staff log tickets taken by phone.
    PhoneTicketsByStaff,
    /// Staff opening a ticket name the contact who phoned it in.
    PhoneTicketNeedsContact {
        command: &'static Spec,
    },
    /// The person named for a phone ticket is no contact of this customer.
    PhoneNotAContact {
        user: Snowflake,
        customer: String,
    },
    /// The person named for a phone ticket is another customer's contact,
    /// whose tickets are opened in `channel`.
    PhoneContactOfAnother {
        user: Snowflake,
        channel: Snowflake,
    },
    /// Only support staff (or the customer's TAMs) own tickets.
    NotStaff {
        user: Snowflake,
    },
}

impl Refusal {
    /// What kind of refusal this is, for the logs: `not_an_email`,
    /// `usage.invalid`, `ticket.already_acknowledged`. Never what the user
    /// typed (a mistyped e-mail address is personal data).
    pub fn kind(&self) -> String {
        let kind: &'static str = self.into();
        match self {
            Refusal::Usage(usage) => format!("{kind}.{}", usage.kind()),
            Refusal::Ticket { refusal, .. } => format!("{kind}.{}", <&'static str>::from(refusal)),
            _ => kind.to_owned(),
        }
    }
}

impl UsageError {
    /// What kind of usage error this is, for the logs (`invalid`), never
    /// the value typed.
    pub fn kind(&self) -> &'static str {
        self.into()
    }
}
