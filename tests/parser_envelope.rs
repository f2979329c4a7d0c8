//! `xsi::parse_event` on the envelope: subscription, channel and error events, and the wire's
//! variations of one event (prefixes, namespaces, whitespace, entities) that must give the same
//! event.

#[path = "common/fixtures.rs"]
mod fixtures;

use std::sync::Arc;

use fixtures::{ADDED, added_body, call, fixture, s, subscription};
use xsi_wallboard::xsi::{Event, EventData, ParseError, parse_event};

#[test]
fn spec_subscription_terminated() {
    let sub = subscription("spec/spec-r21_4.7.32.1_SubscriptionTerminatedEvent.xml");
    assert_eq!(sub.data, EventData::SubscriptionTerminated);
    assert_eq!(
        &*sub.envelope.subscription_id,
        "f39acc1f-1349-4293-a940-018dcd1b17dc"
    );
    assert_eq!(
        sub.envelope.channel_id,
        s("726bfd81-799c-473a-9e32-ed7063ef0b2f")
    );
}

#[test]
fn public_subscription_terminated_over_http_contact() {
    let sub = subscription("public/SubscriptionTerminatedEvent__riis_CallCenterManager.xml");
    assert_eq!(sub.data, EventData::SubscriptionTerminated);
    assert_eq!(
        &*sub.envelope.event_id,
        "12d28bed-ae54-41a9-b76c-6fa021a926f8"
    );
    assert_eq!(sub.envelope.sequence_number, Some(2));
    assert_eq!(&*sub.envelope.user_id, "gnolanAdmin1@xdp.broadsoft.com");
    assert_eq!(
        &*sub.envelope.external_application_id,
        "CallCenterDashboard"
    );
    assert_eq!(sub.envelope.channel_id, None);
    assert_eq!(
        sub.envelope.http_contact,
        s(
            "ec2-54-205-41-129.compute-1.amazonaws.com:8080/CallCenterManager/webservices/callCenterSubscriptionCallback"
        )
    );
    assert_eq!(sub.envelope.target_id, s("callCenter3@xdp.broadsoft.com"));
}

#[test]
fn spec_channel_terminated_with_a_reason_the_schema_lacks() {
    let Event::ChannelTerminated(c) = fixture("spec/spec-r21_4.7.33.1_ChannelTerminatedEvent.xml")
    else {
        panic!("not a ChannelTerminatedEvent");
    };
    assert_eq!(&*c.channel_id, "726bfd81-799c-473a-9e32-ed7063ef0b2f");
    assert_eq!(&*c.reason, "MaxChannelsReached");
}

#[test]
fn error_event() {
    let body = br#"<xsi:Event xmlns:xsi="http://schema.broadsoft.com/xsi" xmlns:xsi1="http://www.w3.org/2001/XMLSchema-instance" xsi1:type="xsi:ErrorEvent"><xsi:errorCode>110</xsi:errorCode><xsi:errorMessage> Invalid content </xsi:errorMessage></xsi:Event>"#;
    let Ok(Event::Error(e)) = parse_event(body) else {
        panic!("not an ErrorEvent");
    };
    assert_eq!(e.error_code, s("110"));
    assert_eq!(&*e.error_message, "Invalid content");
    assert_eq!(e.channel_id, None);
}

/// The Added sample rewritten with other prefixes: same event. Placeholders first, so that
/// swapping the two prefixes works too.
fn with_prefixes(xsi: &str, instance: &str) -> String {
    added_body()
        .replace("xmlns:xsi1=", "@INSTANCE_DECL@")
        .replace("xsi1:", "@INSTANCE@")
        .replace("xmlns:xsi=", "@XSI_DECL@")
        .replace("<xsi:", "<@XSI@")
        .replace("</xsi:", "</@XSI@")
        .replace("\"xsi:", "\"@XSI@")
        .replace("@INSTANCE_DECL@", &format!("xmlns:{instance}="))
        .replace("@INSTANCE@", &format!("{instance}:"))
        .replace("@XSI_DECL@", &format!("xmlns:{xsi}="))
        .replace("@XSI@", &format!("{xsi}:"))
}

#[test]
fn other_prefixes_give_the_same_event() {
    let expected = fixture(ADDED);
    for (xsi, instance) in [("bw", "xs"), ("a", "b"), ("xsi1", "xsi"), ("ns0", "ns1")] {
        let body = with_prefixes(xsi, instance);
        assert!(
            body.contains(&format!("<{xsi}:queueEntry>")),
            "rewrite failed for {xsi}"
        );
        assert_eq!(
            parse_event(body.as_bytes()),
            Ok(expected.clone()),
            "prefixes {xsi}/{instance}"
        );
    }
}

