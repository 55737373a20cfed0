// watch.js: the watch page. Receives /whep/NAME on recvonly audio and video transceivers, shows
// its statistics and the stream's chat. When the path stops answering it restarts ICE on the same
// session; when that fails, or the server is lost, it reconnects by itself, with backoff.
import { createChat } from './chat.js';
import { createFiles } from './files.js';
import {
    fetchIceServers,
    formatBitrate,
    hangUp,
    keepTokenInAddress,
    negotiate,
    restartIce,
    streamNameFromPath,
    tokenFromAddress,
} from './whip.js';

const STATS_MS = 1000;
const RESTART_AFTER_MS = 1500; // ICE often recovers from a short "disconnected" by itself
const DISCONNECTED_GRACE_MS = 3000; // after a restart, how long to wait before a new session
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 15000;

const name = streamNameFromPath();
const $ = (id) => document.getElementById(id);
const ui = {
    video: $('video'),
    overlay: $('overlay'),
    unmute: $('unmute'),
    state: $('state'),
    error: $('error'),
    resolution: $('resolution'),
    fps: $('fps'),
    bitrate: $('bitrate'),
    loss: $('loss'),
    connection: $('connection'),
    tokenForm: $('token-form'),
    token: $('token'),
    quality: $('quality'),
};

const chat = createChat($('chat'));
const files = createFiles($('files'));

// What the tests (and the curious, from the console) read: the current peer connection, the
// page's state (connecting, waiting, playing, reconnecting), the latest statistics and the chat.
const onair = {
    pc: null,
    session: null,
    state: 'connecting',
    stats: {},
    connects: 0,
    iceRestarts: 0,
    chat: chat.state,
    files: files.state,
    sendFile: files.sendFile,
    // The restart the page does on a lost path, for the tests and the console.
    restartIce: () => recover(onair.pc, true),
};
window.onair = onair;

let retries = 0;
let retryTimer = 0;
let disconnectedTimer = 0;
let previous = null; // the counters one stats tick ago

function setState(state, message) {
    onair.state = state;
    ui.state.dataset.state = state;
    ui.state.textContent = state;
    ui.overlay.textContent = message || '';
    ui.overlay.hidden = state === 'playing';
}

function showError(message) {
    ui.error.textContent = message;
    ui.error.hidden = !message;
}

// Opens a new peer connection and WHEP session. Media may start later: a viewer can arrive
// before the publisher and stays connected until it comes.
async function connect() {
    clearTimeout(retryTimer);
    setState('connecting', 'Connecting…');
    const token = tokenFromAddress();
    const iceServers = fetchIceServers(name, 'watch', token); // awaited in negotiate, after the offer
    const pc = new RTCPeerConnection();
    onair.pc = pc;
    onair.connects++;
    previous = null;
    const audio = pc.addTransceiver('audio', { direction: 'recvonly' });
    const video = pc.addTransceiver('video', { direction: 'recvonly' });
    chat.attach(pc); // before the offer, so that it has a data channel section
    files.attach(pc);
    // Given before the offer, so that the element's player is made while the offer is made and
    // answered: a first frame shown ~100 ms sooner than from a stream given after the answer.
    ui.video.srcObject = new MediaStream([video.receiver.track, audio.receiver.track]);
    pc.addEventListener('connectionstatechange', () => onConnectionState(pc));
    try {
        const endpoint = `/whep/${encodeURIComponent(name)}?quality=${ui.quality.value}`;
        onair.session = await negotiate(pc, endpoint, iceServers, token);
    } catch (error) {
        if (pc !== onair.pc) return;
        if (error.status === 401) askForToken(error.message);
        // A full or busy server (503, --max-viewers, --max-load) says when to come back.
        else retry(`The server refused: ${error.message}`, error.retryAfterMs || 0);
    }
}

