// Page helpers for tests that speak WHIP and WHEP from page scripts: install with
// `await page.evaluate(whipPageHelpers)` before a test's own helpers, which build on these.
// Peers are kept by label in window.peers because page.evaluate can only hand back plain data.
export function whipPageHelpers() {
    window.peers = {};

    // Sends PC's offer to URL (a WHIP or WHEP endpoint) and returns the response and its body;
    // the caller applies the answer, if the status says there is one.
    window.postOffer = async (pc, url) => {
        await pc.setLocalDescription(await pc.createOffer());
        const response = await fetch(url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/sdp' },
            body: pc.localDescription.sdp,
        });
        return { response, body: await response.text() };
    };

    window.peerState = (label) => window.peers[label]?.pc.connectionState;

    // What peer LABEL has received: video frames decoded and their width, audio packets.
    window.inbound = async (label) => {
        const report = await window.peers[label].pc.getStats();
        const seen = { frames: 0, width: 0, audioPackets: 0, state: window.peerState(label) };
        report.forEach((stat) => {
            if (stat.type !== 'inbound-rtp') return;
            if (stat.kind === 'video') {
                seen.frames = stat.framesDecoded || 0;
                seen.width = stat.frameWidth || 0;
            } else {
                seen.audioPackets = stat.packetsReceived || 0;
            }
        });
        return seen;
    };
}
