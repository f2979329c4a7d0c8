//! `xsi::parse_event` refusing what is not an XSI event: malformed XML, another document, an
//! event missing what the board needs; each with a short reason.

#[path = "common/fixtures.rs"]
mod fixtures;

use fixtures::added_body;
use xsi_wallboard::xsi::{Event, EventData, ParseError, parse_event};

fn reason(result: Result<Event, ParseError>) -> ParseError {
    result.expect_err("expected a refusal")
}

#[test]
fn empty_body_is_malformed() {
    assert!(matches!(reason(parse_event(b"")), ParseError::Malformed(_)));
    assert!(matches!(
        reason(parse_event(b"  \n ")),
        ParseError::Malformed(_)
    ));
    assert!(matches!(
        reason(parse_event(br#"<?xml version="1.0" encoding="UTF-8"?>"#)),
        ParseError::Malformed(_)
    ));
}

#[test]
fn malformed_xml_is_malformed() {
    for body in [
        "<xsi:Event",
        "not xml at all",
        "<a><b></a></b>",
        "<xsi:Event xmlns:xsi=\"http://schema.broadsoft.com/xsi\"></xsi:Evnt>",
        "<xsi:Event xmlns:xsi=\"http://schema.broadsoft.com/xsi\" a=\"1></xsi:Event>",
        "<xsi:Event xmlns:xsi=\"http://schema.broadsoft.com/xsi\"><xsi:eventID>a & b</xsi:eventID></xsi:Event>",
    ] {
        assert!(
            matches!(parse_event(body.as_bytes()), Err(ParseError::Malformed(_))),
            "{body}: {:?}",
            parse_event(body.as_bytes())
        );
    }
}

#[test]
fn truncated_body_is_malformed_at_every_cut() {
    let body = added_body();
    // Every cut inside the root element (after its start tag is complete, and before its end
    // tag is) leaves a document that is not well-formed.
    let start = body.find("<xsi:eventID>").unwrap();
    let end = body.rfind("</xsi:Event>").unwrap();
    for cut in (start..end).step_by(7) {
        let result = parse_event(&body.as_bytes()[..cut]);
        assert!(
            matches!(result, Err(ParseError::Malformed(_))),
            "cut at {cut}: {result:?}"
        );
    }
}

#[test]
fn content_after_the_root_is_malformed() {
    let body = format!("{}<xsi:Event/>", added_body());
    assert!(matches!(
        parse_event(body.as_bytes()),
        Err(ParseError::Malformed(_))
    ));
}

#[test]
fn invalid_utf8_is_malformed() {
    let mut body = added_body().into_bytes();
    let at = body.windows(7).position(|w| w == b"Network").unwrap();
    body[at] = 0xFF;
    assert!(matches!(parse_event(&body), Err(ParseError::Malformed(_))));
}

#[test]
fn wrong_root_is_not_an_event() {
    let result = parse_event(br#"<Subscription xmlns="http://schema.broadsoft.com/xsi"><expires>1</expires></Subscription>"#);
    assert!(matches!(result, Err(ParseError::NotAnEvent(r)) if r.contains("Subscription")));
}

#[test]
fn event_root_in_another_namespace_is_not_an_event() {
    let body = added_body().replace(
        r#"xmlns:xsi="http://schema.broadsoft.com/xsi""#,
        r#"xmlns:xsi="http://example.com/not-xsi""#,
    );
    assert!(matches!(
        parse_event(body.as_bytes()),
        Err(ParseError::NotAnEvent(_))
    ));
    // No namespace at all.
    let bare = r#"<Event xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="SubscriptionEvent"/>"#;
    assert!(matches!(
        parse_event(bare.as_bytes()),
        Err(ParseError::NotAnEvent(_))
    ));
}

#[test]
fn event_without_type_or_with_unknown_top_level_type() {
    let untyped = r#"<xsi:Event xmlns:xsi="http://schema.broadsoft.com/xsi"><xsi:eventID>1</xsi:eventID></xsi:Event>"#;
    assert!(
        matches!(parse_event(untyped.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("xsi:type"))
    );
    let body = added_body().replace("xsi:SubscriptionEvent", "xsi:SomethingElseEvent");
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("SomethingElseEvent"))
    );
}

#[test]
fn call_event_without_call_id_is_not_an_event() {
    let body = added_body().replace("<xsi:callId>callhalf-53149:0</xsi:callId>", "");
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("callId"))
    );
    let blank = added_body().replace("callhalf-53149:0", "  ");
    assert!(
        matches!(parse_event(blank.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("callId"))
    );
}

#[test]
fn call_event_without_queue_entry_is_not_an_event() {
    let body = added_body();
    let from = body.find("<xsi:queueEntry>").unwrap();
    let to = body.find("</xsi:queueEntry>").unwrap() + "</xsi:queueEntry>".len();
    let body = format!("{}{}", &body[..from], &body[to..]);
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("queueEntry"))
    );
}

#[test]
fn add_time_junk_is_not_an_event_other_number_junk_is_dropped() {
    let body = added_body().replace(">1271711961291<", ">BLAAT<");
    // addTime and addTimeInPriorityBucket carry the same value in the sample: addTime refuses.
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("BLAAT"))
    );

    let body = added_body()
        .replace("<xsi:position>1<", "<xsi:position>BLAAT<")
        .replace(
            "<xsi:acdPriority>0-Highest<",
            "<xsi:acdPriority>9-Whatever<",
        )
        .replace(
            "<xsi:addTimeInPriorityBucket>1271711961291<",
            "<xsi:addTimeInPriorityBucket>x<",
        )
        .replace("<xsi:sequenceNumber>", "<xsi:sequenceNumber>-");
    let Ok(Event::Subscription(sub)) = parse_event(body.as_bytes()) else {
        panic!("junk in advisory numbers must not refuse the event");
    };
    let EventData::Call(c) = sub.data else {
        panic!("not a call")
    };
    assert_eq!(sub.envelope.sequence_number, None);
    assert_eq!(c.position, None);
    assert_eq!(c.entry.acd_priority, None);
    assert_eq!(c.entry.add_time_in_priority_bucket, None);
    assert_eq!(c.entry.add_time, Some(1_271_711_961_291));
}

#[test]
fn subscription_event_without_event_id_or_event_data_is_not_an_event() {
    let body = added_body()
        .replace("<xsi:eventID>", "<xsi:other>")
        .replace("</xsi:eventID>", "</xsi:other>");
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("eventID"))
    );
    let body = added_body();
    let from = body.find("<xsi:eventData").unwrap();
    let to = body.find("</xsi:eventData>").unwrap() + "</xsi:eventData>".len();
    let body = format!("{}{}", &body[..from], &body[to..]);
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("eventData"))
    );
}

#[test]
fn refusal_reasons_are_one_short_line() {
    let long_type = format!("xsi:{}\nEvent", "X".repeat(500));
    let body = added_body().replace("xsi:SubscriptionEvent", &long_type);
    let err = parse_event(body.as_bytes()).unwrap_err();
    let text = err.to_string();
    assert!(!text.contains('\n'), "{text}");
    assert!(text.len() < 300, "{} chars", text.len());
}
