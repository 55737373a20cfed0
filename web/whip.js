// whip.js: the WHIP (RFC 9725) and WHEP client shared by the publish and watch pages.
//
// The server is ICE-lite and puts all its candidates in the answer, and it learns the browser's
// address from the browser's own connectivity checks. So the offer is posted at once, without
// waiting for ICE gathering and without trickling candidates afterwards.

// SignalingError carries the HTTP status and the server's reason, meant to be shown as is.
export class SignalingError extends Error {
    // retryAfterMs: how long the server asked to be left alone (Retry-After), 0 when it did not.
    constructor(status, reason, retryAfterMs = 0) {
        super(reason);
        this.name = 'SignalingError';
        this.status = status;
        this.retryAfterMs = retryAfterMs;
    }
}

// A response's Retry-After (RFC 9110 §10.2.3: seconds, or an HTTP date) in milliseconds from
// now; 0 when there is none or it cannot be read.
function retryAfterMs(response) {
    const value = (response.headers.get('Retry-After') || '').trim();
    if (/^\d+$/.test(value)) return Number(value) * 1000;
    const at = Date.parse(value);
    return Number.isNaN(at) ? 0 : Math.max(at - Date.now(), 0);
}

// The server says why it refused in a text/plain or JSON body; find the sentence in it.
async function reasonOf(response) {
    let text = '';
    try {
        text = (await response.text()).trim();
    } catch {
        // A body that cannot be read leaves the status line as the only reason.
    }
    if ((response.headers.get('Content-Type') || '').includes('json')) {
        try {
            const body = JSON.parse(text);
            text = body.error || body.reason || body.message || text;
        } catch {
            // Not JSON after all: keep the text.
        }
    }
    const status = `${response.status} ${response.statusText}`.trim();
    return text ? `${text} (HTTP ${status})` : `HTTP ${status}`;
}

// The token of a server started with --publish-token or --watch-token, from the page's address:
// /watch/NAME#token=TOKEN. A fragment, so it stays out of the server's logs and of Referer.
export function tokenFromAddress() {
    return new URLSearchParams(location.hash.slice(1)).get('token') || '';
}

// Puts TOKEN in the page's address (replacing the entry, not adding one), so that a reload or a
// shared link carries it.
export function keepTokenInAddress(token) {
    const params = new URLSearchParams(location.hash.slice(1));
    if (token) params.set('token', token);
    else params.delete('token');
    const hash = params.toString();
    history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
}

// The Authorization header for TOKEN (RFC 6750), none without one.
export function bearer(token) {
    return token ? { Authorization: `Bearer ${token}` } : {};
}

// The STUN/TURN servers the operator configured, for the RTCPeerConnection that will ROLE
// ('publish' or 'watch') STREAM; none is fine on a LAN since the server's own candidates are in
// its answer. Where streams need tokens the server gives them only with the stream's TOKEN.
export async function fetchIceServers(stream, role, token = '') {
    try {
        const query = new URLSearchParams({ stream, role });
        const response = await fetch(`/api/ice-servers?${query}`, { cache: 'no-store', headers: bearer(token) });
        if (!response.ok) return [];
        const body = await response.json();
        return Array.isArray(body.iceServers) ? body.iceServers : [];
    } catch {
        return [];
    }
}

// A WHIP or WHEP session on the server: the resource the answer's Location names.
export class Session {
    constructor(url, etag) {
        this.url = url;
        this.etag = etag;
        this.closed = false;
        // A page that goes away ends its session, so the server drops it at once instead of
        // waiting for ICE consent to expire.
        this.onPageHide = () => this.close();
        window.addEventListener('pagehide', this.onPageHide);
    }

    // Ends the session with DELETE. keepalive lets the request outlive a closing page.
    async close() {
        if (this.closed) return;
        this.closed = true;
        window.removeEventListener('pagehide', this.onPageHide);
        try {
            await fetch(this.url, { method: 'DELETE', keepalive: true, signal: AbortSignal.timeout(3000) });
        } catch {
            // The server may be gone already; the session is over either way.
        }
    }
}

