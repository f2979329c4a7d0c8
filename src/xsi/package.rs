//! XSI-Events event packages (`XSISubscription.xsd`, `EventPackage`): what a subscription asks
//! for, and which package an event came from.

use super::EventData;

/// The call-center packages this wallboard subscribes to; one subscription each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Package {
    /// Waiting calls: `ACDSubscriptionEvent` and the call events.
    Queue,
    /// `CallCenterMonitoringEvent`: the XSP's statistics and agent counts.
    Monitoring,
    /// Night, holiday and forced-forwarding services.
    Configuration,
    /// Agents' ACD states; subscribed per agent user, not per call center.
    Agent,
}

impl Package {
    pub const ALL: [Package; 4] = [
        Package::Queue,
        Package::Monitoring,
        Package::Configuration,
        Package::Agent,
    ];

    /// The schema's enumeration value, as sent in `<Subscription><event>`.
    pub fn name(self) -> &'static str {
        match self {
            Package::Queue => "Call Center Queue",
            Package::Monitoring => "Call Center Monitoring",
            Package::Configuration => "Call Center Configuration",
            Package::Agent => "Call Center Agent",
        }
    }

    /// A short word for the screen (`degraded: monitoring`).
    pub fn short(self) -> &'static str {
        match self {
            Package::Queue => "queue",
            Package::Monitoring => "monitoring",
            Package::Configuration => "configuration",
            Package::Agent => "agent",
        }
    }

    /// The package named `name`, as the schema spells it or in any case and spacing
    /// (`call center queue`, `Call  Center Queue`), or by its short word (`queue`).
    pub fn parse(name: &str) -> Option<Package> {
        let words: Vec<String> = name
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        let wanted = words.join(" ");
        Package::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(&wanted) || p.short() == wanted)
    }

    /// The package an event of this kind belongs to; `None` where the type does not tell
    /// (`SubscriptionTerminatedEvent`, unknown types).
    pub fn of(data: &EventData) -> Option<Package> {
        match data {
            EventData::QueueSnapshot(_)
            | EventData::Call(_)
            | EventData::NotQueued(_)
            | EventData::TreatmentCompleted(_) => Some(Package::Queue),
            EventData::Monitoring(_) => Some(Package::Monitoring),
            EventData::Configuration(_) => Some(Package::Configuration),
            EventData::Agent(_) => Some(Package::Agent),
            EventData::SubscriptionTerminated | EventData::Unknown(_) => None,
        }
    }
}

impl std::fmt::Display for Package {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Package;

    #[test]
    fn packages_are_read_in_any_case_and_spacing() {
        assert_eq!(Package::parse("Call Center Queue"), Some(Package::Queue));
        assert_eq!(Package::parse("call center queue"), Some(Package::Queue));
        assert_eq!(
            Package::parse("  Call   Center CONFIGURATION "),
            Some(Package::Configuration)
        );
        assert_eq!(Package::parse("monitoring"), Some(Package::Monitoring));
        assert_eq!(Package::parse("Call Center Agent Monitoring"), None);
        assert_eq!(Package::parse("Basic Call"), None);
        for package in Package::ALL {
            assert_eq!(Package::parse(package.name()), Some(package));
        }
    }
}
