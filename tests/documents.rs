//! The XSI documents besides events: what the wallboard sends (`<Subscription>` bodies and
//! refreshes, valid against the official schema) and what the XSP answers (`Subscription`,
//! `ErrorInfo`, the call center and queue lists of Xsi-Actions), with the reference samples. The
//! events themselves: `parser_*` (reading) and `writer` (writing).

#[path = "common/tools.rs"]
mod tools;

use std::path::PathBuf;

use std::sync::Arc;

use xsi_wallboard::xsi::request::{
    Delivery, ResponseError, SubscriptionRequest, parse_acd_queue, parse_call_center_agents,
    parse_call_centers, parse_channel_response, parse_error_info, parse_subscription_response,
    refresh_xml,
};
use xsi_wallboard::xsi::{EventData, QueueEntry, QueueSnapshot, RemoteParty};

/// A public sample under `tests/fixtures/public/`.
fn sample(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/public")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn request(delivery: Delivery) -> SubscriptionRequest {
    SubscriptionRequest {
        event: xsi_wallboard::xsi::Package::Queue,
        expires: 3600,
        delivery,
        application_id: "xsi-wallboard/host & co/default".into(),
    }
}

#[test]
fn subscription_with_http_contact_in_schema_order() {
    let xml = request(Delivery::HttpContact(
        "https://wb.example:8443/xsi-events?a=1&b=2".into(),
    ))
    .to_xml();
    assert_eq!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Subscription xmlns=\"http://schema.broadsoft.com/xsi\">\
         <event>Call Center Queue</event><expires>3600</expires>\
         <httpContact><uri>https://wb.example:8443/xsi-events?a=1&amp;b=2</uri></httpContact>\
         <applicationId>xsi-wallboard/host &amp; co/default</applicationId></Subscription>"
    );
}

#[test]
fn subscription_with_channel_set_id() {
    let xml = request(Delivery::ChannelSet("set-1".into())).to_xml();
    assert!(
        xml.contains("<expires>3600</expires><channelSetId>set-1</channelSetId><applicationId>"),
        "{xml}"
    );
    assert!(!xml.contains("httpContact"));
}

#[test]
fn what_we_send_validates_against_the_schema() {
    let Some(xmllint) = tools::xmllint() else {
        return;
    };
    let documents = [
        (
            "http",
            request(Delivery::HttpContact(
                "https://wb.example/xsi-events".into(),
            ))
            .to_xml(),
        ),
        (
            "channel",
            request(Delivery::ChannelSet("set-1".into())).to_xml(),
        ),
        ("refresh", refresh_xml(3600)),
    ];
    xmllint.assert_valid(documents);
}

#[test]
fn subscription_response_sample() {
    let body = sample("SubscriptionResponse__kimwinther_check_xsi.xml");
    let r = parse_subscription_response(&body).expect("parses");
    assert_eq!(
        r.subscription_id.as_deref(),
        Some("98ed3939-c113-419c-8012-092556b85c66")
    );
    assert_eq!(r.expires, Some(86400));
}

#[test]
fn refresh_answer_without_id_and_prefixed_namespace() {
    let body = br#"<x:Subscription xmlns:x="http://schema.broadsoft.com/xsi"><x:expires>7200</x:expires></x:Subscription>"#;
    let r = parse_subscription_response(body).expect("parses");
    assert_eq!((r.subscription_id, r.expires), (None, Some(7200)));
}

#[test]
fn a_subscription_in_another_namespace_is_not_ours() {
    let body =
        br#"<Subscription xmlns="urn:other"><subscriptionId>x</subscriptionId></Subscription>"#;
    assert!(matches!(
        parse_subscription_response(body),
        Err(ResponseError::UnexpectedRoot { .. })
    ));
    assert!(matches!(
        parse_subscription_response(b"<Subscription"),
        Err(ResponseError::Malformed(_))
    ));
}

#[test]
fn error_info_sample_in_latin1() {
    let body = sample("ErrorInfo__nextiva_android_app.xml");
    let info = parse_error_info(&body).expect("parses");
    assert_eq!(
        info.summary_english,
        "Phone Number already exists +1123456789."
    );
    assert_eq!(info.error_code, Some(8251));
    assert_eq!(
        info.to_string(),
        "Phone Number already exists +1123456789. (error 8251)"
    );
}