// A video element given a stream holds the page's load event until its first frame: a viewer
// waiting for its publisher would leave the browser's tab loading. So while nothing plays, the
// element lets go of its stream until the page has loaded.
// One variable and one listener: after a reconnect before load, the newest stream is the one
// taken back.
let heldUntilLoaded = null;
function releaseUntilLoaded() {
    if (!ui.video.srcObject || document.readyState === 'complete') return;
    heldUntilLoaded = ui.video.srcObject;
    ui.video.srcObject = null;
}
addEventListener('load', () => {
    if (heldUntilLoaded && !ui.video.srcObject) ui.video.srcObject = heldUntilLoaded;
    heldUntilLoaded = null;
}, { once: true });

// Ends the current connection, if any, and any retry waiting.
function drop() {
    clearTimeout(disconnectedTimer);
    clearTimeout(retryTimer);
    chat.detach();
    files.detach();
    hangUp(onair.pc, onair.session);
    onair.session = null;
    onair.pc = null;
}

// Drops the current connection and tries again after a growing, slightly random delay, so a
// restarted server is not hit by all its viewers at the same instant; never sooner than the
// server asked (AT_LEAST_MS, its Retry-After), and a little later than that, for the same reason.
// WHY is the sentence shown meanwhile.
function retry(why, atLeastMs = 0) {
    drop();
    const backoff = Math.min(RETRY_FIRST_MS * 2 ** retries, RETRY_MAX_MS);
    const spread = atLeastMs > backoff ? 1 + 0.2 * Math.random() : 0.8 + 0.4 * Math.random();
    const delay = Math.max(backoff, atLeastMs) * spread;
    retries++;
    showError(why);
    setState('reconnecting', `Reconnecting in ${Math.round(delay / 1000)} s…`);
    retryTimer = setTimeout(connect, delay);
}

// The server wants a token (onair serve --watch-token) and did not get the right one: trying
// again would not help, so the page asks for it and connects when it is given.
function askForToken(reason) {
    drop();
    showError(`The server refused: ${reason}`);
    setState('needs a token', 'This stream needs a token');
    ui.tokenForm.hidden = false;
    ui.token.value = tokenFromAddress();
    ui.token.focus();
}

ui.tokenForm.addEventListener('submit', (event) => {
    event.preventDefault();
    keepTokenInAddress(ui.token.value.trim());
    ui.tokenForm.hidden = true;
    showError('');
    retries = 0;
    connect();
});

function onConnectionState(pc) {
    if (pc !== onair.pc) return;
    ui.connection.textContent = pc.connectionState;
    switch (pc.connectionState) {
    case 'connected':
        clearTimeout(disconnectedTimer);
        retries = 0;
        showError('');
        if (onair.state !== 'playing') setState('waiting', `Waiting for ${name} to go live…`);
        break;
    case 'disconnected':
        clearTimeout(disconnectedTimer);
        disconnectedTimer = setTimeout(() => recover(pc, false), RESTART_AFTER_MS);
        break;
    case 'failed':
        retry('Connection lost: the connection failed');
        break;
    case 'closed': // the server ended the DTLS session, e.g. on shutdown
        retry('Connection lost: the server closed the connection');
        break;
    default:
        break;
    }
}

// A path that stopped answering (the network changed, a NAT forgot us): first an ICE restart on
// the same session, and if the connection does not come back, a new session. FORCE restarts a
// connected path too.
async function recover(pc, force) {
    if (!pc || pc !== onair.pc || !onair.session || (!force && pc.connectionState === 'connected')) return;
    try {
        await restartIce(pc, onair.session);
        onair.iceRestarts++;
    } catch (error) {
        if (pc === onair.pc) retry(`Connection lost: the ICE restart failed: ${error.message}`);
        return;
    }
    clearTimeout(disconnectedTimer);
    disconnectedTimer = setTimeout(() => {
        if (pc === onair.pc && pc.connectionState !== 'connected') {
            retry('Connection lost: no answer from the server, even after an ICE restart');
        }
    }, DISCONNECTED_GRACE_MS);
}