#[test]
fn default_namespace_gives_the_same_event() {
    let body = added_body()
        .replace("<xsi:", "<")
        .replace("</xsi:", "</")
        .replace("xmlns:xsi=", "xmlns=")
        .replace("\"xsi:", "\"");
    assert!(body.contains(r#"xsi1:type="ACDCallAddedEvent""#));
    assert_eq!(parse_event(body.as_bytes()), Ok(fixture(ADDED)));
}

#[test]
fn type_prefix_is_resolved_not_compared() {
    // The type's QName uses a prefix declared only on eventData, bound to the XSI namespace.
    let body = added_body().replace(
        r#"<xsi:eventData xsi1:type="xsi:ACDCallAddedEvent">"#,
        r#"<xsi:eventData xmlns:t="http://schema.broadsoft.com/xsi" xsi1:type="t:ACDCallAddedEvent">"#,
    );
    assert_eq!(parse_event(body.as_bytes()), Ok(fixture(ADDED)));
}

#[test]
fn redeclared_prefixes_are_scoped_to_their_element() {
    // Inside `redirections` the `xsi` prefix means another namespace; after it, XSI again.
    let body = added_body().replace(
        "<xsi:position>1</xsi:position>",
        r#"<xsi:redirections xmlns:xsi="urn:o"><xsi:position>5</xsi:position></xsi:redirections><xsi:position>1</xsi:position>"#,
    );
    assert_eq!(parse_event(body.as_bytes()), Ok(fixture(ADDED)));
    // A queueEntry whose prefix is rebound is not the XSI queueEntry.
    let body = added_body().replace("<xsi:queueEntry>", r#"<xsi:queueEntry xmlns:xsi="urn:o">"#);
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("queueEntry"))
    );
    // `xmlns=""` takes unprefixed names out of the default namespace.
    let body = added_body()
        .replace("<xsi:", "<")
        .replace("</xsi:", "</")
        .replace("xmlns:xsi=", "xmlns=")
        .replace("\"xsi:", "\"")
        .replace(
            "<position>1</position>",
            r#"<position xmlns="">7</position><position>1</position>"#,
        );
    assert_eq!(parse_event(body.as_bytes()), Ok(fixture(ADDED)));
}

#[test]
fn a_type_in_another_namespace_is_unknown() {
    let body = added_body().replace(
        r#"<xsi:eventData xsi1:type="xsi:ACDCallAddedEvent">"#,
        r#"<xsi:eventData xmlns:o="urn:other" xsi1:type="o:ACDCallAddedEvent">"#,
    );
    let Ok(Event::Subscription(sub)) = parse_event(body.as_bytes()) else {
        panic!("not parsed");
    };
    assert_eq!(
        sub.data,
        EventData::Unknown(Arc::from("o:ACDCallAddedEvent"))
    );
}

#[test]
fn an_undeclared_type_prefix_is_refused() {
    let body = added_body().replace("\"xsi:ACDCallAddedEvent\"", "\"nope:ACDCallAddedEvent\"");
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("nope"))
    );
}

#[test]
fn a_type_attribute_outside_the_instance_namespace_does_not_count() {
    let body = added_body().replace(
        r#"<xsi:eventData xsi1:type="xsi:ACDCallAddedEvent">"#,
        r#"<xsi:eventData type="xsi:ACDCallAddedEvent">"#,
    );
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("xsi:type"))
    );
}

#[test]
fn whitespace_around_values_is_trimmed() {
    let body = added_body()
        .replace(
            "<xsi:callId>callhalf-53149:0<",
            "<xsi:callId>\n\t  callhalf-53149:0 \r\n<",
        )
        .replace(
            "<xsi:addTime>1271711961291<",
            "<xsi:addTime>  1271711961291\n<",
        )
        .replace("<xsi:position>1<", "<xsi:position> 1 <")
        .replace(
            "<xsi:acdPriority>0-Highest<",
            "<xsi:acdPriority>\n0-Highest\n<",
        )
        .replace(
            r#"xsi1:type="xsi:ACDCallAddedEvent""#,
            r#"xsi1:type="  xsi:ACDCallAddedEvent ""#,
        );
    assert_eq!(parse_event(body.as_bytes()), Ok(fixture(ADDED)));
}

#[test]
fn entities_and_non_ascii_names() {
    let body = added_body().replace(
        "NetworkN1FirstName NetworkN1LastName",
        "Zoë &amp; Jürgen &lt;Müller&gt; &#x00E9;&#233; O&apos;Brien &quot;東京&quot; <![CDATA[&x]]>",
    );
    let (_, expected_call) = call(ADDED);
    let Ok(Event::Subscription(sub)) = parse_event(body.as_bytes()) else {
        panic!("not parsed");
    };
    let EventData::Call(c) = sub.data else {
        panic!("not a call")
    };
    assert_eq!(
        c.entry.remote_party.name,
        s("Zoë & Jürgen <Müller> éé O'Brien \"東京\" &x")
    );
    assert_eq!(c.entry.call_id, expected_call.entry.call_id);
}

#[test]
fn byte_order_mark_and_comments_are_accepted() {
    let body = format!(
        "\u{feff}{}",
        added_body().replace("<xsi:callId>", "<!-- c --><xsi:callId><?pi x?>")
    );
    assert_eq!(parse_event(body.as_bytes()), Ok(fixture(ADDED)));
}

#[test]
fn unknown_entity_is_malformed() {
    let body = added_body().replace("NetworkN1FirstName", "&bogus;");
    assert!(matches!(
        parse_event(body.as_bytes()),
        Err(ParseError::Malformed(_))
    ));
}

#[test]
fn elements_in_other_namespaces_are_ignored() {
    let body = added_body().replace(
        "<xsi:position>1</xsi:position>",
        r#"<xsi:position>1</xsi:position><o:position xmlns:o="urn:o">7</o:position><position>9</position>"#,
    );
    assert_eq!(parse_event(body.as_bytes()), Ok(fixture(ADDED)));
}

#[test]
fn unknown_elements_are_skipped() {
    let body = added_body().replace(
        "<xsi:position>1</xsi:position>",
        "<xsi:position>1</xsi:position><xsi:redirections><xsi:x><xsi:y>z</xsi:y></xsi:x></xsi:redirections>",
    );
    assert_eq!(parse_event(body.as_bytes()), Ok(fixture(ADDED)));
}