#[test]
fn error_info_decodes_by_its_declaration() {
    let mut body = br#"<?xml version="1.0" encoding="ISO-8859-1"?><ErrorInfo xmlns="http://schema.broadsoft.com/xsi"><summaryEnglish>Benutzer gel"#.to_vec();
    body.push(0xF6); // ö in ISO-8859-1
    body.extend_from_slice(b"scht</summaryEnglish><errorCode>4001</errorCode></ErrorInfo>");
    let info = parse_error_info(&body).expect("parses");
    assert_eq!(info.summary_english, "Benutzer gelöscht");
}

/// An `ErrorInfo` in the XSP's default charset, declared as ISO-8859-1 (or windows-1252):
/// read as windows-1252, as browsers do, so text typed on Windows keeps its `€` (0x80).
#[test]
fn error_info_in_windows_1252_keeps_its_e_acute_and_euro() {
    for declaration in [
        r#"<?xml version="1.0" encoding="ISO-8859-1"?>"#,
        "<?xml version='1.0' encoding = 'windows-1252' ?>",
        r#"<?xml version="1.0" encoding="latin1"?>"#,
    ] {
        let mut body = declaration.as_bytes().to_vec();
        body.extend_from_slice(
            br#"<ErrorInfo xmlns="http://schema.broadsoft.com/xsi"><summaryEnglish>Caf"#,
        );
        body.push(0xE9); // é
        body.extend_from_slice(b" ferm");
        body.push(0xE9);
        body.extend_from_slice(b": 5 ");
        body.push(0x80); // € in windows-1252, a C1 control in ISO-8859-1 proper
        body.extend_from_slice(b"</summaryEnglish><errorCode>4001</errorCode></ErrorInfo>");
        let info = parse_error_info(&body).expect("parses");
        assert_eq!(info.summary_english, "Café fermé: 5 €", "{declaration}");
        assert_eq!(info.error_code, Some(4001));
    }
}

/// A byte-order mark says more than the declaration: UTF-16 with its mark is read, and a
/// UTF-8 mark before the declaration is passed over.
#[test]
fn error_info_by_its_byte_order_mark() {
    let text = r#"<?xml version="1.0" encoding="UTF-16"?><ErrorInfo xmlns="http://schema.broadsoft.com/xsi"><summaryEnglish>Zoë €</summaryEnglish><errorCode>1</errorCode></ErrorInfo>"#;
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let info = parse_error_info(&utf16).expect("UTF-16 parses");
    assert_eq!(info.summary_english, "Zoë €");
    let utf8 = [
        b"\xEF\xBB\xBF".as_slice(),
        text.replace("UTF-16", "UTF-8").as_bytes(),
    ]
    .concat();
    let info = parse_error_info(&utf8).expect("UTF-8 with a mark parses");
    assert_eq!(info.summary_english, "Zoë €");
    // A label no one knows: UTF-8, the XML default.
    let unknown = text.replace("UTF-16", "x-martian");
    let info = parse_error_info(unknown.as_bytes()).expect("parses");
    assert_eq!(info.summary_english, "Zoë €");
}

#[test]
fn call_centers_directory() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<CallCenters xmlns="http://schema.broadsoft.com/xsi">
  <callCenter><serviceUserID>sales@example.com</serviceUserID></callCenter>
  <callCenter><serviceUserID>support@example.com</serviceUserID><numberCallsInQueue>2</numberCallsInQueue></callCenter>
</CallCenters>"#;
    assert_eq!(
        parse_call_centers(body).expect("parses"),
        ["sales@example.com", "support@example.com"]
    );
    let empty = br#"<CallCenters xmlns="http://schema.broadsoft.com/xsi"/>"#;
    assert!(parse_call_centers(empty).expect("parses").is_empty());
}