// Reads the inbound counters once a second: the numbers shown, and whether frames still come.
async function updateStats() {
    const pc = onair.pc;
    if (!pc || !onair.session) return;
    const report = await pc.getStats();
    const now = { at: performance.now(), bytes: 0, lost: 0, received: 0, frames: 0, audio: 0 };
    let video = null;
    report.forEach((stat) => {
        if (stat.type !== 'inbound-rtp') return;
        now.bytes += stat.bytesReceived || 0;
        now.lost += Math.max(stat.packetsLost || 0, 0);
        now.received += stat.packetsReceived || 0;
        if (stat.kind === 'video') {
            video = stat;
            now.frames = stat.framesDecoded || 0;
        } else {
            now.audio = stat.packetsReceived || 0;
        }
    });
    if (pc !== onair.pc) return;
    // The first tick has nothing to compare with: count from zero, as the connection did.
    const before = previous || { at: now.at - STATS_MS, bytes: 0, lost: 0, received: 0, frames: 0, audio: 0 };
    previous = now;
    const seconds = (now.at - before.at) / 1000;
    const lost = now.lost - before.lost;
    const sent = lost + now.received - before.received;
    onair.stats = {
        width: video?.frameWidth || 0,
        height: video?.frameHeight || 0,
        fps: video?.framesPerSecond || 0,
        bitrate: seconds > 0 ? ((now.bytes - before.bytes) * 8) / seconds : 0,
        framesDecoded: now.frames,
        audioPacketsReceived: now.audio,
        packetsReceived: now.received,
        packetsLost: now.lost,
        lossPercent: sent > 0 ? (100 * lost) / sent : 0,
    };
    showStats(onair.stats);
    const flowing = now.frames > before.frames || now.audio > before.audio;
    if (flowing && onair.state !== 'playing') {
        setState('playing');
        ui.video.play().catch(() => {});
    } else if (!flowing && onair.state === 'playing') {
        setState('waiting', `Waiting for ${name} to go live…`);
    }
}

function showStats(stats) {
    ui.resolution.textContent = stats.width ? `${stats.width}×${stats.height}` : '—';
    ui.fps.textContent = stats.fps ? `${Math.round(stats.fps)} fps` : '—';
    ui.bitrate.textContent = formatBitrate(stats.bitrate);
    ui.loss.textContent = `${stats.lossPercent.toFixed(1)} %`;
}

// A simulcast stream's quality, chosen while watching: the server moves this viewer to the
// other layer at its next keyframe (Auto: the server steps it down a layer when its link loses
// packets, and back up). The choice holds for the sessions after this one too.
ui.quality.addEventListener('change', async () => {
    const session = onair.session;
    if (!session) return; // the next session asks for it
    try {
        const response = await fetch(`${session.url}/quality`, { method: 'PUT', body: ui.quality.value });
        if (!response.ok) showError(`The quality did not change: ${(await response.text()).trim()}`);
    } catch (error) {
        showError(`The quality did not change: ${error.message}`);
    }
});

ui.unmute.addEventListener('click', () => {
    ui.video.muted = !ui.video.muted;
    ui.unmute.textContent = ui.video.muted ? 'Unmute' : 'Mute';
    ui.video.play().catch(() => {});
});

// The first frame shown says the stream plays at once (the overlay goes), not at the next
// statistics tick up to a second later; the ticks still say when it stops and comes back.
ui.video.addEventListener('playing', () => {
    if (onair.pc && onair.state !== 'playing') setState('playing');
});

// Leaving the page ends the session (whip.js sends the DELETE); no reconnect afterwards.
window.addEventListener('pagehide', () => clearTimeout(retryTimer));

$('name').textContent = name;
// /watch/NAME?quality=low (or medium, high) starts at that quality (a page embedding a small
// player) instead of Auto.
const askedQuality = new URLSearchParams(location.search).get('quality');
if (['high', 'medium', 'low'].includes(askedQuality)) ui.quality.value = askedQuality;
document.title = `onair · ${name}`;
setInterval(async () => {
    await updateStats().catch(() => {});
    if (onair.state !== 'playing') releaseUntilLoaded();
}, STATS_MS);
connect();
