//! Who is in the demo: the call centers, their agents and the people who call them.
//!
//! Fixed data, so a seed reproduces the same board. Numbers use the fictional `555-01xx` range.
//! The demo opens on a calm morning: arrivals start well below these rates (see `model`), a few
//! agents are not in yet, and one call center is still on night service.

/// One call center as its administrator configured it, plus how busy it is.
#[derive(Debug)]
pub(super) struct CenterSpec {
    /// The call center's BroadWorks user id: the subscription's `targetId`.
    pub target_id: &'static str,
    /// `acdName`.
    pub name: &'static str,
    /// `acdNumber`.
    pub number: &'static str,
    /// Agents' user ids, as `answeringUserId` names them. An agent listed by two call centers
    /// is one person joined to both (one Call Center Agent subscription, one state).
    pub agents: &'static [&'static str],
    /// Mean arrivals per minute (Poisson) once the morning is under way.
    pub arrivals_per_min: f64,
    /// Mean talk time of an answered call, seconds (exponential).
    pub handle_secs: f64,
    /// Mean time a caller waits before hanging up, seconds (exponential).
    pub patience_secs: f64,
    /// Callers beyond this many waiting get busy treatment and never queue (keeps the demo
    /// readable; BroadWorks calls it the queue length limit).
    pub max_queue: usize,
    /// Overflow by time: a call still waiting after this long is sent elsewhere.
    pub overflow_secs: i64,
    /// `acdPriority` of new calls is drawn from these buckets (0 = `0-Highest`).
    pub priorities: &'static [u8],
    /// A call waiting this long in a bucket above 0 is promoted one bucket (priority escalation).
    pub promote_after_secs: Option<i64>,
    /// Where a supervisor transfers calls to (an index into [`CENTERS`], within a group of
    /// four when the model repeats them).
    pub transfer_to: Option<usize>,
    /// On night service all demo long: calls are sent to [`NIGHT_DESTINATION`] and never queue,
    /// and its agents stay signed out.
    pub night_service: bool,
}

pub(super) const CENTERS: [CenterSpec; 5] = [
    CenterSpec {
        target_id: "sales@demo.example",
        name: "Sales",
        number: "tel:+12025550100",
        agents: &[
            "ana.silva@demo.example",
            "ben.carter@demo.example",
            "chen.wei@demo.example",
            "dora.nagy@demo.example",
        ],
        arrivals_per_min: 6.5,
        handle_secs: 40.0,
        patience_secs: 150.0,
        max_queue: 12,
        overflow_secs: 300,
        priorities: &[0],
        promote_after_secs: None,
        transfer_to: None,
        night_service: false,
    },
    CenterSpec {
        target_id: "support@demo.example",
        name: "Support",
        number: "tel:+12025550111",
        agents: &[
            "emil.berg@demo.example",
            "fatima.zahra@demo.example",
            "gus.oconnor@demo.example",
            "hana.kimura@demo.example",
            "ivan.petrov@demo.example",
        ],
        arrivals_per_min: 5.5,
        handle_secs: 70.0,
        patience_secs: 180.0,
        max_queue: 12,
        overflow_secs: 360,
        priorities: &[1],
        promote_after_secs: None,
        transfer_to: Some(2),
        night_service: false,
    },
    CenterSpec {
        target_id: "billing@demo.example",
        name: "Billing",
        number: "tel:+12025550122",
        agents: &[
            "julia.rossi@demo.example",
            "kofi.mensah@demo.example",
            "lena.fischer@demo.example",
            // Also in Support: a floater, busy for both when on a call for either.
            "gus.oconnor@demo.example",
        ],
        arrivals_per_min: 5.0,
        handle_secs: 50.0,
        patience_secs: 150.0,
        max_queue: 12,
        overflow_secs: 300,
        priorities: &[1],
        promote_after_secs: None,
        transfer_to: Some(1),
        night_service: false,
    },
    CenterSpec {
        target_id: "vip@demo.example",
        name: "VIP Line",
        number: "tel:+12025550133",
        agents: &["maria.lopez@demo.example", "noah.wright@demo.example"],
        arrivals_per_min: 3.2,
        handle_secs: 60.0,
        patience_secs: 200.0,
        max_queue: 10,
        overflow_secs: 240,
        priorities: &[0, 1, 1, 2, 2, 3],
        promote_after_secs: Some(45),
        transfer_to: None,
        night_service: false,
    },
    CenterSpec {
        // Still night where its agents are: the NIGHT badge, and calls that never queue.
        target_id: "apac@demo.example",
        name: "APAC Desk",
        number: "tel:+12025550144",
        agents: &["oscar.lim@demo.example", "pia.tan@demo.example"],
        arrivals_per_min: 1.2,
        handle_secs: 60.0,
        patience_secs: 150.0,
        max_queue: 10,
        overflow_secs: 300,
        priorities: &[0],
        promote_after_secs: None,
        transfer_to: None,
        night_service: true,
    },
];

/// Agents who are not in yet when the demo starts and sign in during its first minutes.
pub(super) const LATE_STARTERS: &[&str] = &["dora.nagy@demo.example", "ivan.petrov@demo.example"];

/// Where a call center on night service sends its callers (an answering service).
pub(super) const NIGHT_DESTINATION: &str = "tel:+12025550199";

/// The supervisor who owns every subscription (the envelope's `userId`).
pub(super) const SUPERVISOR: &str = "supervisor@demo.example";
/// The envelope's `externalApplicationId`.
pub(super) const APPLICATION_ID: &str = "xsi-wallboard-demo";

/// Callers' display names as the network delivers them: some non-ASCII, some with characters
/// XML must escape.
pub(super) const CALLER_NAMES: &[&str] = &[
    "Maria Garcia",
    "James Smith",
    "José Álvarez",
    "Zoë Müller",
    "Łukasz Nowak",
    "Chloé Dubois",
    "Björn Larsson",
    "Nguyễn Thị Lan",
    "Siobhán O'Connor",
    "François Lefèvre",
    "Ana Conceição",
    "Mehmet Yılmaz",
    "Priya Raman",
    "Olumide Adeyemi",
    "Acme Plumbing & Heating",
    "Robert Johnson",
    "Emily Chen",
    "Søren Østergaard",
    "Aleksandr Ivanov",
    "Grace O'Neill",
    "WIRELESS CALLER",
    "David Kim",
    "Sarah Thompson",
    "Tanaka Hiroshi",
    "Chris <Reception>",
    "Hélène Marchand",
    "Jiří Dvořák",
    "Ahmed Hassan",
];

/// Area codes for callers' numbers.
pub(super) const AREA_CODES: &[u16] = &[202, 212, 305, 312, 415, 512, 617, 713, 720, 808];