/// Answers are matched by namespace URI, never by prefix: a foreign element with an XSI
/// local name is not read, whatever prefix either uses; what follows the root is not read.
#[test]
fn answers_count_xsi_elements_by_namespace_not_by_prefix() {
    let body =
        br#"<s:Subscription xmlns:s="http://schema.broadsoft.com/xsi" xmlns:xsi="urn:not-xsi">
  <s:subscriptionId> sub-1 </s:subscriptionId><s:expires>3600</s:expires>
  <xsi:subscriptionId>foreign</xsi:subscriptionId><xsi:expires>BLAAT</xsi:expires>
</s:Subscription> trailing bytes, not read"#;
    let r = parse_subscription_response(body).expect("parses");
    assert_eq!(r.subscription_id.as_deref(), Some("sub-1"));
    assert_eq!(r.expires, Some(3600));

    let channel = parse_channel_response(
        br#"<Channel xmlns="http://schema.broadsoft.com/xsi"><channelId>ch</channelId><expires>soon</expires></Channel>"#,
    );
    assert_eq!(channel, Err(ResponseError::Missing("expires")));
    let channel = parse_channel_response(
        br#"<c:Channel xmlns:c="http://schema.broadsoft.com/xsi"><c:channelId>ch</c:channelId></c:Channel>"#,
    )
    .expect("parses");
    assert_eq!(
        (channel.channel_id.as_deref(), channel.expires),
        (Some("ch"), None)
    );

    // `summary` stands in for a missing `summaryEnglish`; a foreign `summaryEnglish` is
    // not one.
    let info = parse_error_info(
        br#"<ErrorInfo xmlns="http://schema.broadsoft.com/xsi" xmlns:o="urn:o"><o:summaryEnglish>no</o:summaryEnglish><summary>Nein</summary><errorCode>x</errorCode></ErrorInfo>"#,
    )
    .expect("parses");
    assert_eq!(
        (
            info.summary_english.as_str(),
            info.summary.as_deref(),
            info.error_code
        ),
        ("Nein", Some("Nein"), None)
    );
    assert_eq!(
        parse_error_info(br#"<ErrorInfo xmlns="http://schema.broadsoft.com/xsi"/>"#),
        Err(ResponseError::Missing("summaryEnglish"))
    );
}

/// No answer may bring a document type declaration (its entities could expand without
/// bound): refused before the root is read.
#[test]
fn an_answer_with_a_doctype_is_refused() {
    let body = br#"<?xml version="1.0"?><!DOCTYPE Subscription [<!ENTITY a "aaaa">]><Subscription xmlns="http://schema.broadsoft.com/xsi"><subscriptionId>&a;</subscriptionId></Subscription>"#;
    assert!(matches!(
        parse_subscription_response(body),
        Err(ResponseError::Refused(_))
    ));
}

/// The supervisor's agents in the call center asked for: another call center's are left
/// out wherever its `serviceUserID` stands, one without an id counts, and only XSI
/// `userId`s are taken.
#[test]
fn call_center_agents_directory() {
    let body = br#"<?xml version="1.0" encoding="ISO-8859-1"?>
<d:CallCenterAgents xmlns:d="http://schema.broadsoft.com/xsi" xmlns:o="urn:other">
  <d:callCenter><d:agentList><d:userDetails><d:userId>other-agent</d:userId></d:userDetails></d:agentList>
<d:serviceUserID>support@example.com</d:serviceUserID></d:callCenter>
  <d:callCenter><d:serviceUserID>sales@example.com</d:serviceUserID>
<d:agentList><d:userDetails><d:userId>ann@example.com</d:userId><d:firstName>Ann</d:firstName></d:userDetails>
  <d:userDetails><o:userId>foreign</o:userId><d:userId> bob@example.com </d:userId></d:userDetails></d:agentList>
<d:agentList><d:userDetails><d:userId>cy@example.com</d:userId></d:userDetails></d:agentList></d:callCenter>
  <d:callCenter><d:agentList><d:userDetails><d:userId>no-id@example.com</d:userId></d:userDetails></d:agentList></d:callCenter>
</d:CallCenterAgents>"#;
    assert_eq!(
        parse_call_center_agents(body, "sales@example.com").expect("parses"),
        [
            "ann@example.com",
            "bob@example.com",
            "cy@example.com",
            "no-id@example.com"
        ]
    );
    assert!(matches!(
        parse_call_center_agents(body, "x").map(|a| a.len()),
        Ok(1)
    ));
    assert!(matches!(
        parse_call_center_agents(
            br#"<CallCenters xmlns="http://schema.broadsoft.com/xsi"/>"#,
            "x"
        ),
        Err(ResponseError::UnexpectedRoot {
            expected: "CallCenterAgents",
            ..
        })
    ));
}

/// An `ACDQueue` entry is read as the same entry in an `ACDSubscriptionEvent`: one reader
/// for both, so a fetched queue and an initial event cannot disagree about a call.
#[test]
fn acd_queue_entries_read_as_event_entries() {
    let entry = QueueEntry {
        call_id: Arc::from("callhalf-1:0"),
        ext_tracking_id: Arc::from("1:1"),
        remote_party: RemoteParty {
            name: Some(Arc::from("Zoë <Müller> & Co")),
            address: Some(Arc::from("tel:+41445551234")),
            user_id: Some(Arc::from("zoe@example.com")),
            privacy: true,
            call_type: Some(Arc::from("Network")),
            ..RemoteParty::default()
        },
        add_time: Some(1_700_000_000_000),
        remove_time: Some(1_700_000_060_000),
        preserved_wait_secs: Some(12),
        bounced: true,
        acd_name: Some(Arc::from("Sales")),
        acd_number: Some(Arc::from("+15550000")),
        acd_priority: Some(2),
        add_time_in_priority_bucket: Some(1_700_000_000_000),
        answering_user_id: Some(Arc::from("ann@example.com")),
        ..QueueEntry::default()
    };
    let event = xsi_wallboard::xsi::write_queue_event(
        &xsi_wallboard::xsi::Envelope::default(),
        &EventData::QueueSnapshot(QueueSnapshot {
            resync: false,
            entries: vec![entry.clone()],
        }),
    );
    let from = event.find("<xsi:queueEntries>").expect("entries written");
    let to = event.find("</xsi:eventData>").expect("eventData closed");
    let body = format!(
        r#"<xsi:ACDQueue xmlns:xsi="http://schema.broadsoft.com/xsi">{}</xsi:ACDQueue>"#,
        &event[from..to]
    );
    let fetched = parse_acd_queue(body.as_bytes()).expect("parses");
    assert_eq!(fetched.entries, [entry]);

    // Where an event would be refused, the fetched list only loses the value: an `addTime`
    // that is no time, a priority outside 0-3, a preserved wait of 0.
    let odd = br#"<ACDQueue xmlns="http://schema.broadsoft.com/xsi"><queueEntries><queueEntry>
  <callId>c3</callId><addTime>5</addTime><acdPriority>7-Unknown</acdPriority>
  <preservedWaitTime>0</preservedWaitTime></queueEntry></queueEntries></ACDQueue>"#;
    let odd = parse_acd_queue(odd).expect("parses");
    let odd = &odd.entries[0];
    assert_eq!(
        (odd.add_time, odd.acd_priority, odd.preserved_wait_secs),
        (None, None, None)
    );
}

#[test]
fn acd_queue_is_read_tolerantly() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<ACDQueue xmlns="http://schema.broadsoft.com/xsi"><queueEntries>
 <queueEntry><callId>c1</callId><extTrackingId>7:1</extTrackingId>
  <remoteParty><name>Ann</name><address>tel:+15550001</address><privacy/></remoteParty>
  <addTime>1700000000000</addTime><mandatoryEntrance/><bounced/><acdPriority>0-Highest</acdPriority>
  <somethingNewer>ignored</somethingNewer></queueEntry>
 <queueEntry><extTrackingId>no call id: skipped</extTrackingId></queueEntry>
 <queueEntry><callId>c2</callId><remoteParty/><addTime>not a number</addTime></queueEntry>
</queueEntries></ACDQueue>"#;
    let snapshot = parse_acd_queue(body).expect("parses");
    assert!(!snapshot.resync);
    let ids: Vec<_> = snapshot
        .entries
        .iter()
        .map(|e| e.call_id.as_ref())
        .collect();
    assert_eq!(ids, ["c1", "c2"]);
    let first = &snapshot.entries[0];
    assert_eq!(first.add_time, Some(1_700_000_000_000));
    assert!(first.mandatory_entrance && first.bounced && !first.reordered);
    assert!(first.remote_party.privacy);
    assert_eq!(first.acd_priority, Some(0));
    assert_eq!(snapshot.entries[1].add_time, None);
    let empty =
        parse_acd_queue(br#"<ACDQueue xmlns="http://schema.broadsoft.com/xsi"/>"#).expect("parses");
    assert!(empty.entries.is_empty());
}

/// The specification's examples validate against the schema copied beside them, all but the
/// two quirks `tests/fixtures/SOURCES.md` lists, which it refuses: the copy is whole, and a
/// document the schema does not allow is seen as such.
#[test]
fn the_spec_samples_validate_against_the_schema_but_for_two_known_quirks() {
    let Some(xmllint) = tools::xmllint() else {
        return;
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec");
    let mut samples: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/spec")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "xml"))
        .collect();
    samples.sort();
    assert_eq!(samples.len(), 35, "{samples:#?}");
    let refused: Vec<String> = samples
        .iter()
        .filter(|sample| {
            xmllint
                .validate_files(std::slice::from_ref(sample))
                .is_err()
        })
        .filter_map(|sample| sample.file_name()?.to_str().map(str::to_owned))
        .collect();
    assert_eq!(
        refused,
        [
            "spec-r21_4.7.3.16_ACDCallStrandedUnavailableTreatmentCompleteEvent.xml",
            "spec-r21_4.7.33.1_ChannelTerminatedEvent.xml",
        ]
    );
}
