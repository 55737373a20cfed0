// publish.js: the publish page. Captures camera, microphone or screen, previews it, and sends
// it to /whip/NAME as sendonly audio and video transceivers, with the stream's chat beside.
import { createChat } from './chat.js';
import { createFiles } from './files.js';
import {
    bearer,
    fetchIceServers,
    formatBitrate,
    hangUp,
    keepTokenInAddress,
    negotiate,
    streamNameFromPath,
    tokenFromAddress,
    validStreamName,
} from './whip.js';

const STATS_MS = 1000;
// Simulcast: the video at a quarter, half and full size, smallest first. The server forwards the
// best that flows to its viewers, the half one to those asking for medium quality and the
// smallest to those asking for low.
const SIMULCAST_LAYERS = [
    { rid: 'q', scaleResolutionDownBy: 4 },
    { rid: 'h', scaleResolutionDownBy: 2 },
    { rid: 'f' },
];

const name = streamNameFromPath();
const $ = (id) => document.getElementById(id);
const ui = {
    preview: $('preview'),
    overlay: $('overlay'),
    source: $('source'),
    mic: $('mic'),
    simulcast: $('simulcast'),
    go: $('go'),
    stop: $('stop'),
    state: $('state'),
    error: $('error'),
    bitrate: $('bitrate'),
    resolution: $('resolution'),
    fps: $('fps'),
    viewers: $('viewers'),
    tokenLabel: $('token-label'),
    token: $('token'),
};

const chat = createChat($('chat'), { idle: 'go live to chat' });
const files = createFiles($('files'));

// What the tests (and the curious, from the console) drive the page with.
const onair = {
    pc: null,
    session: null,
    media: null,
    state: 'idle',
    chat: chat.state,
    files: files.state,
    sendFile: files.sendFile,
    start,
    stop,
};
window.onair = onair;

let statsTimer = 0;
let lastBytes = { bytes: 0, at: 0 };
let capturing = null; // the capture in progress, so start() waits for the first preview
let generation = 0; // bumped by stop(), so a start() still awaiting something gives up
let captured = ''; // chosenSources() of onair.media

function setState(state) {
    onair.state = state;
    ui.state.dataset.state = state;
    ui.state.textContent = state;
    const busy = state !== 'idle' && state !== 'failed';
    ui.go.disabled = busy;
    ui.stop.disabled = !busy;
    ui.simulcast.disabled = busy; // taken at "Go live": the offer says it
}

function showError(message) {
    ui.error.textContent = message;
    ui.error.hidden = !message;
}

// Asks for the chosen sources. A screen comes from getDisplayMedia; its own audio is kept only
// when the microphone is off.
async function captureMedia() {
    const source = ui.source.value;
    const wantMic = ui.mic.checked;
    if (source === 'none' && !wantMic) {
        throw new Error('Pick a camera, a screen or the microphone.');
    }
    const devices = navigator.mediaDevices;
    if (!devices) throw new Error('This page needs a secure origin (https or localhost).');
    if (source !== 'screen') {
        const video = source === 'camera' ? { width: { ideal: 1280 }, height: { ideal: 720 } } : false;
        return devices.getUserMedia({ video, audio: wantMic });
    }
    const screen = await devices.getDisplayMedia({ video: true, audio: !wantMic });
    const tracks = screen.getVideoTracks();
    tracks.forEach((track) => (track.contentHint = 'detail'));
    if (wantMic) {
        try {
            const mic = await devices.getUserMedia({ audio: true });
            tracks.push(...mic.getAudioTracks());
        } catch (error) {
            screen.getTracks().forEach((track) => track.stop());
            throw error;
        }
    } else {
        tracks.push(...screen.getAudioTracks());
    }
    return new MediaStream(tracks);
}

// (Re)captures after a change of source; a live broadcast switches tracks without renegotiating.
function preview() {
    const attempt = capture().finally(() => {
        if (capturing === attempt) capturing = null;
    });
    capturing = attempt;
    return attempt;
}

// The sources picked in the form, to tell whether the media in hand is what the user wants.
const chosenSources = () => `${ui.source.value}+${ui.mic.checked ? 'mic' : ''}`;

async function capture() {
    let media;
    try {
        media = await captureMedia();
    } catch (error) {
        showError(`Cannot capture: ${error.message || error.name}`);
        return false;
    }
    showError('');
    const old = onair.media;
    onair.media = media;
    captured = chosenSources();
    ui.preview.srcObject = media;
    ui.overlay.hidden = media.getVideoTracks().length > 0;
    for (const track of media.getTracks()) {
        // The browser's "Stop sharing" button ends the screen track: end the broadcast too.
        track.addEventListener('ended', () => {
            if (onair.media === media && onair.pc) stop();
        });
    }
    if (onair.pc) {
        for (const transceiver of onair.pc.getTransceivers()) {
            const kind = transceiver.receiver.track.kind;
            const track = media.getTracks().find((t) => t.kind === kind) || null;
            await transceiver.sender.replaceTrack(track);
        }
    }
    old?.getTracks().forEach((track) => track.stop());
    return true;
}

