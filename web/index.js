// index.js: lists the server's streams every two seconds and starts new ones.
import { formatBitrate, validStreamName } from './whip.js';

const REFRESH_MS = 2000;

const table = document.getElementById('streams');
const tbody = table.querySelector('tbody');
const empty = document.getElementById('empty');
const errorBox = document.getElementById('error');

// One table row per stream, built with DOM calls so names are never parsed as HTML.
function streamRow(stream) {
    const row = document.createElement('tr');
    const cell = (text, className) => {
        const td = document.createElement('td');
        if (className) td.className = className;
        if (text instanceof Node) td.append(text);
        else td.textContent = text;
        row.append(td);
        return td;
    };
    const watch = document.createElement('a');
    watch.href = `/watch/${encodeURIComponent(stream.name)}`;
    watch.textContent = stream.name;
    cell(watch);

    const badge = document.createElement('span');
    badge.className = stream.live ? 'badge live' : 'badge';
    badge.textContent = stream.live ? 'LIVE' : 'OFFLINE';
    cell(badge);

    const tracks = (stream.tracks || []).map((t) => `${t.kind} ${t.codec}`).join(', ');
    cell(tracks || '—', 'muted');
    cell(String(stream.viewers ?? 0), 'num');
    cell(stream.live ? formatBitrate(stream.bitrate_in) : '—', 'num');

    const link = document.createElement('a');
    link.href = watch.href;
    link.textContent = 'Watch';
    cell(link, 'num');
    return row;
}

async function refresh() {
    try {
        const response = await fetch('/api/streams', { cache: 'no-store' });
        if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
        const { streams = [] } = await response.json();
        streams.sort((a, b) => (b.live - a.live) || a.name.localeCompare(b.name));
        tbody.replaceChildren(...streams.map(streamRow));
        table.hidden = streams.length === 0;
        empty.hidden = streams.length !== 0;
        errorBox.hidden = true;
    } catch (error) {
        errorBox.textContent = `Cannot list streams: ${error.message}`;
        errorBox.hidden = false;
    }
}

document.getElementById('publish').addEventListener('submit', (event) => {
    event.preventDefault();
    const name = document.getElementById('name').value.trim();
    if (!validStreamName(name)) {
        errorBox.textContent = "Stream names are 1 to 63 letters, digits, '-', '_' or '.'.";
        errorBox.hidden = false;
        return;
    }
    location.href = `/publish/${encodeURIComponent(name)}`;
});

document.getElementById('whip-url').textContent = `${location.origin}/whip/NAME`;

refresh();
setInterval(refresh, REFRESH_MS);
