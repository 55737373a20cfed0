// chat.js: the chat panel of the watch and publish pages. It talks to the stream's room on the
// server over a data channel labelled "chat": the server names senders, numbers and timestamps
// messages, replays the last 50 to late joiners, and tells everyone who joined and left and the
// viewer count (in batches, at most four times a second).
//
// Use: `const chat = createChat(section)` once, then `chat.attach(pc)` on every new
// RTCPeerConnection BEFORE createOffer, so that the offer has an m=application section, and
// `chat.detach()` when closing it.

import { broadcasterBadge, el } from './dom.js';

const NAME_KEY = 'onair.chatName';
const NAME_MAX = 32;
const BOTTOM_SLACK_PX = 24; // "at the bottom" despite rounding and a partly visible last line

function formatTime(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function storedName() {
    try {
        return localStorage.getItem(NAME_KEY) || '';
    } catch {
        return ''; // storage may be disabled; the server then picks a name
    }
}

function storeName(name) {
    try {
        if (name) localStorage.setItem(NAME_KEY, name);
        else localStorage.removeItem(NAME_KEY);
    } catch {
        // Not remembered, still used for this visit.
    }
}

// Fills SECTION with the panel and returns its controller. The state it keeps is what the
// tests read (window.onair.chat): messages in the order shown, the viewer count, our name.
// IDLE is what the panel says while there is no connection.
export function createChat(section, { idle = 'not connected' } = {}) {
    const ui = {
        viewers: el('span', 'chat-viewers muted', '—'),
        status: el('span', 'chat-status muted'),
        log: el('ol', 'chat-log'),
        unread: el('button', 'chat-unread'),
        name: el('input', 'chat-name'),
        text: el('input', 'chat-input'),
        send: el('button', 'primary', 'Send'),
        error: el('p', 'chat-error error'),
    };
    ui.log.setAttribute('aria-live', 'polite');
    ui.name.setAttribute('aria-label', 'Your name');
    ui.text.setAttribute('aria-label', 'Message');
    ui.unread.type = 'button';
    ui.unread.hidden = true;
    Object.assign(ui.name, { type: 'text', maxLength: NAME_MAX, placeholder: 'your name',
        autocomplete: 'nickname', value: storedName(), title: 'Your name in the chat (1 to 32 characters)' });
    Object.assign(ui.text, { type: 'text', placeholder: 'Say something…', autocomplete: 'off' });
    ui.send.type = 'submit';
    ui.error.hidden = true;
    const form = el('form', 'chat-form', ui.name, ui.text, ui.send);
    section.classList.add('chat');
    section.replaceChildren(
        el('div', 'chat-head', el('h2', '', 'Chat'), ui.viewers, ui.status),
        el('div', 'chat-body', ui.log, ui.unread),
        form,
        ui.error,
    );

    const state = {
        messages: [], // { id, from, text, time, own, history }
        viewers: null,
        you: '', // the name the server stamps on what we send
        member: null, // our number in the room, stamped on what we send
        open: false,
        unread: 0,
        chat: true, // whether the stream's room carries chat (the server may turn it off)
        errors: [], // every reason the server gave, oldest first
        send,
    };
    let channel = null;
    let helloName = ''; // the name sent on the current channel
    const seen = new Set(); // messages already shown, so a reconnect's history adds no copies

    // The channel's own state, not ours: a closing channel throws on send before its close event.
    const isOpen = () => channel?.readyState === 'open';

    function atBottom() {
        return ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight <= BOTTOM_SLACK_PX;
    }

    // Appends a line; follows it when the reader was at the bottom, else counts it as unread.
    function append(line, counts) {
        const follow = atBottom();
        ui.log.append(line);
        if (follow) {
            ui.log.scrollTop = ui.log.scrollHeight;
        } else if (counts) {
            state.unread++;
            ui.unread.textContent = `${state.unread} new ↓`;
            ui.unread.hidden = false;
        }
    }

    function clearUnread() {
        state.unread = 0;
        ui.unread.hidden = true;
    }

    function showError(reason) {
        ui.error.textContent = reason;
        ui.error.hidden = !reason;
    }

    function setOpen(open, status) {
        state.open = open;
        ui.status.textContent = status;
        ui.text.disabled = ui.send.disabled = !open || !state.chat;
    }

    // The server turned chat on or off for this stream; presence goes on either way.
    function setChat(on) {
        state.chat = on;
        ui.text.disabled = ui.send.disabled = !state.open || !on;
        ui.text.placeholder = on ? 'Say something…' : 'Chat is off for this stream';
        onEvent(on ? 'Chat is on' : 'Chat is off for this stream');
    }

    function showViewers(count) {
        if (!Number.isInteger(count)) return;
        state.viewers = count;
        ui.viewers.textContent = `${count} watching`;
    }

    function onChat(msg) {
        // Ids restart when a room empties and is made anew, hence the time in the key.
        const key = `${msg.id}/${msg.time}`;
        if (seen.has(key)) return;
        seen.add(key);
        // Names are not unique: the server's member number tells ours from a namesake's. It is
        // this connection's; what we said on an earlier one was marked when it arrived.
        const own = state.member !== null && msg.member === state.member;
        state.messages.push({ id: msg.id, from: msg.from, text: msg.text, time: msg.time, own,
            publisher: msg.publisher === true, history: !!msg.history });
        const time = el('time', 'chat-time', formatTime(msg.time));
        time.dateTime = new Date(msg.time).toISOString();
        time.title = new Date(msg.time).toLocaleString();
        // The server marks the broadcaster's messages: a viewer may call itself anything.
        const badge = msg.publisher === true ? [broadcasterBadge(), ' '] : [];
        const line = el('li', own ? 'chat-msg own' : 'chat-msg', time, ' ', ...badge,
            el('span', 'chat-from', msg.from), ' ', el('span', 'chat-text', msg.text));
        line.dataset.id = msg.id;
        append(line, !own);
    }

    function onEvent(text) {
        append(el('li', 'chat-event muted', text), false);
    }

    // Whether MEMBER (a number, or undefined from a server without them) named NAME is us.
    const isMe = (member, name) => (member === undefined || state.member === null
        ? name === state.you : member === state.member);

    function onMessage(data) {
        let msg;
        try {
            msg = JSON.parse(data);
        } catch {
            return; // not ours to understand
        }
        switch (msg.type) {
        case 'welcome':
            // Our hello, if we sent one, renames us after the server's welcome; the server
            // handles messages in order, so it is that name on what we send.
            state.you = helloName || msg.you;
            state.member = msg.member ?? null;
            showViewers(msg.viewers);
            if ((msg.chat !== false) !== state.chat) setChat(msg.chat !== false);
            break;
        case 'chat-state':
            setChat(msg.chat !== false);
            break;
        case 'chat':
            onChat(msg);
            break;
        case 'presence':
            // Batched by the server: everyone who came and went since the last one.
            showViewers(msg.viewers);
            // Our own arrival and renames are not news to us; a namesake's are (member numbers).
            (msg.joined ?? []).forEach((name, i) => {
                if (!isMe(msg.joined_members?.[i], name)) onEvent(`${name} joined`);
            });
            for (const name of msg.left ?? []) onEvent(`${name} left`);
            for (const [from, to, member] of msg.renamed ?? []) if (!isMe(member, to)) onEvent(`${from} is now ${to}`);
            break;
        case 'error':
            state.errors.push(msg.reason);
            showError(msg.reason);
            break;
        default:
            break;
        }
    }

    function sendHello() {
        const name = ui.name.value.trim();
        if (!name || !isOpen() || new TextEncoder().encode(name).length > NAME_MAX) return;
        channel.send(JSON.stringify({ type: 'hello', name }));
        helloName = state.you = name;
    }

    // Sends TEXT as a chat message; the server echoes it to us like to everyone else. Returns
    // false when the channel is not open.
    function send(text) {
        if (!isOpen() || !text) return false;
        showError('');
        channel.send(JSON.stringify({ type: 'chat', text }));
        return true;
    }

    // Opens the chat channel on PC, which must not have made its offer yet. A page that
    // reconnects calls this again with its new connection.
    function attach(pc) {
        const dc = pc.createDataChannel('chat', { ordered: true });
        channel = dc;
        helloName = '';
        setOpen(false, 'connecting');
        dc.addEventListener('open', () => {
            if (dc !== channel) return;
            setOpen(true, '');
            sendHello();
        });
        dc.addEventListener('close', () => {
            if (dc === channel) setOpen(false, idle);
        });
        dc.addEventListener('message', (event) => {
            if (dc === channel && typeof event.data === 'string') onMessage(event.data);
        });
    }

    // Forgets the current channel: its connection is being closed, which fires no close event.
    function detach() {
        channel = null;
        setOpen(false, idle);
    }

    form.addEventListener('submit', (event) => {
        event.preventDefault(); // also what makes Enter in the text field send
        if (send(ui.text.value.trim())) ui.text.value = '';
        ui.text.focus();
    });
    ui.name.addEventListener('change', () => {
        const name = ui.name.value.trim();
        ui.name.value = name;
        // The server counts bytes of UTF-8, so a name of accented letters can be too long.
        if (new TextEncoder().encode(name).length > NAME_MAX) {
            showError(`Names are at most ${NAME_MAX} bytes.`);
            return;
        }
        showError('');
        storeName(name);
        sendHello();
    });
    ui.name.addEventListener('keydown', (event) => {
        // Enter in the name field moves on to the message (the blur sets the name) rather than
        // submitting the form.
        if (event.key === 'Enter') {
            event.preventDefault();
            ui.text.focus();
        }
    });
    ui.log.addEventListener('scroll', () => {
        if (atBottom()) clearUnread();
    });
    ui.unread.addEventListener('click', () => {
        ui.log.scrollTop = ui.log.scrollHeight;
        clearUnread();
    });
    setOpen(false, idle);

    return { state, attach, detach, send };
}