function onConnectionState(pc) {
    if (pc !== onair.pc) return;
    switch (pc.connectionState) {
    case 'connected':
        setState('live');
        showError('');
        break;
    case 'disconnected':
        setState('connecting');
        break;
    case 'failed':
        showError('The connection to the server failed. Press "Go live" to try again.');
        teardown('failed');
        break;
    default:
        break;
    }
}

// Starts the broadcast: resolves once the server has answered; `state` becomes "live" when
// media flows.
async function start() {
    if (onair.pc) return;
    if (!validStreamName(name)) {
        showError(`"${name}" is not a stream name: use 1 to 63 letters, digits, '-', '_' or '.'.`);
        return;
    }
    const mine = ++generation;
    setState('connecting');
    showError('');
    if (capturing) await capturing;
    // A screen can only be captured from a click, so a failed capture on a change of source is
    // retried here, from the "Go live" click.
    const wrongMedia = !onair.media || captured !== chosenSources();
    if (wrongMedia && !(await preview())) {
        if (mine === generation) setState('failed');
        return;
    }
    if (mine !== generation || onair.pc) return;
    const token = ui.token.value.trim();
    keepTokenInAddress(token);
    const iceServers = fetchIceServers(name, 'publish', token); // awaited in negotiate, after the offer
    const pc = new RTCPeerConnection();
    onair.pc = pc;
    for (const kind of ['audio', 'video']) {
        const track = onair.media.getTracks().find((t) => t.kind === kind);
        const init = { direction: 'sendonly', streams: [onair.media] };
        if (kind === 'video' && track && ui.simulcast.checked) init.sendEncodings = SIMULCAST_LAYERS;
        pc.addTransceiver(track || kind, init);
    }
    chat.attach(pc); // before the offer, so that it has a data channel section
    files.attach(pc);
    pc.addEventListener('connectionstatechange', () => onConnectionState(pc));
    try {
        const session = await negotiate(pc, `/whip/${encodeURIComponent(name)}`, iceServers, token);
        if (onair.pc !== pc) {
            await session.close(); // stopped while the offer was in flight
            return;
        }
        onair.session = session;
    } catch (error) {
        if (onair.pc !== pc) return;
        if (error.status === 401) {
            // A token was missing or wrong: ask for it where "Go live" will find it.
            ui.tokenLabel.hidden = false;
            ui.token.focus();
        }
        showError(`The server refused the broadcast: ${error.message}`);
        teardown('failed');
        return;
    }
    lastBytes = { bytes: 0, at: 0 };
    statsTimer = setInterval(() => updateStats(pc), STATS_MS);
}

// Ends the session and the peer connection; the preview keeps running for the next start.
function teardown(state) {
    clearInterval(statsTimer);
    chat.detach();
    files.detach();
    hangUp(onair.pc, onair.session);
    onair.session = null;
    onair.pc = null;
    setState(state);
    ui.bitrate.textContent = ui.resolution.textContent = ui.fps.textContent = '—';
    ui.viewers.textContent = '—';
}

async function stop() {
    generation++;
    teardown('idle');
}

async function updateStats(pc) {
    const report = await pc.getStats();
    let bytes = 0;
    let video = null;
    report.forEach((stat) => {
        if (stat.type !== 'outbound-rtp') return;
        bytes += stat.bytesSent || 0;
        if (stat.kind === 'video') video = stat;
    });
    if (pc !== onair.pc) return;
    const now = performance.now();
    if (lastBytes.at) {
        ui.bitrate.textContent = formatBitrate(((bytes - lastBytes.bytes) * 8 * 1000) / (now - lastBytes.at));
    }
    lastBytes = { bytes, at: now };
    ui.resolution.textContent = video?.frameWidth ? `${video.frameWidth}×${video.frameHeight}` : '—';
    ui.fps.textContent = video?.framesPerSecond ? `${Math.round(video.framesPerSecond)} fps` : '—';
    try {
        const response = await fetch(`/api/streams/${encodeURIComponent(name)}`, {
            cache: 'no-store',
            headers: bearer(tokenFromAddress()),
        });
        if (response.ok && pc === onair.pc) ui.viewers.textContent = String((await response.json()).viewers ?? 0);
    } catch {
        // The count is a nicety; the broadcast goes on without it.
    }
}

ui.go.addEventListener('click', () => start());
ui.stop.addEventListener('click', () => stop());
ui.source.addEventListener('change', () => preview());
ui.mic.addEventListener('change', () => preview());

$('name').textContent = name;
document.title = `onair · publish ${name}`;
ui.token.value = tokenFromAddress();
ui.tokenLabel.hidden = !ui.token.value;
const watchUrl = `${location.origin}/watch/${encodeURIComponent(name)}`;
$('watch-link').href = watchUrl;
$('watch-link').textContent = watchUrl;
setState('idle');
// Preview the camera right away, except for a screen, which needs a click to be chosen.
if (validStreamName(name)) {
    preview();
} else {
    showError(`"${name}" is not a stream name: use 1 to 63 letters, digits, '-', '_' or '.'.`);
    ui.go.disabled = true;
}
