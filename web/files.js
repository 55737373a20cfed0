// files.js: "send a file" for the watch and publish pages. Files travel on a data channel
// labelled "file" to the server, which relays them to everyone else in the stream's room (the
// protocol is described in src/app/room_files.h). The sender offers the file with its SHA-256;
// each receiver checks what arrived against it before offering a save link.
//
// Use: `const files = createFiles(section)` once, then `files.attach(pc)` on every new
// RTCPeerConnection BEFORE createOffer, and `files.detach()` when closing it.

import { broadcasterBadge, el } from './dom.js';

const CHUNK_BYTES = 60 * 1024; // under every browser's and the server's message size limit
// Sending waits while this much is queued on the channel: enough to keep the path busy, little
// enough that the server's pause reaches the sender quickly.
const QUEUE_HIGH = 1024 * 1024;
const QUEUE_LOW = 256 * 1024;

function hex(buffer) {
    return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(buffer) {
    return hex(await crypto.subtle.digest('SHA-256', buffer));
}

function randomId() {
    return hex(crypto.getRandomValues(new Uint8Array(12)));
}

function formatBytes(n) {
    if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
    if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${n} B`;
}

// Fills SECTION with the panel and returns its controller. state.files is what the tests read
// (window.onair.files): one entry per file sent or received, newest last.
export function createFiles(section) {
    const ui = {
        input: el('input', 'files-input'),
        pick: el('button', '', 'Send a file…'),
        list: el('ul', 'files-list'),
        error: el('p', 'files-error error'),
    };
    Object.assign(ui.input, { type: 'file', hidden: true });
    ui.pick.type = 'button';
    ui.pick.disabled = true;
    ui.error.hidden = true;
    section.classList.add('files');
    section.replaceChildren(el('div', 'files-head', el('h2', '', 'Files'), ui.pick, ui.input),
        ui.list, ui.error);

    const state = { files: [], errors: [], open: false };
    const byId = new Map(); // id -> { entry, row, chunks }
    let channel = null;
    const isOpen = () => channel?.readyState === 'open';

    function showError(reason) {
        state.errors.push(reason);
        ui.error.textContent = reason;
        ui.error.hidden = false;
    }

    // One row per file: name, who, a progress bar, and what happened.
    function addRow(entry) {
        const bar = el('progress', 'files-progress');
        bar.max = entry.size || 1;
        bar.value = 0;
        const status = el('span', 'files-status muted');
        const who = entry.direction === 'out' ? 'you' : entry.from;
        // The server marks what the broadcaster sends: a viewer may call itself anything.
        const badge = entry.publisher ? [' ', broadcasterBadge()] : [];
        const row = el('li', 'files-item', el('span', 'files-name', entry.name), ' ',
            el('span', 'files-meta muted', `${formatBytes(entry.size)} · ${who}`), ...badge, bar,
            status);
        ui.list.append(row);
        state.files.push(entry);
        const record = { entry, bar, status, row, chunks: [] };
        byId.set(entry.id, record);
        return record;
    }

    function update(record) {
        const { entry, bar, status } = record;
        bar.value = entry.direction === 'out' ? entry.delivered : entry.received;
        const texts = {
            sending: `sending ${Math.floor((100 * entry.delivered) / (entry.size || 1))}%`,
            sent: `sent to ${entry.receivers} ${entry.receivers === 1 ? 'person' : 'people'}`,
            receiving: `receiving ${Math.floor((100 * entry.received) / (entry.size || 1))}%`,
            checking: 'checking…',
            done: 'received, SHA-256 matches',
            corrupt: 'received, but the SHA-256 does not match: not saved',
            cancelled: `cancelled: ${entry.reason}`,
        };
        status.textContent = texts[entry.state] ?? entry.state;
    }

    function finish(record, stateName, reason) {
        record.entry.state = stateName;
        if (reason) record.entry.reason = reason;
        record.chunks = [];
        update(record);
    }

    // Sends FILE: offer, chunks paced by the channel's queue, end. Resolves when the last
    // chunk is queued; the server's file-sent says when everyone has it.
    async function sendFile(file) {
        if (!isOpen()) return false;
        const dc = channel;
        const buffer = await file.arrayBuffer();
        const entry = { id: randomId(), name: file.name, size: file.size, direction: 'out',
            state: 'sending', delivered: 0, receivers: null, skipped: [],
            sha256: await sha256(buffer) };
        const record = addRow(entry);
        update(record);
        dc.send(JSON.stringify({ type: 'file-offer', id: entry.id, name: entry.name,
            size: entry.size, sha256: entry.sha256 }));
        const idBytes = new TextEncoder().encode(entry.id);
        for (let offset = 0; offset < buffer.byteLength; offset += CHUNK_BYTES) {
            while (dc.readyState === 'open' && dc.bufferedAmount > QUEUE_HIGH && entry.state === 'sending') {
                await new Promise((resolve) => {
                    dc.addEventListener('bufferedamountlow', resolve, { once: true });
                    dc.addEventListener('close', resolve, { once: true });
                });
            }
            if (dc.readyState !== 'open') {
                finish(record, 'cancelled', 'the connection closed');
                return false;
            }
            if (entry.state !== 'sending') return false; // refused or cancelled by the server
            const n = Math.min(CHUNK_BYTES, buffer.byteLength - offset);
            const chunk = new Uint8Array(1 + idBytes.length + n);
            chunk[0] = idBytes.length;
            chunk.set(idBytes, 1);
            chunk.set(new Uint8Array(buffer, offset, n), 1 + idBytes.length);
            dc.send(chunk);
            entry.delivered = Math.max(0, offset + n - dc.bufferedAmount);
            update(record);
        }
        dc.send(JSON.stringify({ type: 'file-end', id: entry.id }));
        return true;
    }

    async function onEnd(record) {
        const { entry } = record;
        entry.state = 'checking';
        update(record);
        const blob = new Blob(record.chunks);
        record.chunks = [];
        entry.receivedSha256 = await sha256(await blob.arrayBuffer());
        entry.sha256ok = entry.receivedSha256 === entry.sha256 && blob.size === entry.size;
        if (!entry.sha256ok) {
            finish(record, 'corrupt');
            return;
        }
        const link = el('a', 'files-save', 'Save');
        link.href = URL.createObjectURL(blob);
        link.download = entry.name;
        record.row.append(' ', link);
        finish(record, 'done');
    }

    function onText(text) {
        let msg;
        try {
            msg = JSON.parse(text);
        } catch {
            return;
        }
        const record = byId.get(msg.id);
        switch (msg.type) {
        case 'file-offer':
            if (record) return;
            update(addRow({ id: msg.id, name: msg.name, size: msg.size, from: msg.from,
                publisher: msg.publisher === true,
                direction: 'in', state: 'receiving', received: 0, sha256: msg.sha256 }));
            break;
        case 'file-accepted':
            if (record) record.entry.receivers = msg.receivers;
            break;
        case 'file-skipped':
            if (record) record.entry.skipped.push({ name: msg.name, reason: msg.reason });
            break;
        case 'file-sent':
            if (record) {
                record.entry.receivers = msg.receivers;
                record.entry.delivered = record.entry.size;
                finish(record, 'sent');
            }
            break;
        case 'file-end':
            if (record?.entry.state === 'receiving') onEnd(record);
            break;
        case 'file-cancel':
            if (record) finish(record, 'cancelled', msg.reason);
            else showError(msg.reason);
            break;
        case 'error':
            showError(msg.reason);
            break;
        default:
            break;
        }
    }

    function onChunk(data) {
        const bytes = new Uint8Array(data);
        const idLength = bytes[0];
        const id = new TextDecoder().decode(bytes.subarray(1, 1 + idLength));
        const record = byId.get(id);
        if (!record || record.entry.state !== 'receiving') return;
        record.chunks.push(bytes.subarray(1 + idLength));
        record.entry.received += bytes.length - 1 - idLength;
        update(record);
    }

    function attach(pc) {
        const dc = pc.createDataChannel('file', { ordered: true });
        dc.binaryType = 'arraybuffer';
        dc.bufferedAmountLowThreshold = QUEUE_LOW;
        channel = dc;
        dc.addEventListener('open', () => {
            if (dc !== channel) return;
            state.open = true;
            ui.pick.disabled = false;
        });
        dc.addEventListener('close', () => {
            if (dc !== channel) return;
            state.open = false;
            ui.pick.disabled = true;
        });
        dc.addEventListener('message', (event) => {
            if (dc !== channel) return;
            if (typeof event.data === 'string') onText(event.data);
            else onChunk(event.data);
        });
    }

    function detach() {
        channel = null;
        state.open = false;
        ui.pick.disabled = true;
        // Files in flight on the old connection will not finish.
        for (const record of byId.values())
            if (['sending', 'receiving'].includes(record.entry.state)) finish(record, 'cancelled', 'the connection closed');
    }

    ui.pick.addEventListener('click', () => ui.input.click());
    ui.input.addEventListener('change', () => {
        for (const file of ui.input.files) sendFile(file);
        ui.input.value = '';
    });

    return { state, attach, detach, sendFile };
}
