//! The event channel's requests, all to the one XSP node that holds the channel.
//!
//! ```text
//! POST   /com.broadsoft.async/com.broadsoft.xsi-events/v2.0/channel   <Channel>  -> stream
//! POST   /com.broadsoft.xsi-events/v2.0/channel/eventresponse         <EventResponse>
//! PUT    /com.broadsoft.xsi-events/v2.0/channel/{id}/heartbeat
//! PUT    /com.broadsoft.xsi-events/v2.0/channel/{id}                  <Channel><expires>
//! DELETE /com.broadsoft.xsi-events/v2.0/channel/{id}
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;

use crate::config::XspSettings;
use crate::subscribe::{XspClient, XspError};
use crate::xsi::request::{
    ChannelRequest, EventResponse, channel_refresh_xml, parse_channel_response,
};

/// How long a channel's response may last before reqwest cuts it: longer than any granted
/// expiry; a dead stream is noticed by its silence, not by this.
const STREAM_LIFETIME: Duration = Duration::from_hours(7 * 24);

/// One opened channel's way back to its XSP node: cheap to clone (acks run on a worker).
#[derive(Debug, Clone)]
pub struct ChannelClient {
    client: XspClient,
    /// `host:port` as resolved once at open, for the status panel.
    pub node: Arc<str>,
}

impl ChannelClient {
    /// Resolve the XSP once, pin the client to that address, and open the channel; returns the
    /// response whose body is the channel's stream.
    pub async fn open(
        settings: &XspSettings,
        request: &ChannelRequest,
    ) -> Result<(ChannelClient, reqwest::Response), XspError> {
        let address = resolve(settings).await?;
        let client = XspClient::pinned(settings, address)?;
        let response = client
            .open_stream("channel", request.to_xml(), STREAM_LIFETIME)
            .await?;
        let host = settings.xsp_url.host_str().unwrap_or_default();
        let node = Arc::from(format!("{host} ({address})"));
        Ok((ChannelClient { client, node }, response))
    }

    /// Answer one event: an event left unanswered pushes BroadWorks toward terminating the
    /// channel (`NonResponsiveChannel`).
    pub async fn respond(&self, response: &EventResponse) -> Result<(), XspError> {
        self.client
            .events_request(
                Method::POST,
                "channel/eventresponse",
                Some(response.to_xml()),
            )
            .await
            .map(drop)
    }

    pub async fn heartbeat(&self, channel_id: &str) -> Result<(), XspError> {
        self.client
            .events_request(
                Method::PUT,
                &format!("channel/{channel_id}/heartbeat"),
                None,
            )
            .await
            .map(drop)
    }

    /// Returns the granted lifetime (the asked one when the answer does not say).
    pub async fn refresh(&self, channel_id: &str, expires: u32) -> Result<u32, XspError> {
        let body = self
            .client
            .events_request(
                Method::PUT,
                &format!("channel/{channel_id}"),
                Some(channel_refresh_xml(expires)),
            )
            .await?;
        Ok(parse_channel_response(&body)
            .ok()
            .and_then(|r| r.expires)
            .unwrap_or(expires))
    }

    pub async fn delete(&self, channel_id: &str) -> Result<(), XspError> {
        self.client
            .events_request(Method::DELETE, &format!("channel/{channel_id}"), None)
            .await
            .map(drop)
    }
}

/// The first address the XSP's name resolves to.
async fn resolve(settings: &XspSettings) -> Result<SocketAddr, XspError> {
    let url = &settings.xsp_url;
    let host = url
        .host_str()
        .ok_or_else(|| XspError::Protocol(format!("no host in {url}")))?;
    let port = url.port_or_known_default().unwrap_or(443);
    // `lookup_host` wants brackets off an IPv6 literal.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| XspError::Unreachable(format!("cannot resolve {host}: {e}")))?
        .next()
        .ok_or_else(|| XspError::Unreachable(format!("{host} resolves to no address")))
}