// Ends SESSION, then closes PC. The DELETE goes first so that the server ends the session for
// it rather than for the DTLS close alert, which would leave the DELETE an error. Sending stops
// at once all the same.
export async function hangUp(pc, session) {
    for (const sender of pc?.getSenders() || []) {
        if (sender.track) sender.replaceTrack(null).catch(() => {});
    }
    try {
        await session?.close();
    } finally {
        pc?.close();
    }
}

// Negotiates PC with the WHIP or WHEP ENDPOINT: posts the offer, applies the answer and
// returns the Session. ICE_SERVERS, a promise of fetchIceServers' list, is awaited only after
// the offer is made, so that the fetch and the browser's set-up run side by side (~60 ms of a
// join here); the servers still come before setLocalDescription, which starts the gathering.
// TOKEN, when given, goes as a bearer token (RFC 9725 §4.5); a server that wants one and does not
// get it refuses with 401.
// Throws SignalingError when the server refuses, TypeError when it cannot be reached.
export async function negotiate(pc, endpoint, iceServers = null, token = '') {
    const offer = await pc.createOffer();
    if (iceServers) {
        pc.setConfiguration({ ...pc.getConfiguration(), iceServers: await iceServers });
    }
    await pc.setLocalDescription(offer);
    const headers = { 'Content-Type': 'application/sdp', ...bearer(token) };
    const response = await fetch(endpoint, { method: 'POST', headers, body: pc.localDescription.sdp });
    if (response.status !== 201 && response.status !== 200) {
        throw new SignalingError(response.status, await reasonOf(response), retryAfterMs(response));
    }
    const location = response.headers.get('Location');
    if (!location) {
        throw new SignalingError(response.status, 'the server sent no Location for the session');
    }
    const session = new Session(new URL(location, response.url).href, response.headers.get('ETag'));
    const answer = await response.text();
    session.answer = answer; // an ICE restart replaces its credentials
    try {
        await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    } catch (error) {
        await session.close();
        throw error;
    }
    return session;
}

// The value of the first a=KEY: line of an SDP or SDP fragment.
function sdpField(sdp, key) {
    const match = new RegExp(`^a=${key}:(.*)$`, 'm').exec(sdp);
    return match ? match[1].trim() : undefined;
}

// Restarts ICE on the same session (RFC 9725 §4.3.2): the browser's new credentials go up in a
// PATCH with If-Match "*", the server's new ones come back in an answer fragment and take the
// place of the old ones in the answer we hold. DTLS, SRTP and the server's side of the session
// (and a viewer's place in the stream) carry on: a network change needs no new session.
// Throws SignalingError when the server refuses.
export async function restartIce(pc, session) {
    pc.restartIce();
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const fragment = `a=ice-ufrag:${sdpField(offer.sdp, 'ice-ufrag')}\r\n` +
        `a=ice-pwd:${sdpField(offer.sdp, 'ice-pwd')}\r\n` +
        `m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:${sdpField(offer.sdp, 'mid') ?? '0'}\r\n`;
    const response = await fetch(session.url, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': '*' },
        body: fragment,
    });
    if (response.status !== 200) {
        await pc.setLocalDescription({ type: 'rollback' });
        throw new SignalingError(response.status, await reasonOf(response));
    }
    const reply = await response.text();
    const answer = session.answer
        .replace(/^a=ice-ufrag:.*$/gm, `a=ice-ufrag:${sdpField(reply, 'ice-ufrag')}`)
        .replace(/^a=ice-pwd:.*$/gm, `a=ice-pwd:${sdpField(reply, 'ice-pwd')}`);
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    session.answer = answer;
    session.etag = response.headers.get('ETag') || session.etag;
}

// The stream name in a page's path: /publish/NAME or /watch/NAME.
export function streamNameFromPath(pathname = location.pathname) {
    const last = pathname.split('/').filter(Boolean).pop() || '';
    return decodeURIComponent(last);
}

// Names the server accepts; checked here so a typo is caught before a round trip.
export function validStreamName(name) {
    return /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,62}$/.test(name);
}

// Formats bits per second for people: "850 kbit/s", "2.4 Mbit/s".
export function formatBitrate(bps) {
    if (!Number.isFinite(bps) || bps <= 0) return '0 kbit/s';
    if (bps >= 1e6) return `${(bps / 1e6).toFixed(1)} Mbit/s`;
    return `${Math.round(bps / 1e3)} kbit/s`;
}
