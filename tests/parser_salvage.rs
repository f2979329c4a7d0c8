//! `xsi::salvage_envelope`: the envelope of an event that does not parse, so that it can still
//! be answered by its `eventID`.

#[path = "common/fixtures.rs"]
mod fixtures;

use fixtures::{ADDED, added_body, fixture_names, fixtures_dir, subscription};
use xsi_wallboard::xsi::{Envelope, Event, parse_event, salvage_envelope};

/// The Added sample's envelope, as parsed.
fn added_envelope() -> Envelope {
    subscription(ADDED).envelope
}

#[test]
fn salvage_of_a_whole_event_is_its_envelope() {
    for name in fixture_names() {
        let body = std::fs::read(fixtures_dir().join(&name)).unwrap();
        let salvaged = salvage_envelope(&body);
        match parse_event(&body) {
            Ok(Event::Subscription(event)) => {
                assert_eq!(salvaged, Some(event.envelope), "{name}");
            }
            // No eventID to answer by (ChannelTerminatedEvent, ErrorEvent), or no event at
            // all (the fixtures refused are other documents: Channel, Subscription, ...).
            Ok(Event::ChannelTerminated(_) | Event::Error(_)) | Err(_) => {
                assert_eq!(salvaged, None, "{name}");
            }
        }
    }
}

#[test]
fn salvage_reads_the_envelope_of_an_event_whose_event_data_is_broken() {
    // Refused by the parser for what is inside eventData, each in its own way.
    let not_well_formed = added_body().replace("</xsi:callId>", "</xsi:calId>");
    let bad_add_time = added_body().replace(">1271711961291<", ">BLAAT<");
    let no_type = added_body().replace(r#" xsi1:type="xsi:ACDCallAddedEvent""#, "");
    let bad_entity = added_body().replace("Network<", "Net&work;<");
    for body in [not_well_formed, bad_add_time, no_type, bad_entity] {
        assert!(parse_event(body.as_bytes()).is_err(), "{body}");
        assert_eq!(salvage_envelope(body.as_bytes()), Some(added_envelope()));
    }
}

#[test]
fn salvage_of_a_partial_document_keeps_what_came_before_the_cut() {
    let body = added_body();
    let full = added_envelope();
    let id_end = body.find("</xsi:eventID>").unwrap() + "</xsi:eventID>".len();
    let subscription_end =
        body.find("</xsi:subscriptionId>").unwrap() + "</xsi:subscriptionId>".len();
    for cut in 0..body.len() {
        let salvaged = salvage_envelope(&body.as_bytes()[..cut]);
        if cut < id_end {
            assert_eq!(salvaged, None, "cut at {cut}");
            continue;
        }
        let salvaged = salvaged.unwrap_or_else(|| panic!("cut at {cut}: nothing salvaged"));
        // Every field read is the event's own; none is read half.
        assert_eq!(salvaged.event_id, full.event_id, "cut at {cut}");
        for (got, want) in [
            (&salvaged.user_id, &full.user_id),
            (&salvaged.subscription_id, &full.subscription_id),
            (
                &salvaged.external_application_id,
                &full.external_application_id,
            ),
        ] {
            assert!(got.is_empty() || got == want, "cut at {cut}: {salvaged:?}");
        }
        assert!(salvaged.sequence_number.is_none() || salvaged.sequence_number == Some(10));
        assert!(salvaged.target_id.is_none() || salvaged.target_id == full.target_id);
        if cut >= subscription_end {
            assert_eq!(
                salvaged.subscription_id, full.subscription_id,
                "cut at {cut}"
            );
        }
    }
}

#[test]
fn salvage_stops_at_event_data_and_at_the_first_error() {
    // Fields after eventData are not envelope fields, even when they look like them.
    let after = added_body().replace(
        "</xsi:eventData>",
        "</xsi:eventData><xsi:targetId>late@example.com</xsi:targetId>",
    );
    assert_eq!(salvage_envelope(after.as_bytes()), Some(added_envelope()));
    // A broken userId ends the salvage: the eventID and sequenceNumber before it stand.
    let broken = added_body().replace(
        "<xsi:userId>adminCTI@broadsoft.com@broadsoft.com</xsi:userId>",
        "<xsi:userId>a &bad; b</xsi:userId>",
    );
    let salvaged = salvage_envelope(broken.as_bytes()).expect("the eventID was read");
    assert_eq!(salvaged.event_id, added_envelope().event_id);
    assert_eq!(salvaged.sequence_number, Some(10));
    assert_eq!(&*salvaged.user_id, "");
    assert_eq!(&*salvaged.subscription_id, "");
    // Only a subscriptionId: still worth returning (the eventID is empty).
    let no_id = added_body().replace(
        "<xsi:eventID>689984d9-3959-45ce-822b-9b37a963f653</xsi:eventID>",
        "<xsi:eventID> </xsi:eventID>",
    );
    let salvaged = salvage_envelope(no_id.as_bytes()).expect("the subscriptionId was read");
    assert_eq!(&*salvaged.event_id, "");
    assert_eq!(salvaged.subscription_id, added_envelope().subscription_id);
}

#[test]
fn salvage_of_garbage_empty_and_foreign_documents_is_none() {
    let doctype = format!(
        "<!DOCTYPE x [<!ENTITY a \"a\">]>{}",
        added_body().trim_start_matches(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
    );
    let other_namespace = added_body().replace(
        r#"xmlns:xsi="http://schema.broadsoft.com/xsi""#,
        r#"xmlns:xsi="http://example.com/not-xsi""#,
    );
    for body in [
        String::new(),
        "   ".into(),
        "hello, wallboard".into(),
        "\u{0}\u{1}<<<>>>&&&".into(),
        r#"{"eventID":"1"}"#.into(),
        "<xsi:Event".into(),
        r#"<Subscription xmlns="http://schema.broadsoft.com/xsi"><subscriptionId>s</subscriptionId></Subscription>"#.into(),
        other_namespace,
        // A document type declaration is refused before anything is read, as by the parser.
        doctype,
        // Never answered, whatever it holds.
        r#"<xsi:Event xmlns:xsi="http://schema.broadsoft.com/xsi" xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="xsi:ChannelTerminatedEvent"><xsi:eventID>e</xsi:eventID><xsi:channelId>c</xsi:channelId></xsi:Event>"#.into(),
    ] {
        assert_eq!(salvage_envelope(body.as_bytes()), None, "{body:?}");
    }
    assert_eq!(salvage_envelope(&[0xFF, 0xFE, 0x00, 0x3C]), None);
}
